"""Every write on budgets. Drafting, changing and submitting a version need the project writable by
the user (its PM or the PMO, the project neither closed nor cancelled: ``delivery.rules``); approval
and rejection are effects of DR1, run by finance/handlers.py; an approved DR2 change with a cost impact
makes the next version, submitted and approved by that DR2 decision (it is the current budget from
then on: the accounting's BAC follows approved changes)."""

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from delivery.models import ChangeRequest, Project
from delivery.rules import project_open, project_writable
from ltc_portal.core.fsm import TransitionRefused, lock, log_created, run_effect, run_transition, said
from ltc_portal.core.limits import require_max_lines
from ltc_portal.core.money import fit, quantize

from ..models import CHANGED_THROUGH_DR2, Budget, BudgetLine, BudgetState, budget_approved
from ..selectors import budget_current, budget_submitted

TOTAL = Budget._meta.get_field("total")


def _write_lines(budget, lines):
    require_max_lines(lines=lines)
    budget.lines.all().delete()
    built = []
    for data in lines:
        line = BudgetLine(budget=budget, **{k: v for k, v in data.items() if k in ("category", "amount", "note")})
        line.full_clean(exclude=["budget"])
        built.append(line)
    budget.total = fit(sum((li.amount for li in built), start=quantize(0)), TOTAL, key="lines")
    BudgetLine.objects.bulk_create(built)


@transaction.atomic
def budget_create(*, project: Project, user: User, data: dict) -> Budget:
    """A new budget version (draft) in the project currency; one draft at a time."""
    project = lock(project)
    project_writable.require(project, user)
    data = dict(data)
    currency = data.pop("currency", project.currency)
    if currency != project.currency:
        raise ValidationError(
            {"currency": [_("A budget is in the project currency (%(cur)s).") % {"cur": project.currency}]}
        )
    if budget_approved(project):  # first: a draft left from before DR1 can be neither changed nor submitted
        raise TransitionRefused(str(CHANGED_THROUGH_DR2))
    if project.budgets.filter(state__in=[BudgetState.DRAFT]).exists():
        raise TransitionRefused(_("The project already has a draft budget: change or submit it."))
    version = (project.budgets.aggregate(v=Max("version"))["v"] or 0) + 1
    budget = Budget(
        project=project, version=version, currency=currency, note=data.get("note", ""), created_by=user, updated_by=user
    )
    budget.save()
    _write_lines(budget, data.get("lines") or [])
    budget.save(update_fields=["total"])
    log_created(budget, user=user)
    return budget


@transaction.atomic
def budget_update(*, budget: Budget, user: User, data: dict) -> Budget:
    """Change a draft version; a submitted or approved version is never edited, nor a draft once DR1
    has approved another version."""
    budget = lock(budget)
    project_writable.require(budget.project, user)
    if budget.state != BudgetState.DRAFT:
        raise TransitionRefused(
            _("Budget version %(v)s is %(state)s and is never edited: make a new version.")
            % {"v": budget.version, "state": budget.get_state_display()}
        )
    if budget_approved(budget.project):  # a draft left from before DR1: no gate would approve it
        raise TransitionRefused(str(CHANGED_THROUGH_DR2))
    if "currency" in data and data["currency"] != budget.currency:
        raise ValidationError(
            {"currency": [_("A budget is in the project currency (%(cur)s).") % {"cur": budget.currency}]}
        )
    if "note" in data:
        budget.note = data["note"]
    if "lines" in data:
        _write_lines(budget, data["lines"])
    budget.updated_by = user
    budget.save()
    return budget


@transaction.atomic
def budget_transition(*, budget: Budget, name: str, user: User, reason: str = "") -> Budget:
    """``submit`` a draft with lines; ``approve`` and ``reject`` follow DR1 (409 when called)."""
    project_open.require(budget.project)
    return run_transition(budget, name, user=user, reason=reason)


def budget_approve_submitted(*, project: Project, user: User | None, reason: str, review=None) -> Budget | None:
    """DR1 approved (``review``): the version its deciders were shown becomes the approved (current)
    budget, and every other draft or submitted version is set aside (rejected): no gate would approve
    it any more."""
    budget = _shown_or_latest_submitted(project, review)
    if budget is None:
        return None
    review_id = review.pk if review is not None else None
    approved = run_effect(budget, "approve", user=user, reason=reason, gate_review_id=review_id)
    aside = said(gettext_noop("Set aside: DR1 approved version %(v)s"), v=budget.version)
    for other in project.budgets.filter(state__in=[BudgetState.DRAFT, BudgetState.SUBMITTED]).order_by("version"):
        run_effect(other, "reject", user=user, reason=aside, gate_review_id=review_id)
    return approved


def _shown_or_latest_submitted(project: Project, review) -> Budget | None:
    """The submitted version DR1's deciders were shown (``budget_id``, kept on the review when it was
    requested: finance.gates.dr1_context), else the latest submitted (a review from before that)."""
    context = review.context if review is not None and isinstance(review.context, dict) else {}
    shown = context.get("budget_id")
    budget = project.budgets.filter(pk=shown, state=BudgetState.SUBMITTED).first() if isinstance(shown, int) else None
    return budget or budget_submitted(project)


def budget_reject_submitted(*, project: Project, user: User | None, reason: str, review=None) -> Budget | None:
    """DR1 rejected (``review``): the version its deciders were shown is rejected; the PM drafts a new one."""
    budget = _shown_or_latest_submitted(project, review)
    if budget is None:
        return None
    return run_effect(
        budget, "reject", user=user, reason=reason, gate_review_id=review.pk if review is not None else None
    )


@transaction.atomic
def budget_version_for_change(*, change: ChangeRequest, user: User | None) -> Budget:
    """An approved change with a cost impact: the next version (approved) is the current budget with
    the impact applied — a line for an increase; a saving taken from the largest lines, never below
    zero."""
    project = change.project
    base = budget_current(project) or project.budgets.order_by("-version").first()
    lines = [
        {"category": li.category, "amount": li.amount, "note": li.note} for li in (base.lines.all() if base else [])
    ]
    note = _("Change #%(id)s: %(title)s") % {"id": change.pk, "title": change.title}
    if change.cost_impact > 0:
        lines.append({"category": "other", "amount": quantize(change.cost_impact), "note": note[:200]})
    else:
        saving = -change.cost_impact
        for line in sorted(lines, key=lambda li: li["amount"], reverse=True):
            cut = min(saving, line["amount"])
            line["amount"] -= cut
            saving -= cut
            if not saving:
                break
    fit(
        sum((li["amount"] for li in lines), start=quantize(0)),
        TOTAL,
        key="cost_impact",
    )
    version = (project.budgets.aggregate(v=Max("version"))["v"] or 0) + 1
    budget = Budget.objects.create(
        project=project, version=version, currency=project.currency, note=note, created_by=user, updated_by=user
    )
    _write_lines(budget, lines)
    budget.save(update_fields=["total"])
    log_created(budget, user=user, reason=note)
    # the DR2 decision approved the change with its cost impact: that is this version's approval
    return run_effect(
        budget,
        "approve_with_change",
        user=user,
        reason=said(gettext_noop("Approved with change #%(id)s (DR2)"), id=change.pk),
    )
