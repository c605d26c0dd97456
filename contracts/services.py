"""Every write on contracts and payment milestones."""

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ltc_portal.core.fsm import TransitionRefused, lock, log_created, run_effect, run_transition, said, unmet_conditions
from ltc_portal.core.limits import require_max_lines
from ltc_portal.core.money import fit, money_text, quantize
from opportunities.models import Opportunity, OpportunityState
from opportunities.selectors import accepted_quote
from opportunities.services import opportunity_win

from .models import Contract, ContractAmendment, ContractState, PaymentMilestone, PaymentMilestoneState, Trigger

MILESTONE_FIELDS = ("name", "amount", "percent", "trigger", "milestone", "planned_date")
HANDOVER_FIELDS = ("date", "attendees", "key_terms", "risks", "open_questions")


def _milestones(contract: Contract, items: list[dict]) -> list[PaymentMilestone]:
    """Build the payment milestones; each gives an amount or a percent of the value; they must add
    up exactly to the contract value."""
    require_max_lines(payment_milestones=items)
    built, errors = [], []
    for i, data in enumerate(items):
        data = {k: v for k, v in data.items() if k in MILESTONE_FIELDS}
        amount, percent = data.get("amount"), data.get("percent")
        if amount is None and percent is None:
            errors.append(_("Milestone %(n)s: give an amount or a percent.") % {"n": i + 1})
            continue
        if amount is None:
            amount = quantize(contract.value * Decimal(percent) / 100)
        elif percent is not None and quantize(contract.value * Decimal(percent) / 100) != quantize(amount):
            errors.append(
                _("Milestone %(n)s: %(amount)s is not %(percent)s%% of the contract value; give one or the other.")
                % {"n": i + 1, "amount": amount, "percent": percent}
            )
            continue
        if data.get("trigger") == Trigger.ON_DATE and not data.get("planned_date"):
            errors.append(_("Milestone %(n)s: a date trigger needs its planned date.") % {"n": i + 1})
        pm = PaymentMilestone(
            contract=contract,
            position=i,
            name=data.get("name", ""),
            amount=amount,
            percent=percent,
            trigger=data.get("trigger", ""),
            milestone=data.get("milestone"),
            planned_date=data.get("planned_date"),
        )
        try:
            pm.full_clean(exclude=["contract"])
        except ValidationError as exc:
            errors.extend(f"{_('Milestone %(n)s') % {'n': i + 1}}: {m}" for m in exc.messages)
        built.append(pm)
    if not errors:
        total = quantize(sum((pm.amount for pm in built), start=Decimal(0)))
        if not built:
            errors.append(_("Give the payment milestones."))
        elif total != contract.value:
            errors.append(
                _("The payment milestones add up to %(sum)s, not the contract value %(value)s %(cur)s.")
                % {"sum": money_text(total), "value": money_text(contract.value), "cur": contract.currency}
            )
    if errors:
        raise ValidationError({"payment_milestones": errors})
    return built


@transaction.atomic
def contract_create(*, opportunity: Opportunity, user: User, data: dict) -> Contract:
    """Draft the contract of an opportunity in ``contracting``: value and currency from its final
    (accepted) quote; payment milestones adding up exactly to the value."""
    opp = lock(opportunity)
    if not user.has_perm("contracts.add_contract", None) or not user.has_perm("opportunities.change_opportunity", opp):
        raise PermissionDenied(_("You may not draft a contract for this opportunity."))
    if opp.state != OpportunityState.CONTRACTING:
        raise TransitionRefused(
            _("A contract is drafted once ATC is approved."),
            [_("The opportunity is %(state)s.") % {"state": opp.get_state_display()}],
        )
    quote = accepted_quote(opp)
    if quote is None:
        raise TransitionRefused(_("The opportunity has no accepted quote."))
    if opp.contracts.exclude(state=ContractState.TERMINATED).exists():
        raise TransitionRefused(_("This opportunity already has a contract."))
    contract = Contract(
        opportunity=opp,
        number=(data.get("number") or "").strip(),
        value=quote.revenue,
        currency=quote.currency,
        quote=quote,
        signed_date=data.get("signed_date"),
        payment_term_days=data.get("payment_term_days") or 30,
        created_by=user,
        updated_by=user,
    )
    contract.full_clean(exclude=["quote"])
    milestones = _milestones(contract, data.get("payment_milestones") or [])
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError as exc:
        raise TransitionRefused(_("This opportunity already has a contract.")) from exc
    for pm in milestones:
        pm.contract = contract
        pm.created_by = pm.updated_by = user
    PaymentMilestone.objects.bulk_create(milestones)
    log_created(contract, user=user)
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, user: User, data: dict) -> Contract:
    """Change a draft: number, signing date, and (all of) its payment milestones."""
    contract = lock(contract)
    if not user.has_perm("contracts.change_contract", contract):
        raise PermissionDenied(_("You may not change this contract."))
    if contract.state != ContractState.DRAFT:
        raise TransitionRefused(
            _("A %(state)s contract is not edited; amendments come with change requests.")
            % {"state": contract.get_state_display()}
        )
    unknown = set(data) - {"number", "signed_date", "payment_term_days", "payment_milestones"}
    if unknown:
        raise ValidationError({f: [_("This field cannot be set here.")] for f in sorted(unknown)})
    for f in ("number", "signed_date", "payment_term_days"):
        if f in data:
            setattr(contract, f, data[f])
    contract.updated_by = user
    contract.full_clean(exclude=["quote"])
    if "payment_milestones" in data:
        milestones = _milestones(contract, data["payment_milestones"])
        contract.payment_milestones.all().delete()
        for pm in milestones:
            pm.created_by = pm.updated_by = user
        PaymentMilestone.objects.bulk_create(milestones)
    contract.save()
    return contract


def contract_transition(*, contract: Contract, name: str, user: User, reason: str = "", **data) -> Contract:
    if name == "sign":
        return contract_sign(contract=contract, user=user, reason=reason)
    if name == "hand_over":
        return contract_hand_over(contract=contract, user=user, **data)
    return run_transition(contract, name, user=user, reason=reason)


@transaction.atomic
def contract_sign(*, contract: Contract, user: User, reason: str = "") -> Contract:
    """Sign (ATC approved, milestones adding up, signing date recorded): the opportunity is won and
    the payments triggered on signing become due."""
    contract = run_transition(contract, "sign", user=user, reason=reason)
    opportunity_win(opportunity=contract.opportunity, user=user, contract_number=contract.number)
    for pm in contract.payment_milestones.filter(trigger=Trigger.ON_SIGNING):
        run_effect(pm, "become_due", user=user, reason=said(gettext_noop("Contract signed")))
    return contract


@transaction.atomic
def contract_hand_over(
    *,
    contract: Contract,
    user: User,
    date=None,
    attendees="",
    key_terms="",
    risks="",
    open_questions="",
    reason: str = "",
) -> Contract:
    """Record the contract handover (合同交底): date, attendees, key terms, risks and open questions,
    all required."""
    values = {
        "date": date,
        "attendees": attendees,
        "key_terms": key_terms,
        "risks": risks,
        "open_questions": open_questions,
    }
    missing = {
        k: [_("Required for the handover.")]
        for k, v in values.items()
        if not v or (isinstance(v, str) and not v.strip())
    }
    if missing:
        raise ValidationError(missing)
    return run_transition(contract, "hand_over", user=user, reason=reason, data={"date": str(date)}, **values)


@transaction.atomic
def payments_due_on_acceptance(*, milestone, user: User) -> list[PaymentMilestone]:
    """A delivery milestone was accepted: the payment milestones it triggers become due (invoiceable)."""
    due = []
    for pm in PaymentMilestone.objects.filter(
        trigger=Trigger.ON_ACCEPTANCE,
        milestone=milestone.pk,
        state="planned",
        contract__state__in=[ContractState.SIGNED, ContractState.HANDED_OVER],
    ):
        due.append(
            run_effect(
                pm,
                "become_due",
                user=user,
                reason=said(gettext_noop("Milestone “%(name)s” accepted"), name=milestone.name),
            )
        )
    return due


@transaction.atomic
def payment_milestone_link(*, payment: PaymentMilestone, milestone_id: int | None, user: User) -> PaymentMilestone:
    """Name (or clear) the delivery milestone whose acceptance makes an on-acceptance payment due.
    The delivery milestones exist only once the contract is signed, so the link is made from the
    delivery side, which has checked the milestone is of the contract's project. Only while the
    payment is planned and the contract in force."""
    payment = lock(payment)
    if payment.trigger != Trigger.ON_ACCEPTANCE:
        raise ValidationError(
            {"payment_milestone": [_("“%(name)s” is not paid on acceptance.") % {"name": payment.name}]}
        )
    if payment.state != PaymentMilestoneState.PLANNED:
        raise TransitionRefused(
            _("“%(name)s” is already due: its trigger is kept.") % {"name": payment.name},
            [_("The payment is %(state)s.") % {"state": payment.get_state_display()}],
        )
    if payment.contract.state not in (ContractState.SIGNED, ContractState.HANDED_OVER):
        raise TransitionRefused(
            _("The contract is “%(state)s”: its payments are not re-linked.")
            % {"state": payment.contract.get_state_display()}
        )
    payment.milestone = milestone_id
    payment.updated_by = user
    payment.save(update_fields=["milestone", "updated_by", "updated_at"])
    return payment


@transaction.atomic
def payments_due_on_date(*, day) -> list[PaymentMilestone]:
    """The daily job: payment milestones triggered on a date on or before ``day``, of signed contracts,
    become due (each logged as a step the portal took). Running it twice does nothing more."""
    due = []
    for pm in PaymentMilestone.objects.filter(
        trigger=Trigger.ON_DATE,
        state="planned",
        planned_date__lte=day,
        contract__state__in=[ContractState.SIGNED, ContractState.HANDED_OVER],
    ).order_by("planned_date", "pk"):
        due.append(
            run_effect(
                pm,
                "become_due",
                user=None,
                reason=said(gettext_noop("Planned date %(date)s reached"), date=pm.planned_date),
            )
        )
    return due


def contract_follow_invoices(*, contract: Contract, user: User | None) -> Contract:
    """Fulfil a handed-over contract once everything is invoiced, and close a fulfilled one once every
    invoice is settled (both steps the portal takes; nothing happens while their conditions fail)."""
    contract = Contract.objects.get(pk=contract.pk)
    if contract.state == ContractState.HANDED_OVER and not unmet_conditions(contract, "fulfil"):
        contract = run_effect(
            contract, "fulfil", user=user, reason=said(gettext_noop("Every payment milestone is invoiced."))
        )
    if contract.state == ContractState.FULFILLED and not unmet_conditions(contract, "close"):
        contract = run_effect(contract, "close", user=user, reason=said(gettext_noop("Every invoice is settled.")))
    return contract


@transaction.atomic
def contract_amend(
    *, contract: Contract, value_change, reason: str, user: User | None, change_request_id=None
) -> ContractAmendment:
    """Record a change of the contract's value (from an approved change request); never edited."""
    contract = lock(contract)
    if contract.state not in (ContractState.SIGNED, ContractState.HANDED_OVER):
        raise TransitionRefused(_("Only a signed contract is amended."))
    fit(contract.current_value + value_change, Contract._meta.get_field("value"), key="value_change")
    return ContractAmendment.objects.create(
        contract=contract,
        value_change=value_change,
        reason=reason,
        change_request_id=change_request_id,
        recorded_by=user,
    )
