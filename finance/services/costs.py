"""Cost actuals, exchange rates and accounting periods (DOMAIN.md §5.2).

- An entry by ``finance`` (people or integration accounts holding the role) counts at once; an entry a
  team member, the PM or the PMO records waits for approval by the PM, a member whose ``approve_cost``
  delegation covers its amount (in the project's currency), or ``finance``. Nobody approves their own
  entry.
- Entries are never edited or deleted: a correction is a reversing entry (the opposite amount, same
  project, category and currency) that points at the entry it undoes; an entry is reversed once.
- ``source_system`` + ``source_ref`` are unique: a re-sent entry is refused, never counted twice.
- Nothing is dated into a closed period; the refusal names the first open period after it.
"""

import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Abs, Round
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from delivery.models import Project
from delivery.rules import is_team_member, project_open
from ltc_portal.core.fsm import TransitionRefused, log_created, log_created_many, run_transition, said
from ltc_portal.core.money import fit
from ltc_portal.core.outbox import enqueue
from ltc_portal.core.services import assign_fields

from ..models import AccountingPeriod, CostEntry, CostEntryState, CostImport, ExchangeRate, PeriodState
from ..rules import cost_decidable, is_finance_user
from ..selectors import MONEY, RATE, base_amounts, first_open_period_after, in_closed_period, period_of

COST_ENTRY_FIELDS = ("date", "category", "amount", "currency", "description", "source_system", "source_ref", "reverses")
#: the most rows one bulk call takes (an integration sends a month in a few calls)
BULK_MAX_ROWS = 5000
#: the task that checks and records an uploaded file (finance/tasks.py), looked up by name
IMPORT_TASK = "finance.tasks.run_cost_import"


# Periods ----------------------------------------------------------------------------------------


def period_get_or_open(*, period: str, user: User | None = None) -> AccountingPeriod:
    """The period ``YYYY-MM``, opened (and logged) the first time anything needs it."""
    existing = AccountingPeriod.objects.filter(period=period).first()
    if existing is not None:
        return existing
    candidate = AccountingPeriod(period=period, created_by=user, updated_by=user)
    candidate.full_clean()
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError:
        return AccountingPeriod.objects.get(period=period)
    log_created(candidate, user=user)
    return candidate


def require_open_period(*, day: datetime.date) -> None:
    """Refuse (409) anything dated in a closed period, naming the first open one."""
    period = period_of(day)
    if in_closed_period(day):
        raise TransitionRefused(
            _("Period %(period)s is closed: nothing is dated into it.") % {"period": period},
            [_("The first open period is %(open)s.") % {"open": first_open_period_after(period)}],
        )


@transaction.atomic
def period_transition(*, period: AccountingPeriod, name: str, user: User, reason: str = "") -> AccountingPeriod:
    """``close`` (finance) or ``reopen`` (finance, with a reason, logged)."""

    def stamp(locked: AccountingPeriod) -> dict:
        if name == "close":
            locked.closed_by = user
            locked.closed_at = timezone.now()
        return {}

    return run_transition(period, name, user=user, reason=reason, prepare=stamp)


# Exchange rates ------------------------------------------------------------------------------------


@transaction.atomic
def exchange_rate_set(*, user: User, currency: str, date: datetime.date, rate: Decimal) -> ExchangeRate:
    """Record (or correct) the rate of ``currency`` on ``date``: finance only, never for the base
    currency, never dated in a closed period (its accounts are final)."""
    if not is_finance_user(user):
        raise PermissionDenied(_("Only finance keeps the exchange rates."))
    currency = (currency or "").upper()
    if currency == settings.BASE_CURRENCY:
        raise ValidationError({"currency": [_("The base currency has no rate: it is 1 by definition.")]})
    require_open_period(day=date)
    _lock_rates(currency)
    following = (
        ExchangeRate.objects.filter(currency=currency, date__gt=date).order_by("date").values_list("date", flat=True)
    ).first()
    touched = CostEntry.objects.filter(currency=currency, date__gte=date)
    if following is not None:
        touched = touched.filter(date__lt=following)
    closed = sorted(
        set(touched.values_list("period", flat=True).distinct())
        & set(AccountingPeriod.objects.filter(state=PeriodState.CLOSED).values_list("period", flat=True))
    )
    if closed:
        raise TransitionRefused(
            _("This rate would change the base amounts of closed periods: %(periods)s.")
            % {"periods": ", ".join(closed)},
            [_("Reopen those periods first (with a reason), or date the rate after them.")],
        )
    largest = touched.aggregate(m=Max(Abs("amount")))["m"]
    if largest is not None and rate is not None:
        fit(largest * Decimal(rate), CostEntry._meta.get_field("amount_base"), key="rate")
    existing = ExchangeRate.objects.select_for_update().filter(currency=currency, date=date).first()
    rate_row = existing or ExchangeRate(currency=currency, date=date, created_by=user)
    rate_row.rate = rate
    rate_row.updated_by = user
    rate_row.full_clean(validate_unique=existing is None)
    rate_row.save()
    rebase_entries(currency=currency, since=date, until=following)
    return rate_row


def _lock_rates(*currencies: str) -> None:
    """Serialise recording a rate with recording entries in the same currency (PostgreSQL: a
    transaction advisory lock per currency, taken in one order), so a new entry never misses a rate
    being recorded at the same moment (its base amount would be stale for good)."""
    if connection.vendor != "postgresql":
        return  # SQLite writes one transaction at a time
    with connection.cursor() as cursor:
        for currency in sorted({c for c in currencies if c and c != settings.BASE_CURRENCY}):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"ltc-rate:{currency}"])


def rebase_entries(*, currency: str, since: datetime.date, until: datetime.date | None = None) -> int:
    """Rewrite the base amount of every entry in ``currency`` dated from ``since`` (up to ``until``, the
    next rate's date, when given) at the latest rate on or before its date: one UPDATE."""
    latest = (
        ExchangeRate.objects.filter(currency=currency, date__lte=OuterRef("date")).order_by("-date").values("rate")[:1]
    )
    entries = CostEntry.objects.filter(currency=currency, date__gte=since)
    if until is not None:
        entries = entries.filter(date__lt=until)
    return entries.update(amount_base=Round(F("amount") * Subquery(latest, output_field=RATE), 2, output_field=MONEY))


# Cost entries --------------------------------------------------------------------------------------


def _may_record(project: Project, user: User) -> bool:
    return (
        is_finance_user(user) or user.has_perm("delivery.change_project", project) or is_team_member.test(user, project)
    )


def _check_reversal(entry: CostEntry, data: dict) -> None:
    original = data.get("reverses")
    if original is None:
        return
    errors = {}
    if original.project_id != entry.project_id:
        errors["reverses"] = [_("A reversal belongs to the same project as the entry it undoes.")]
    elif original.state != CostEntryState.APPROVED:
        errors["reverses"] = [_("Only an approved entry is reversed; a pending one is rejected instead.")]
    elif original.reverses_id is not None:
        errors["reverses"] = [_("A reversal is not reversed; record a new entry instead.")]
    elif CostEntry.objects.filter(reverses=original).exists():
        errors["reverses"] = [_("This entry is already reversed.")]
    elif (entry.amount, entry.currency, entry.category) != (-original.amount, original.currency, original.category):
        errors["amount"] = [
            _("A reversal is the opposite amount in the same currency and category: %(amount)s %(cur)s, %(cat)s.")
            % {"amount": -original.amount, "cur": original.currency, "cat": original.get_category_display()}
        ]
    if errors:
        raise ValidationError(errors)


def _build_entry(project: Project, user: User, data: dict) -> CostEntry:
    data = dict(data)
    if not (data.get("source_ref") or "").strip():
        data["source_ref"] = uuid.uuid4().hex
    data.setdefault("source_system", "portal")
    if data.get("currency"):
        data["currency"] = data["currency"].upper()
    counts_at_once = is_finance_user(user)
    entry = CostEntry(
        project=project,
        entered_by=user,
        created_by=user,
        updated_by=user,
        state=CostEntryState.APPROVED if counts_at_once else CostEntryState.PENDING,
        decided_by=user if counts_at_once else None,
    )
    assign_fields(entry, data, COST_ENTRY_FIELDS)
    # constraints are checked here without a query per row (a bulk import checks its references at once)
    entry.full_clean(exclude=["state"], validate_unique=False, validate_constraints=False)
    if entry.amount == 0:
        raise ValidationError({"amount": [_("A cost entry has an amount (a correction is a reversing entry).")]})
    if entry.amount < 0 and data.get("reverses") is None:
        raise ValidationError(
            {"amount": [_("A negative amount is a correction: say in “reverses” which entry it undoes.")]}
        )
    _check_reversal(entry, data)
    return entry


def _duplicate(entry: CostEntry) -> ValidationError:
    return ValidationError({"source_ref": [_("An entry with this source system and reference already exists.")]})


@transaction.atomic
def cost_entry_create(*, project: Project, user: User, data: dict) -> CostEntry:
    """Record an actual cost on an open project, dated in an open period. Counts at once when
    entered by finance; otherwise it waits for approval (``cost_entry_transition``)."""
    project_open.require(project)
    if not _may_record(project, user):
        raise PermissionDenied(_("Only the project's team, its PM, the PMO or finance record its costs."))
    entry = _build_entry(project, user, data)
    if CostEntry.objects.filter(source_system=entry.source_system, source_ref=entry.source_ref).exists():
        raise _duplicate(entry)
    require_open_period(day=entry.date)
    period_get_or_open(period=period_of(entry.date), user=user)
    _lock_rates(entry.currency)
    base_amounts([entry])
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"source_ref": [_("An entry with this source system and reference already exists.")]}
        ) from exc
    log_created(
        entry,
        user=user,
        reason=said(gettext_noop("Counts at once: entered by finance.")) if entry.state == "approved" else "",
    )
    return entry


class BulkCheck:
    """The checks of a bulk import, fed in chunks (an import page shows its progress between them):
    each row is built and checked like one entry, plus what only the whole import shows — a source
    reference twice, two rows reversing one entry, a closed period. ``errors`` maps a row's index to
    its field errors."""

    def __init__(self, user: User, projects: dict[int, Project]):
        self.user = user
        self.projects = projects
        self.built: list[tuple[int, CostEntry]] = []
        self.errors: dict[int, dict[str, list[str]]] = {}
        self._seen: set[tuple[str, str]] = set()
        self._reversed: set[int] = set()
        self._closed = set(AccountingPeriod.objects.filter(state=PeriodState.CLOSED).values_list("period", flat=True))

    def feed(self, rows: list[dict], first_index: int = 0) -> None:
        for i, row in enumerate(rows, start=first_index):
            row = dict(row)
            project = self.projects.get(row.pop("project", None))
            if project is None:
                self.errors[i] = {"project": [_("Unknown project.")]}
                continue
            if project.is_finished:
                self.errors[i] = {
                    "project": [_("The project is “%(state)s”.") % {"state": project.get_state_display()}]
                }
                continue
            try:
                entry = _build_entry(project, self.user, row)
            except ValidationError as exc:
                self.errors[i] = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
                continue
            key = (entry.source_system, entry.source_ref)
            if key in self._seen:
                self.errors[i] = {"source_ref": [_("This source reference appears twice in the import.")]}
            elif entry.reverses_id is not None and entry.reverses_id in self._reversed:
                self.errors[i] = {"reverses": [_("Another row of the import already reverses this entry.")]}
            elif period_of(entry.date) in self._closed:
                self.errors[i] = {"date": [_("Period %(period)s is closed.") % {"period": period_of(entry.date)}]}
            else:
                self.built.append((i, entry))
            self._seen.add(key)
            if entry.reverses_id is not None:
                self._reversed.add(entry.reverses_id)

    def report(self) -> list[dict]:
        """One entry per bad row, ``[{"row": i, "errors": {field: [message, …]}}]``, with the
        references already recorded before this import checked (one query)."""
        taken = set(
            CostEntry.objects.filter(source_ref__in=[e.source_ref for _i, e in self.built]).values_list(
                "source_system", "source_ref"
            )
        )
        for i, entry in self.built:
            if (entry.source_system, entry.source_ref) in taken:
                self.errors[i] = _duplicate(entry).message_dict
        return [
            {"row": i, "errors": {k: [str(m) for m in v] for k, v in self.errors[i].items()}}
            for i in sorted(self.errors)
        ]


def _require_importer(user: User) -> None:
    if not is_finance_user(user):
        raise PermissionDenied(_("Only finance (or an integration account with the finance role) imports costs."))


@transaction.atomic
def cost_entries_bulk_create(
    *, user: User, rows: list[dict], projects: dict[int, Project], max_rows: int = BULK_MAX_ROWS
) -> list[CostEntry]:
    """Thousands of entries from an integration, all or nothing (finance only: they count at once).
    ``rows`` carry ``project`` (an id among ``projects``, those the user may use) and the entry's
    fields. Refused as a whole with one report entry per bad row: ``[{"row": i, "errors": {..}}]``."""
    _require_importer(user)
    if len(rows) > max_rows:
        raise ValidationError({"entries": [_("At most %(n)s entries per call.") % {"n": max_rows}]})
    check = BulkCheck(user, projects)
    check.feed(rows)
    return record_checked(check=check, user=user)


def record_checked(*, check: BulkCheck, user: User) -> list[CostEntry]:
    """Record the entries of a checked import (inside the caller's transaction), or refuse it whole."""
    report = check.report()
    if report:
        raise BulkRefused(report)
    entries = [entry for _i, entry in check.built]
    periods = sorted({period_of(e.date) for e in entries})
    for period in periods:
        period_get_or_open(period=period, user=user)
    # a period closed while a long import was being checked receives nothing
    closed = list(
        AccountingPeriod.objects.select_for_update()
        .filter(period__in=periods, state=PeriodState.CLOSED)
        .values_list("period", flat=True)
    )
    if closed:
        raise TransitionRefused(
            _("Period %(period)s closed while the import was checked: nothing is dated into it.")
            % {"period": ", ".join(sorted(closed))}
        )
    _lock_rates(*{e.currency for e in entries})
    for entry in entries:
        entry.period = period_of(entry.date)
    base_amounts(entries)
    created = CostEntry.objects.bulk_create(entries, batch_size=1000)
    log_created_many(created, user=user, reason=said(gettext_noop("Imported in bulk; counts at once.")))
    return created


class BulkRefused(Exception):
    """A bulk import refused as a whole; ``report`` says what is wrong with each bad row (API: 400)."""

    def __init__(self, report: list[dict]):
        super().__init__(f"{len(report)} invalid rows")
        self.report = report


@transaction.atomic
def cost_entry_transition(*, entry: CostEntry, name: str, user: User, reason: str = "") -> CostEntry:
    """``approve`` or ``reject`` (with a reason) a pending entry."""
    if name in ("approve", "reject"):
        cost_decidable.require(entry, user)
        require_open_period(day=entry.date)

    def stamp(locked: CostEntry) -> dict:
        locked.decided_by = user
        return {}

    return run_transition(entry, name, user=user, reason=reason, prepare=stamp)


@transaction.atomic
def cost_import_start(*, user: User, filename: str, content: bytes) -> CostImport:
    """Store an uploaded file of cost entries (finance) and queue its checking and recording after
    commit (the task records its progress; eagerly without a broker)."""
    _require_importer(user)
    if not filename.lower().endswith((".csv", ".xlsx")):
        raise ValidationError({"file": [_("Upload a .csv or .xlsx file.")]})
    if len(content) > settings.COST_IMPORT_MAX_BYTES:
        raise ValidationError(
            {"file": [_("The file is larger than %(mb)s MB.") % {"mb": settings.COST_IMPORT_MAX_BYTES // 2**20}]}
        )
    cost_import = CostImport.objects.create(filename=filename[:255], content=content, created_by=user, updated_by=user)
    enqueue(IMPORT_TASK, cost_import_id=cost_import.pk)
    return cost_import
