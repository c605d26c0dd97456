"""Every write on opportunities and quotes."""

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leads.models import Lead
from ltc_portal.controls.models import ReviewState
from ltc_portal.controls.selectors import latest_review
from ltc_portal.core.fsm import TransitionRefused, lock, log_created, run_effect, run_transition, said
from ltc_portal.core.limits import require_max_lines
from ltc_portal.core.money import fit, quantize
from ltc_portal.core.roles import Role, has_role
from ltc_portal.core.services import assign_fields

from .models import ATB, EstimateLine, Opportunity, OpportunityState, Quote, QuoteLine, QuoteState

OPPORTUNITY_FIELDS = (
    "customer",
    "owner",
    "solution_owner",
    "name",
    "need_summary",
    "customer_budget",
    "expected_value",
    "currency",
    "probability",
    "expected_close_date",
    "competitors",
)
QUOTE_FIELDS = ("currency", "payment_terms", "valid_until", "notes")
LINE_FIELDS = ("description", "category", "quantity", "unit_price", "discount_percent", "unit_cost")
ESTIMATE_FIELDS = ("category", "amount", "note")
REVENUE, COST = Quote._meta.get_field("revenue"), Quote._meta.get_field("cost")


def _check_people(*, user, data, current_owner=None):
    owner = data.get("owner")
    if owner is not None and owner != (current_owner or user):
        if not (user.is_superuser or has_role(user, Role.SALES_DIRECTOR)):
            raise ValidationError({"owner": [_("Only a sales director can assign opportunities to someone else.")]})
        if not has_role(owner, Role.SALES, Role.SALES_DIRECTOR):
            raise ValidationError({"owner": [_("The owner must hold the sales or sales director role.")]})
    sr = data.get("solution_owner")
    if sr is not None and not has_role(sr, Role.SOLUTION, Role.SALES, Role.SALES_DIRECTOR):
        raise ValidationError({"solution_owner": [_("The solution owner must hold the solution or sales role.")]})
    customer = data.get("customer")
    if customer is not None and not user.has_perm("leads.view_customer", customer):
        raise ValidationError({"customer": [_("Unknown customer.")]})


# Opportunities ---------------------------------------------------------------------------------


@transaction.atomic
def opportunity_create_from_lead(*, lead: Lead, user: User | None) -> Opportunity:
    """Open the opportunity of a converted lead in ``validating``: same customer and owner, the
    lead's need, budget (as customer budget and expected value). Logged as its first step."""
    need = " ".join(lead.need.split())
    name = f"{lead.company_name} — {need[:80]}" if need else str(lead.company_name)
    opportunity = Opportunity.objects.create(
        customer=lead.customer,
        lead=lead,
        owner=lead.owner,
        name=name[:200],
        need_summary=lead.need,
        customer_budget=lead.budget_amount,
        expected_value=lead.budget_amount or 0,
        currency=lead.budget_currency,
        created_by=user,
        updated_by=user,
    )
    log_created(
        opportunity,
        user=user,
        reason=said(gettext_noop("Converted from lead #%(id)s"), id=lead.pk),
        data={"lead_id": lead.pk},
    )
    return opportunity


@transaction.atomic
def opportunity_create(*, user: User, data: dict) -> Opportunity:
    if not user.has_perm("opportunities.add_opportunity"):
        raise PermissionDenied(_("You may not create opportunities."))
    data = dict(data)
    data.setdefault("owner", user)
    _check_people(user=user, data=data)
    opp = Opportunity(created_by=user, updated_by=user)
    assign_fields(opp, data, OPPORTUNITY_FIELDS)
    opp.full_clean()
    opp.save()
    log_created(opp, user=user)
    return opp


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, user: User, data: dict) -> Opportunity:
    """Change an open opportunity. Its customer and currency are fixed once ATI is approved."""
    opp = lock(opportunity)
    if not user.has_perm("opportunities.change_opportunity", opp):
        raise PermissionDenied(_("You may not change this opportunity."))
    if not opp.is_open:
        raise ValidationError(
            _("This opportunity is %(state)s; it can no longer be edited.") % {"state": opp.get_state_display()}
        )
    data = dict(data)
    if opp.state != OpportunityState.VALIDATING:
        fixed = [f for f in ("customer", "currency") if f in data and data[f] != getattr(opp, f)]
        if fixed:
            raise ValidationError({f: [_("Fixed once ATI is approved.")] for f in fixed})
    _check_people(user=user, data=data, current_owner=opp.owner)
    assign_fields(opp, data, OPPORTUNITY_FIELDS)
    opp.updated_by = user
    opp.full_clean()
    opp.save()
    return opp


def opportunity_transition(*, opportunity: Opportunity, name: str, user: User, reason: str = "") -> Opportunity:
    """``lose`` or ``abandon`` (a reason is required); the gated steps run through gate reviews and
    ``win`` through the contract's signature, so calling them here is refused with the reason.
    Losing or abandoning cancels the pre-sales project (delivery/handlers.py)."""
    return run_transition(opportunity, name, user=user, reason=reason)


def opportunity_win(*, opportunity: Opportunity, user: User, contract_number: str) -> Opportunity:
    """The opportunity's contract was signed (called by contracts.services.contract_sign)."""
    return run_effect(
        opportunity, "win", user=user, reason=said(gettext_noop("Contract %(number)s signed"), number=contract_number)
    )


# Quotes ----------------------------------------------------------------------------------------


def _validate_lines(lines, estimate_lines, currency):
    require_max_lines(lines=lines, estimate_lines=estimate_lines)
    errors = {}
    for i, line in enumerate(lines):
        if line.get("currency", currency) != currency:
            errors.setdefault("lines", []).append(
                _("Line %(n)s is in %(cur)s; every line of a quote is in the quote's currency %(quote)s.")
                % {"n": i + 1, "cur": line.get("currency"), "quote": currency}
            )
    for i, line in enumerate(estimate_lines):
        if line.get("currency", currency) != currency:
            errors.setdefault("estimate_lines", []).append(
                _("Estimate line %(n)s is in %(cur)s; the estimate is in the quote's currency %(quote)s.")
                % {"n": i + 1, "cur": line.get("currency"), "quote": currency}
            )
    if errors:
        raise ValidationError(errors)


def _write_lines(quote, lines, estimate_lines):
    quote.lines.all().delete()
    quote.estimate_lines.all().delete()
    built = []
    for i, data in enumerate(lines):
        line = QuoteLine(quote=quote, position=i, **{k: v for k, v in data.items() if k in LINE_FIELDS})
        line.full_clean(exclude=["quote"])
        built.append(line)
    estimates = []
    for data in estimate_lines:
        e = EstimateLine(quote=quote, **{k: v for k, v in data.items() if k in ESTIMATE_FIELDS})
        e.full_clean(exclude=["quote"])
        estimates.append(e)
    quote.revenue = fit(sum((line.amount for line in built), start=quantize(0)), REVENUE, key="lines")
    quote.cost = fit(sum((e.amount for e in estimates), start=quantize(0)), COST, key="estimate_lines")
    QuoteLine.objects.bulk_create(built)
    EstimateLine.objects.bulk_create(estimates)


@transaction.atomic
def quote_create(*, opportunity: Opportunity, user: User, data: dict) -> Quote:
    """A new quote version (a draft) for an open opportunity; the earlier draft or submitted version is
    superseded. Refused while ATB is under review (its version is what the deciders see) and once
    ATC is approved (the contract takes the accepted version)."""
    opp = lock(opportunity)
    if not user.has_perm("opportunities.change_opportunity", opp):
        raise PermissionDenied(_("You may not quote for this opportunity."))
    if not opp.is_open or opp.state == OpportunityState.CONTRACTING:
        raise TransitionRefused(
            _("No new quote version while the opportunity is %(state)s.") % {"state": opp.get_state_display()}
        )
    pending = latest_review(opp, ATB)
    if pending is not None and pending.state == ReviewState.PENDING:
        raise TransitionRefused(_("ATB is being reviewed on the current version; wait for the decision."))
    data = dict(data)
    lines, estimate_lines = data.pop("lines", []), data.pop("estimate_lines", [])
    data.setdefault("currency", opp.currency)
    if data["currency"] != opp.currency:
        raise ValidationError(
            {"currency": [_("The quote must be in the opportunity's currency (%(cur)s).") % {"cur": opp.currency}]}
        )
    _validate_lines(lines, estimate_lines, data["currency"])
    version = (opp.quotes.aggregate(v=Max("version"))["v"] or 0) + 1
    for older in opp.quotes.filter(state__in=[QuoteState.DRAFT, QuoteState.SUBMITTED]):
        run_effect(older, "supersede", user=user, reason=said(gettext_noop("Replaced by version %(v)s"), v=version))
    quote = Quote(opportunity=opp, version=version, created_by=user, updated_by=user)
    assign_fields(quote, data, QUOTE_FIELDS)
    quote.full_clean(exclude=["version"])
    quote.save()
    _write_lines(quote, lines, estimate_lines)
    quote.save(update_fields=["revenue", "cost"])
    log_created(quote, user=user)
    return quote


@transaction.atomic
def quote_update(*, quote: Quote, user: User, data: dict) -> Quote:
    """Edit a draft version: its terms and, when given, all its lines and estimate lines."""
    quote = lock(quote)
    if not user.has_perm("opportunities.change_opportunity", quote.opportunity):
        raise PermissionDenied(_("You may not change this quote."))
    if quote.frozen or quote.state != QuoteState.DRAFT:
        raise TransitionRefused(
            _("Version %(v)s is %(state)s and can no longer change: make a new version.")
            % {"v": quote.version, "state": quote.get_state_display()}
        )
    data = dict(data)
    lines, estimate_lines = data.pop("lines", None), data.pop("estimate_lines", None)
    if "currency" in data and data["currency"] != quote.opportunity.currency:
        raise ValidationError(
            {
                "currency": [
                    _("The quote must be in the opportunity's currency (%(cur)s).")
                    % {"cur": quote.opportunity.currency}
                ]
            }
        )
    assign_fields(quote, data, QUOTE_FIELDS)
    quote.updated_by = user
    quote.full_clean(exclude=["version"])
    if lines is not None or estimate_lines is not None:
        lines = [_line_data(li) for li in quote.lines.all()] if lines is None else lines
        estimate_lines = (
            [_est_data(e) for e in quote.estimate_lines.all()] if estimate_lines is None else estimate_lines
        )
        _validate_lines(lines, estimate_lines, quote.currency)
        _write_lines(quote, lines, estimate_lines)
    quote.save()
    return quote


def _line_data(line):
    return {k: getattr(line, k) for k in LINE_FIELDS}


def _est_data(e):
    return {k: getattr(e, k) for k in ESTIMATE_FIELDS}


@transaction.atomic
def quote_transition(*, quote: Quote, name: str, user: User, reason: str = "") -> Quote:
    """``submit`` a complete draft; ``accept`` or ``reject`` a submitted version on the customer's
    answer while bidding (accepting one supersedes the other open versions)."""
    quote = run_transition(quote, name, user=user, reason=reason)
    if name == "accept":
        for other in quote.opportunity.quotes.filter(state=QuoteState.SUBMITTED).exclude(pk=quote.pk):
            run_effect(
                other, "supersede", user=user, reason=said(gettext_noop("Version %(v)s accepted"), v=quote.version)
            )
    return quote


def quote_freeze_for_atb(*, opportunity: Opportunity) -> Quote | None:
    """ATB approved: the submitted version it approved is frozen and recorded as the bid."""
    quote = opportunity.quotes.filter(state=QuoteState.SUBMITTED).order_by("-version").first()
    if quote is None:
        return None
    Quote.objects.filter(pk=quote.pk).update(frozen=True)
    Opportunity.objects.filter(pk=opportunity.pk).update(bid_quote=quote)
    opportunity.bid_quote = quote
    return quote
