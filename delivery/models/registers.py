"""The project's registers: risks, issues (ITR), and meetings with their decisions and actions."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from ltc_portal.core.fsm import may
from ltc_portal.core.models import AuditedModel, LifecycleModel

from .choices import Severity


class RiskResponse(models.TextChoices):
    AVOID = "avoid", _("Avoid")
    MITIGATE = "mitigate", _("Mitigate")
    TRANSFER = "transfer", _("Transfer")
    ACCEPT = "accept", _("Accept")


class RiskState(models.TextChoices):
    OPEN = "open", pgettext_lazy("state", "Open")
    MITIGATING = "mitigating", _("Mitigating")
    OCCURRED = "occurred", _("Occurred")
    CLOSED = "closed", _("Closed")


class Risk(LifecycleModel):
    """A risk of the project: probability × impact (1–5 each) gives its exposure."""

    project = models.ForeignKey(
        "delivery.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="risks"
    )
    category = models.CharField(_("category"), max_length=60)
    description = models.TextField(_("description"))
    probability = models.PositiveSmallIntegerField(
        _("probability (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    impact = models.PositiveSmallIntegerField(
        _("impact (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    exposure = models.PositiveSmallIntegerField(_("exposure"), editable=False, default=1)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    response = models.CharField(_("response"), max_length=10, choices=RiskResponse.choices)
    plan = models.TextField(_("response plan"), blank=True)
    trigger = models.CharField(_("early-warning trigger"), max_length=300, blank=True)
    state = FSMField(_("state"), default=RiskState.OPEN, choices=RiskState.choices, protected=True, db_index=True)

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["project", "-exposure", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=1) & Q(probability__lte=5) & Q(impact__gte=1) & Q(impact__lte=5),
                name="risk_scales_1_5",
            ),
        ]

    def __str__(self):
        return f"{self.category}: {self.description[:60]}"

    def save(self, *args, **kwargs):
        self.exposure = (self.probability or 0) * (self.impact or 0)
        super().save(*args, **kwargs)

    @transition(
        state,
        source=RiskState.OPEN,
        target=RiskState.MITIGATING,
        permission=may("delivery.change_risk"),
        custom={"label": _("Start mitigating")},
    )
    def mitigate(self):
        """The response plan is under way."""

    @transition(
        state,
        source=[RiskState.OPEN, RiskState.MITIGATING],
        target=RiskState.OCCURRED,
        permission=may("delivery.change_risk"),
        custom={"label": _("Occurred")},
    )
    def occur(self):
        """The risk happened; it may raise an issue."""

    @transition(
        state,
        source=[RiskState.OPEN, RiskState.MITIGATING, RiskState.OCCURRED],
        target=RiskState.CLOSED,
        permission=may("delivery.change_risk"),
        custom={"label": _("Close")},
    )
    def close(self):
        """No longer a risk."""


class IssueSource(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    INTERNAL = "internal", _("Internal")


class IssueState(models.TextChoices):
    OPEN = "open", pgettext_lazy("state", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_ISSUE_STATES = (IssueState.OPEN, IssueState.IN_PROGRESS)


class ProjectIssue(LifecycleModel):
    """An issue to resolve (ITR: issue to resolution), with a severity and a due date."""

    project = models.ForeignKey(
        "delivery.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="issues"
    )
    title = models.CharField(pgettext_lazy("heading", "title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=IssueSource.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("due date"))
    resolution = models.TextField(_("resolution"), blank=True)
    risk = models.ForeignKey(
        Risk, verbose_name=_("raised by risk"), on_delete=models.PROTECT, null=True, blank=True, related_name="issues"
    )
    state = FSMField(_("state"), default=IssueState.OPEN, choices=IssueState.choices, protected=True, db_index=True)

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["project", "due_date", "id"]

    def __str__(self):
        return self.title

    @property
    def overdue(self) -> bool:
        return self.state in OPEN_ISSUE_STATES and self.due_date < timezone.localdate()

    @transition(
        state,
        source=IssueState.OPEN,
        target=IssueState.IN_PROGRESS,
        permission=may("delivery.work_projectissue"),
        custom={"label": _("Start")},
    )
    def start(self):
        """Someone works on it."""

    @transition(
        state,
        source=[IssueState.OPEN, IssueState.IN_PROGRESS],
        target=IssueState.RESOLVED,
        permission=may("delivery.work_projectissue"),
        custom={"label": _("Resolve")},
    )
    def resolve(self):
        """Fixed; the resolution is recorded (delivery.services checks it)."""

    @transition(
        state,
        source=IssueState.RESOLVED,
        target=IssueState.CLOSED,
        permission=may("delivery.work_projectissue"),
        custom={"label": _("Close")},
    )
    def close(self):
        """Confirmed fixed."""

    @transition(
        state,
        source=[IssueState.RESOLVED, IssueState.CLOSED],
        target=IssueState.OPEN,
        permission=may("delivery.change_projectissue"),
        custom={"label": _("Reopen"), "needs_reason": True},
    )
    def reopen(self, reason: str = ""):
        """Not fixed after all."""


class MeetingKind(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    GATE = "gate", _("Gate review")
    CUSTOMER = "customer", _("Customer meeting")


class Meeting(AuditedModel):
    """A project meeting and the decisions it took."""

    project = models.ForeignKey(
        "delivery.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="meetings"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=MeetingKind.choices)
    attendees = models.TextField(_("attendees"))
    decisions = models.TextField(_("decisions"), blank=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["project", "-date", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date}"


class MeetingAction(AuditedModel):
    """An action a meeting gave someone, with its due date."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="actions")
    description = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("due date"))
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        verbose_name = _("meeting action")
        verbose_name_plural = _("meeting actions")
        ordering = ["meeting", "due_date", "id"]

    def __str__(self):
        return self.description
