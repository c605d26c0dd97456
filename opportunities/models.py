"""Opportunities (OTO/OTD) and their quotes with the cost estimate (概算).

Lifecycle (DOMAIN.md §3): ``validating`` → ``analysis`` (ATI) → ``bidding`` (ATB) → ``contracting``
(ATC) → ``won`` (its contract signed); ``lost`` from analysis, bidding, contracting; ``abandoned``
from validating, analysis. The gated steps run only when their gate review is approved.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from leads.models import Customer, Lead
from ltc_portal.controls.selectors import gate_approved
from ltc_portal.core.fsm import check, may
from ltc_portal.core.indexes import trigram_index
from ltc_portal.core.models import LifecycleModel
from ltc_portal.core.money import CurrencyField, MoneyField, default_currency, money_text, quantize

# The sales gates (DOMAIN.md §4) the code names; their definitions are data (controls migrations).
ATI, ATB, ATC = "ATI", "ATB", "ATC"


def margin_floor() -> Decimal:
    """The gross margin % below which ATB and ATC also need an executive (setting MIN_GROSS_MARGIN)."""
    return settings.MIN_GROSS_MARGIN


class OpportunityState(models.TextChoices):
    VALIDATING = "validating", _("Validating")
    ANALYSIS = "analysis", _("Analysis")
    BIDDING = "bidding", _("Bidding")
    CONTRACTING = "contracting", _("Contracting")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    ABANDONED = "abandoned", _("Abandoned")


OPEN_OPPORTUNITY_STATES = (
    OpportunityState.VALIDATING,
    OpportunityState.ANALYSIS,
    OpportunityState.BIDDING,
    OpportunityState.CONTRACTING,
)


class Opportunity(LifecycleModel):
    """A validated chance to sell to a customer, from a converted lead or entered directly."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="opportunities"
    )
    lead = models.OneToOneField(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunity",
        editable=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner (AR)"), on_delete=models.PROTECT, related_name="opportunities"
    )
    solution_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("solution owner (SR)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=200)
    need_summary = models.TextField(_("need summary"), blank=True)
    customer_budget = MoneyField(_("customer budget"), null=True, blank=True)
    expected_value = MoneyField(_("expected value"), default=0)
    currency = CurrencyField(_("currency"), default=default_currency)
    probability = models.PositiveSmallIntegerField(
        _("probability %"), default=10, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    competitors = models.TextField(_("competitors"), blank=True)
    loss_reason = models.TextField(_("loss reason"), blank=True, editable=False)
    bid_quote = models.ForeignKey(
        "Quote",
        verbose_name=_("quote approved at ATB"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    state = FSMField(
        _("state"), default=OpportunityState.VALIDATING, choices=OpportunityState.choices, protected=True, db_index=True
    )

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="opportunity_created_idx"),
            models.Index(fields=["owner", "-created_at"], name="opp_owner_created_idx"),
            models.Index(fields=["solution_owner", "-created_at"], name="opp_solution_created_idx"),
            models.Index(fields=["expected_close_date"], name="opportunity_close_idx"),
            models.Index(fields=["expected_value"], name="opportunity_value_idx"),
            trigram_index("name", name="opportunity_search_trgm"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(expected_value__gte=0), name="opportunity_value_not_negative"),
            models.CheckConstraint(
                condition=Q(probability__gte=0) & Q(probability__lte=100), name="opportunity_probability_0_100"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("opportunities:opportunity-detail", args=[self.pk])

    @property
    def weighted_value(self) -> Decimal:
        return quantize(self.expected_value * self.probability / 100)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_OPPORTUNITY_STATES

    # Gated steps: run by the control-point engine when the gate's last role approves.
    @transition(
        state,
        source=OpportunityState.VALIDATING,
        target=OpportunityState.ANALYSIS,
        conditions=[gate_approved(ATI)],
        custom={"label": _("ATI: start analysis")},
    )
    def ati(self):
        """ATI approved: the opportunity is worth pursuing."""

    @transition(
        state,
        source=OpportunityState.ANALYSIS,
        target=OpportunityState.BIDDING,
        conditions=[gate_approved(ATB)],
        custom={"label": _("ATB: bid")},
    )
    def atb(self):
        """ATB approved: the bid goes to the customer."""

    @transition(
        state,
        source=OpportunityState.BIDDING,
        target=OpportunityState.CONTRACTING,
        conditions=[gate_approved(ATC)],
        custom={"label": _("ATC: negotiate the contract")},
    )
    def atc(self):
        """ATC approved: we may sign."""

    @transition(
        state,
        source=OpportunityState.CONTRACTING,
        target=OpportunityState.WON,
        custom={"label": _("Won"), "internal": _("An opportunity is won when its contract is signed.")},
    )
    def win(self):
        """Its contract was signed (contracts.services.contract_sign)."""

    @transition(
        state,
        source=[OpportunityState.ANALYSIS, OpportunityState.BIDDING, OpportunityState.CONTRACTING],
        target=OpportunityState.LOST,
        permission=may("opportunities.change_opportunity"),
        custom={"label": _("Lose"), "needs_reason": True},
    )
    def lose(self, reason: str = ""):
        self.loss_reason = reason

    @transition(
        state,
        source=[OpportunityState.VALIDATING, OpportunityState.ANALYSIS],
        target=OpportunityState.ABANDONED,
        permission=may("opportunities.change_opportunity"),
        custom={"label": _("Abandon"), "needs_reason": True},
    )
    def abandon(self, reason: str = ""):
        self.loss_reason = reason


class QuoteState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted by the customer")
    REJECTED = "rejected", _("Rejected by the customer")
    SUPERSEDED = "superseded", _("Superseded")


class LineCategory(models.TextChoices):
    EQUIPMENT = "equipment", _("Equipment")
    SOFTWARE = "software", _("Software")
    SERVICE = "service", _("Services")
    LABOUR = "labour", _("Labour")
    SUBCONTRACT = "subcontract", _("Subcontract")
    OTHER = "other", _("Other")


class CostCategory(models.TextChoices):
    LABOUR = "labour", _("Labour")
    EQUIPMENT = "equipment", _("Equipment")
    SUBCONTRACT = "subcontract", _("Subcontract")
    TRAVEL = "travel", _("Travel")
    RISK_RESERVE = "risk_reserve", _("Risk reserve")
    OTHER = "other", _("Other")


@check(_("Add at least one priced line and one estimate cost line first."))
def quote_complete(quote):
    return quote.lines.exists() and quote.estimate_lines.exists()


@check(_("The customer answers a quote only while the opportunity is bidding (after ATB)."))
def opportunity_bidding(quote):
    return quote.opportunity.state in (OpportunityState.BIDDING, OpportunityState.CONTRACTING)


class Quote(LifecycleModel):
    """One version of the offer for an opportunity: priced lines and the cost estimate (概算) its
    margin is computed from. Editable only as a draft; a change afterwards is a new version."""

    States = QuoteState
    state_tones = {
        QuoteState.DRAFT: "secondary",
        QuoteState.SUBMITTED: "primary",
        QuoteState.ACCEPTED: "success",
        QuoteState.REJECTED: "danger",
    }

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.PROTECT, related_name="quotes"
    )
    version = models.PositiveIntegerField(_("version"), editable=False)
    currency = CurrencyField(_("currency"), default=default_currency)
    payment_terms = models.TextField(_("payment terms"), blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    frozen = models.BooleanField(_("frozen by ATB"), default=False, editable=False)
    revenue = MoneyField(_("revenue"), default=0, editable=False)
    cost = MoneyField(_("cost"), default=0, editable=False)
    state = FSMField(_("state"), default=QuoteState.DRAFT, choices=QuoteState.choices, protected=True, db_index=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["opportunity", "-version"]
        constraints = [models.UniqueConstraint(fields=["opportunity", "version"], name="quote_unique_version")]

    def __str__(self):
        return f"{self.opportunity} v{self.version}"

    @property
    def gross_margin(self) -> Decimal:
        return quantize(self.revenue - self.cost)

    @property
    def margin_percent(self) -> Decimal | None:
        if not self.revenue:
            return None
        return (self.gross_margin * 100 / self.revenue).quantize(Decimal("0.01"))

    @property
    def below_margin(self) -> bool:
        """The margin rule, in one place: below the floor, ATB and ATC also need an executive."""
        return self.margin_percent is not None and self.margin_percent < margin_floor()

    @transition(
        state,
        source=QuoteState.DRAFT,
        target=QuoteState.SUBMITTED,
        conditions=[quote_complete],
        permission=may("opportunities.change_quote"),
        custom={"label": _("Submit")},
    )
    def submit(self):
        """Ready: the version goes to ATB, or to the customer during bidding."""

    @transition(
        state,
        source=QuoteState.SUBMITTED,
        target=QuoteState.ACCEPTED,
        conditions=[opportunity_bidding],
        permission=may("opportunities.change_quote"),
        custom={"label": _("Customer accepted")},
    )
    def accept(self):
        """The customer accepted this version: it is the final quote for ATC and the contract."""

    @transition(
        state,
        source=QuoteState.SUBMITTED,
        target=QuoteState.REJECTED,
        conditions=[opportunity_bidding],
        permission=may("opportunities.change_quote"),
        custom={"label": _("Customer rejected"), "needs_reason": True},
    )
    def reject(self, reason: str = ""):
        """The customer rejected this version (the reason is kept in the log)."""

    @transition(
        state,
        source=[QuoteState.DRAFT, QuoteState.SUBMITTED],
        target=QuoteState.SUPERSEDED,
        custom={"label": _("Superseded"), "internal": _("A quote is superseded when a new version is made.")},
    )
    def supersede(self):
        """A newer version replaces it."""


class QuoteLine(models.Model):
    """A priced line of a quote."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(_("description"), max_length=300)
    category = models.CharField(_("category"), max_length=20, choices=LineCategory.choices, default=LineCategory.OTHER)
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    unit_price = MoneyField(_("unit price"))
    discount_percent = models.DecimalField(
        _("discount %"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    unit_cost = MoneyField(_("unit cost"), default=0)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0) & Q(unit_price__gte=0) & Q(unit_cost__gte=0), name="quoteline_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100), name="quoteline_discount_0_100"
            ),
        ]

    def __str__(self):
        return self.description

    @property
    def amount(self) -> Decimal:
        return quantize(self.quantity * self.unit_price * (100 - self.discount_percent) / 100)

    @property
    def line_cost(self) -> Decimal:
        return quantize(self.quantity * self.unit_cost)


class EstimateLine(models.Model):
    """A cost line of the estimate (概算) by category."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="estimate_lines")
    category = models.CharField(_("category"), max_length=20, choices=CostCategory.choices)
    amount = MoneyField(_("amount"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("estimate line")
        verbose_name_plural = _("estimate lines")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="estimateline_not_negative")]

    def __str__(self):
        return f"{self.get_category_display()} {money_text(self.amount)}"
