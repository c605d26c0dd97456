"""Leads (LTO): customers, their contacts, and leads with their lifecycle (DOMAIN.md §3)."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from ltc_portal.core.fsm import check, may
from ltc_portal.core.indexes import trigram_index
from ltc_portal.core.models import AuditedModel, LifecycleModel
from ltc_portal.core.money import CurrencyField, MoneyField, default_currency

from .normalize import normalize_company, normalize_email, normalize_phone
from .scoring import lead_score


class Customer(AuditedModel):
    """A company we sell to. De-duplicated on its normalised name and, when known, its tax ID."""

    name = models.CharField(_("name"), max_length=200)
    name_normalized = models.CharField(_("normalised name"), max_length=200, editable=False)
    tax_id = models.CharField(
        _("tax ID"), max_length=40, blank=True, help_text=_("Unified social credit code or VAT number.")
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="customers"
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["name", "id"], name="customer_name_idx"),
            models.Index(fields=["owner", "name"], name="customer_owner_name_idx"),
            trigram_index("name", "tax_id", name="customer_search_trgm"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["name_normalized"],
                name="customer_unique_normalized_name",
                violation_error_message=_("A customer with this name already exists."),
            ),
            models.UniqueConstraint(
                fields=["tax_id"],
                condition=~Q(tax_id=""),
                name="customer_unique_tax_id",
                violation_error_message=_("A customer with this tax ID already exists."),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = self.name.strip()
        self.tax_id = self.tax_id.strip().upper()
        self.name_normalized = normalize_company(self.name)
        super().save(*args, **kwargs)


class Contact(AuditedModel):
    """A person at a customer."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer__name", "name"]
        indexes = [trigram_index("name", "email", "phone", name="contact_search_trgm")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "email"],
                condition=~Q(email=""),
                name="contact_unique_email_per_customer",
                violation_error_message=_("This customer already has a contact with this e-mail."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.customer})"

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)


class LeadState(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    NURTURING = "nurturing", _("Nurturing")
    QUALIFIED = "qualified", _("Qualified")
    CONVERTED = "converted", _("Converted")
    DISQUALIFIED = "disqualified", _("Disqualified")


OPEN_LEAD_STATES = (LeadState.NEW, LeadState.CONTACTED, LeadState.NURTURING, LeadState.QUALIFIED)


class LeadSource(models.TextChoices):
    REFERRAL = "referral", _("Customer referral")
    PARTNER = "partner", _("Partner")
    EVENT = "event", _("Event / exhibition")
    WEBSITE = "website", _("Website / inbound")
    CAMPAIGN = "campaign", _("Marketing campaign")
    TENDER = "tender", _("Public tender notice")
    COLD_CALL = "cold_call", _("Cold call")
    OTHER = "other", _("Other")


class Timeline(models.TextChoices):
    WITHIN_3_MONTHS = "within_3_months", _("Within 3 months")
    MONTHS_3_TO_6 = "3_to_6_months", _("3 to 6 months")
    MONTHS_6_TO_12 = "6_to_12_months", _("6 to 12 months")
    OVER_12_MONTHS = "over_12_months", _("Over 12 months")


@check(
    lambda lead: _("Record the %(missing)s before qualifying.") % {"missing": ", ".join(lead.missing_qualification())}
)
def need_budget_timeline_recorded(lead):
    return not lead.missing_qualification()


class Lead(LifecycleModel):
    """A sales lead: someone who may buy, not yet an opportunity. Converted into a customer,
    a contact and an opportunity once need, budget and timeline are known."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="leads"
    )
    source = models.CharField(_("source"), max_length=20, choices=LeadSource.choices, default=LeadSource.OTHER)
    campaign = models.CharField(_("campaign"), max_length=120, blank=True)
    company_name = models.CharField(_("company"), max_length=200)
    company_normalized = models.CharField(max_length=200, editable=False, db_index=True)
    contact_name = models.CharField(_("contact name"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_normalized = models.CharField(max_length=40, editable=False, db_index=True, blank=True)
    need = models.TextField(_("need"), blank=True)
    budget_amount = MoneyField(_("budget"), null=True, blank=True)
    budget_currency = CurrencyField(_("budget currency"), default=default_currency)
    timeline = models.CharField(_("timeline"), max_length=20, choices=Timeline.choices, blank=True)
    score = models.PositiveSmallIntegerField(
        _("score"), default=0, validators=[MaxValueValidator(100)], db_index=True, editable=False
    )
    notes = models.TextField(_("notes"), blank=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        editable=False,
    )
    customer_contact = models.ForeignKey(
        Contact,
        verbose_name=_("customer contact"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        editable=False,
    )
    disqualify_reason = models.TextField(_("disqualification reason"), blank=True, editable=False)
    state = FSMField(_("state"), default=LeadState.NEW, choices=LeadState.choices, protected=True, db_index=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-score", "-created_at"]
        # every ordering the list offers, for everyone and per owner (a sales user reads their own);
        # the trigram index serves the search's icontains on PostgreSQL (created there only)
        indexes = [
            models.Index(fields=["-score", "-created_at"], name="lead_rank_idx"),
            models.Index(fields=["owner", "-score", "-created_at"], name="lead_owner_rank_idx"),
            models.Index(fields=["-created_at"], name="lead_created_idx"),
            models.Index(fields=["owner", "-created_at"], name="lead_owner_created_idx"),
            models.Index(fields=["company_name"], name="lead_company_idx"),
            models.Index(fields=["owner", "company_name"], name="lead_owner_company_idx"),
            models.Index(fields=["budget_amount"], name="lead_budget_idx"),
            models.Index(fields=["owner", "budget_amount"], name="lead_owner_budget_idx"),
            trigram_index("company_name", "contact_name", "email", "phone", "need", name="lead_search_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | Q(budget_amount__gte=0), name="lead_budget_not_negative"
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="lead_score_max_100"),
        ]

    def __str__(self):
        return f"{self.company_name} — {self.contact_name}" if self.contact_name else self.company_name

    def derive(self) -> None:
        """Keep the normalised match keys and the score current (called on every save)."""
        self.company_name = self.company_name.strip()
        self.company_normalized = normalize_company(self.company_name)
        self.email = normalize_email(self.email)
        self.phone_normalized = normalize_phone(self.phone)
        self.score = lead_score(self)

    def save(self, *args, **kwargs):
        self.derive()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "score", "company_normalized", "phone_normalized"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_LEAD_STATES

    def missing_qualification(self) -> list[str]:
        missing = []
        if not self.need.strip():
            missing.append(str(_("need")))
        if not self.budget_amount:
            missing.append(str(_("budget")))
        if not self.timeline:
            missing.append(str(_("timeline")))
        return missing

    # Lifecycle (DOMAIN.md §3). Run through leads.services, which locks, checks and logs.
    @transition(
        state,
        source=LeadState.NEW,
        target=LeadState.CONTACTED,
        permission=may("leads.change_lead"),
        custom={"label": pgettext_lazy("lead step", "Contact")},
    )
    def contact(self):
        """First contact made."""

    @transition(
        state,
        source=LeadState.CONTACTED,
        target=LeadState.NURTURING,
        permission=may("leads.change_lead"),
        custom={"label": _("Nurture")},
    )
    def nurture(self):
        """Interested but not ready: keep in touch."""

    @transition(
        state,
        source=[LeadState.CONTACTED, LeadState.NURTURING],
        target=LeadState.QUALIFIED,
        conditions=[need_budget_timeline_recorded],
        permission=may("leads.change_lead"),
        custom={"label": _("Qualify")},
    )
    def qualify(self):
        """Need, budget and timeline are known."""

    @transition(
        state,
        source=LeadState.QUALIFIED,
        target=LeadState.CONVERTED,
        permission=may("leads.change_lead"),
        custom={"label": _("Convert")},
    )
    def convert(self):
        """Becomes a customer, contact and opportunity (leads.services.lead_convert)."""

    @transition(
        state,
        source=list(OPEN_LEAD_STATES),
        target=LeadState.DISQUALIFIED,
        permission=may("leads.change_lead"),
        custom={"label": _("Disqualify"), "needs_reason": True},
    )
    def disqualify(self, reason: str = ""):
        self.disqualify_reason = reason

    @transition(
        state,
        source=LeadState.DISQUALIFIED,
        target=LeadState.CONTACTED,
        permission=may("leads.change_lead"),
        custom={"label": _("Reopen")},
    )
    def reopen(self):
        """Back in play after a disqualification."""


class LeadImport(AuditedModel):
    """One upload of leads from CSV or Excel, with its row-by-row report and progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        IMPORTED = "imported", _("Imported")
        REJECTED = "rejected", _("Rejected: invalid rows, nothing imported")
        FAILED = "failed", _("Failed")

    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file content"))
    valid_only = models.BooleanField(_("import only the valid rows"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    imported_count = models.PositiveIntegerField(_("leads imported"), default=0)
    invalid_rows = models.PositiveIntegerField(_("invalid rows"), default=0)
    report = models.JSONField(_("report"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    retried_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("lead import")
        verbose_name_plural = _("lead imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.filename

    @property
    def done(self) -> bool:
        return self.status in (self.Status.IMPORTED, self.Status.REJECTED, self.Status.FAILED)

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else (100 if self.done else 0)
