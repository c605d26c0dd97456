"""Change requests, decided through DR2."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from ltc_portal.core.fsm import check, may
from ltc_portal.core.models import LifecycleModel


class ChangeState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


@check(
    lambda change: (
        _("The project is “%(state)s”: nothing on it changes any more.") % {"state": change.project.get_state_display()}
    )
)
def project_not_finished(change):
    """The project is neither closed nor cancelled."""
    return not change.project.is_finished


class ChangeRequest(LifecycleModel):
    """A change of scope, schedule or cost, with its impacts stated; DR2 decides it (the PM within
    the PM's change authority, finance above it)."""

    project = models.ForeignKey(
        "delivery.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="change_requests"
    )
    title = models.CharField(pgettext_lazy("heading", "title"), max_length=200)
    reason = models.TextField(_("reason"))
    scope_impact = models.TextField(_("scope impact"))
    schedule_impact_days = models.IntegerField(_("schedule impact (days)"), default=0)
    cost_impact = models.DecimalField(
        _("cost impact"),
        max_digits=18,
        decimal_places=2,
        default=0,
        help_text=_("Change of the project's cost, in the project currency; negative for a saving."),
    )
    contract_value_impact = models.DecimalField(_("contract value impact"), max_digits=18, decimal_places=2, default=0)
    state = FSMField(_("state"), default=ChangeState.DRAFT, choices=ChangeState.choices, protected=True, db_index=True)

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["project", "-created_at"]

    def __str__(self):
        return self.title

    @transition(
        state,
        source=ChangeState.DRAFT,
        target=ChangeState.APPROVED,
        conditions=[project_not_finished],
        custom={"label": _("Approve"), "internal": _("A change is approved through DR2.")},
    )
    def approve(self):
        """DR2 approved: the change applies."""

    @transition(
        state,
        source=ChangeState.DRAFT,
        target=ChangeState.WITHDRAWN,
        permission=may("delivery.change_changerequest"),
        custom={"label": _("Withdraw"), "needs_reason": True},
    )
    def withdraw(self, reason: str = ""):
        """No longer wanted."""
