"""In-app notifications (and their e-mail), one per event and person.

A notification stores what happened as a ``kind`` and its ``params`` (names, numbers, dates as text),
never a rendered sentence: the message is rendered in the reader's language when it is read
(``notifications.kinds``). ``key`` names the event that raised it; (recipient, key) is unique, so an
event that is handled twice, or an overdue sweep that runs again, never notifies a person twice.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    GATE_WAITING = "gate_waiting", _("A gate decision waits for you")
    GATE_DECIDED = "gate_decided", _("Your gate request was decided")
    ISSUE_ASSIGNED = "issue_assigned", _("An issue was assigned to you")
    ISSUE_OVERDUE = "issue_overdue", _("An issue of yours is overdue")
    VARIANCE_ALERT = "variance_alert", _("Cost variance alert")
    INVOICE_OVERDUE = "invoice_overdue", _("An invoice is overdue")
    APPRAISAL_PUBLISHED = "appraisal_published", _("Your appraisal is published")
    APPEAL_DECIDED = "appeal_decided", _("Your appeal was decided")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("subject type"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(_("subject id"), null=True, blank=True)
    key = models.CharField(_("event"), max_length=120)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    #: when the e-mail went out (or was claimed by the sender); also set for a person who has e-mail
    #: off or no address, and for events another part of the portal already e-mails
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_event")]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
            models.Index(fields=["created_at"], condition=Q(emailed_at__isnull=True), name="notification_unsent_idx"),
        ]

    def __str__(self):
        return f"{self.recipient} · {self.get_kind_display()}"

    @property
    def message(self) -> str:
        from .kinds import render

        return render(self.kind, self.params)


class NotificationSettings(models.Model):
    """A person's choices: e-mail on or off (the in-app list always holds everything)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_settings",
    )
    email = models.BooleanField(_("e-mail me my notifications"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return str(self.user)
