"""Contracts and their payment milestones (DOMAIN.md §3).

Lifecycle: ``draft`` → ``signed`` (only once ATC is approved; signing wins the opportunity) →
``handed_over`` (合同交底 recorded) → ``fulfilled`` (every payment milestone due and fully invoiced)
→ ``closed`` (every invoice paid, void or written off); ``terminated`` (reason) from ``signed`` and
``handed_over``. Fulfilling and closing follow finance's invoices (contracts/handlers.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from ltc_portal.core.fsm import check, may
from ltc_portal.core.indexes import trigram_index
from ltc_portal.core.models import AppendOnlyModel, LifecycleModel
from ltc_portal.core.money import CurrencyField, MoneyField, money_text, quantize
from opportunities.models import Opportunity, OpportunityState


class ContractState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    HANDED_OVER = "handed_over", _("Handed over")
    FULFILLED = "fulfilled", _("Fulfilled")
    CLOSED = "closed", _("Closed")
    TERMINATED = "terminated", _("Terminated")


#: the states of finance's invoices this app reads through ``contract.invoices`` (finance.models
#: InvoiceState; contracts imports nothing downstream)
INVOICE_ISSUED = ("issued", "partially_paid", "paid", "written_off")
INVOICE_SETTLED = ("paid", "void", "written_off")


@check(_("Every payment milestone must be due and fully invoiced."))
def fully_invoiced(contract):
    milestones = list(contract.payment_milestones.all())
    if not milestones or any(pm.state != "due" for pm in milestones):
        return False
    invoiced = {
        row["payment_milestone"]: row["total"]
        for row in contract.invoices.filter(state__in=INVOICE_ISSUED)
        .order_by()
        .values("payment_milestone")
        .annotate(total=Sum("amount"))
    }
    return all(invoiced.get(pm.pk, 0) >= pm.amount for pm in milestones)


@check(_("Every invoice must be paid, void or written off."))
def invoices_settled(contract):
    return not contract.invoices.exclude(state__in=INVOICE_SETTLED).exists()


@check(_("The opportunity must have passed ATC (be in contracting) before the contract is signed."))
def atc_passed(contract):
    return contract.opportunity.state == OpportunityState.CONTRACTING


@check(
    lambda c: (
        _("The payment milestones add up to %(sum)s, not the contract value %(value)s %(cur)s.")
        % {"sum": money_text(c.milestones_total()), "value": money_text(c.value), "cur": c.currency}
    )
)
def milestones_add_up(contract):
    return contract.payment_milestones.exists() and contract.milestones_total() == contract.value


@check(_("Only a payment of a signed contract in force becomes due (not of a draft or terminated one)."))
def contract_in_force(payment):
    return payment.contract.state in (ContractState.SIGNED, ContractState.HANDED_OVER)


@check(_("Record the signing date."))
def signed_date_recorded(contract):
    return contract.signed_date is not None


class Contract(LifecycleModel):
    """The signed agreement that turns a won opportunity into delivery and cash. Its value and
    currency come from the final (accepted) quote."""

    States = ContractState
    state_tones = {
        ContractState.DRAFT: "secondary",
        ContractState.SIGNED: "primary",
        ContractState.HANDED_OVER: "info",
        ContractState.FULFILLED: "success",
        ContractState.CLOSED: "dark",
        ContractState.TERMINATED: "danger",
    }

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.PROTECT, related_name="contracts"
    )
    number = models.CharField(_("contract number"), max_length=60, unique=True)
    value = MoneyField(_("value"), editable=False)
    currency = CurrencyField(_("currency"), editable=False)
    quote = models.ForeignKey(
        "opportunities.Quote", verbose_name=_("final quote"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    signed_date = models.DateField(_("signed on"), null=True, blank=True)
    payment_term_days = models.PositiveSmallIntegerField(
        _("payment term (days)"), default=30, help_text=_("An invoice is due this many days after its issue date.")
    )
    handover_date = models.DateField(_("handover date"), null=True, blank=True, editable=False)
    handover_attendees = models.TextField(_("handover attendees"), blank=True, editable=False)
    key_terms = models.TextField(_("key terms"), blank=True, editable=False)
    risks = models.TextField(_("risks"), blank=True, editable=False)
    open_questions = models.TextField(_("open questions"), blank=True, editable=False)
    termination_reason = models.TextField(_("termination reason"), blank=True, editable=False)
    state = FSMField(
        _("state"), default=ContractState.DRAFT, choices=ContractState.choices, protected=True, db_index=True
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at"], name="contract_created_idx"),
            trigram_index("number", name="contract_search_trgm"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="contract_value_not_negative"),
            models.UniqueConstraint(
                fields=["opportunity"],
                condition=~Q(state="terminated"),
                name="contract_one_live_per_opportunity",
                violation_error_message=_("This opportunity already has a contract."),
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def current_value(self):
        """The signed value plus its amendments."""
        return quantize(self.value + sum((a.value_change for a in self.amendments.all()), start=quantize(0)))

    def milestones_total(self):
        return quantize(self.payment_milestones.aggregate(t=Coalesce(Sum("amount"), quantize(0)))["t"])

    @transition(
        state,
        source=ContractState.DRAFT,
        target=ContractState.SIGNED,
        conditions=[atc_passed, milestones_add_up, signed_date_recorded],
        permission=may("contracts.change_contract"),
        custom={"label": _("Sign")},
    )
    def sign(self):
        """Both parties signed."""

    @transition(
        state,
        source=ContractState.SIGNED,
        target=ContractState.HANDED_OVER,
        permission=may("contracts.change_contract"),
        custom={"label": _("Hand over (合同交底)")},
    )
    def hand_over(self, date=None, attendees="", key_terms="", risks="", open_questions=""):
        self.handover_date = date
        self.handover_attendees = attendees
        self.key_terms = key_terms
        self.risks = risks
        self.open_questions = open_questions

    @transition(
        state,
        source=[ContractState.SIGNED, ContractState.HANDED_OVER],
        target=ContractState.TERMINATED,
        permission=may("contracts.change_contract"),
        custom={"label": _("Terminate"), "needs_reason": True},
    )
    def terminate(self, reason: str = ""):
        self.termination_reason = reason

    @transition(
        state,
        source=ContractState.HANDED_OVER,
        target=ContractState.FULFILLED,
        conditions=[fully_invoiced],
        custom={"label": _("Fulfilled"), "internal": _("A contract is fulfilled when everything is invoiced.")},
    )
    def fulfil(self):
        """Every payment milestone is due and fully invoiced."""

    @transition(
        state,
        source=ContractState.FULFILLED,
        target=ContractState.CLOSED,
        conditions=[fully_invoiced, invoices_settled],
        custom={"label": _("Closed"), "internal": _("A contract is closed when every invoice is settled.")},
    )
    def close(self):
        """Every invoice is paid, void or written off."""


class Trigger(models.TextChoices):
    ON_SIGNING = "on_signing", _("On signing")
    ON_ACCEPTANCE = "on_acceptance", _("On acceptance of a delivery milestone")
    ON_DATE = "on_date", _("On a date")


class PaymentMilestoneState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DUE = "due", _("Due (invoiceable)")


class PaymentMilestone(LifecycleModel):
    """A part of the contract value the customer pays on a trigger."""

    States = PaymentMilestoneState
    state_tones = {PaymentMilestoneState.DUE: "warning"}

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="payment_milestones"
    )
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=200)
    percent = models.DecimalField(_("percent of value"), max_digits=5, decimal_places=2, null=True, blank=True)
    amount = MoneyField(_("amount"))
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    milestone = models.PositiveBigIntegerField(
        _("delivery milestone"),
        null=True,
        blank=True,
        help_text=_("For “on acceptance”: the delivery milestone whose acceptance makes this payment due."),
    )
    planned_date = models.DateField(_("planned date"), null=True, blank=True)
    #: the sum of its invoices that are not void, kept by finance.services.invoices as it drafts and voids
    #: them (the invoices are the record; this is their total, so "left to invoice" needs no join)
    invoiced_amount = MoneyField(_("invoiced"), default=0, editable=False)
    state = FSMField(
        _("state"), default=PaymentMilestoneState.PLANNED, choices=PaymentMilestoneState.choices, protected=True
    )

    class Meta:
        verbose_name = _("payment milestone")
        verbose_name_plural = _("payment milestones")
        ordering = ["contract", "position", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="paymentmilestone_not_negative")]
        indexes = [
            # what is left to invoice (few rows: most milestones are invoiced in full)
            models.Index(fields=["contract"], condition=Q(amount__gt=F("invoiced_amount")), name="payment_left_idx")
        ]

    def __str__(self):
        return f"{self.contract} · {self.name}"

    @transition(
        state,
        source=PaymentMilestoneState.PLANNED,
        target=PaymentMilestoneState.DUE,
        conditions=[contract_in_force],
        custom={"label": _("Due"), "internal": _("A payment becomes due on its trigger.")},
    )
    def become_due(self):
        """Its trigger happened: finance may invoice it."""


class ContractAmendment(AppendOnlyModel):
    """A change of the contract's value agreed through an approved change request (DR2). The signed
    value stays as signed; the current value is the value plus its amendments."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="amendments"
    )
    value_change = models.DecimalField(_("value change"), max_digits=18, decimal_places=2)
    reason = models.TextField(_("reason"))
    change_request_id = models.PositiveBigIntegerField(_("change request"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract amendment")
        verbose_name_plural = _("contract amendments")
        ordering = ["contract", "recorded_at", "id"]

    def __str__(self):
        return f"{self.contract} {self.value_change:+}"
