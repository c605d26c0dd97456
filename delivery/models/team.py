"""The project team and the PM's delegated authority (授权)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ltc_portal.core.models import AuditedModel
from ltc_portal.core.money import MoneyField, money_text


class ProjectRole(models.TextChoices):
    PM = "pm", _("Project manager (PM)")
    AR = "ar", _("Account responsible (AR)")
    SR = "sr", _("Solution responsible (SR)")
    FR = "fr", _("Fulfilment responsible (FR)")
    ENGINEER = "engineer", _("Engineer")
    PROCUREMENT = "procurement", _("Procurement")
    SUPPLY_CHAIN = "supply_chain", _("Supply chain")
    PROJECT_FINANCE = "project_finance", _("Project finance")
    OTHER = "other", _("Other")


class TeamMember(AuditedModel):
    """A person on the project team with a project role and an allocation for a period."""

    project = models.ForeignKey(
        "delivery.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="team"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="team_memberships"
    )
    role = models.CharField(_("project role"), max_length=20, choices=ProjectRole.choices)
    allocation_percent = models.PositiveSmallIntegerField(
        _("allocation %"), default=100, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["project", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user", "role"], name="teammember_unique_role"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="teammember_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(allocation_percent__gte=1) & Q(allocation_percent__lte=100),
                name="teammember_allocation_1_100",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"


class DelegationScope(models.TextChoices):
    APPROVE_CHANGE = "approve_change", _("Approve changes")
    APPROVE_COST = "approve_cost", _("Approve costs")
    ACCEPT_MILESTONE = "accept_milestone", _("Accept milestones")


class Delegation(AuditedModel):
    """Authority the PM grants a team member: a scope, up to an amount, for a time window. Never
    edited: narrowing revokes it and grants a new one (``replaces``); revocation is kept."""

    project = models.ForeignKey(
        "delivery.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="delegations"
    )
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("granted to"), on_delete=models.PROTECT, related_name="delegations"
    )
    scope = models.CharField(_("scope"), max_length=20, choices=DelegationScope.choices)
    limit_amount = MoneyField(_("up to (project currency)"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["project", "-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")), name="delegation_window_ordered"),
            models.CheckConstraint(condition=Q(limit_amount__gte=0), name="delegation_limit_not_negative"),
        ]

    def __str__(self):
        return f"{self.grantee} · {self.get_scope_display()} ≤ {money_text(self.limit_amount)}"

    def active_on(self, day=None) -> bool:
        day = day or timezone.localdate()
        return self.revoked_at is None and self.valid_from <= day <= self.valid_to
