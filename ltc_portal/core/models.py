"""Shared models: the audited base model and the append-only transition log."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMFieldMixin


class AuditedModel(models.Model):
    """Base for business records: who created and last changed it, and when."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True


class LifecycleModel(ConcurrentTransitionMixin, AuditedModel):
    """Base for records with a lifecycle: a protected ``state`` FSM field changed only by its
    transitions (optimistic lock against racing transitions), never by forms or serializers."""

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        fsm_fields = {f.name for f in self._meta.fields if isinstance(f, FSMFieldMixin)}
        super().clean_fields(exclude=set(exclude or ()) | fsm_fields)


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a record that is kept forever."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only; they cannot be updated.")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only; they cannot be deleted.")

    def for_subject(self, subject):
        return self.filter(content_type=ContentType.objects.get_for_model(type(subject)), object_id=subject.pk)


class AppendOnlyModel(models.Model):
    """A record that is written once and never edited or deleted (through the ORM)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only; they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only; they cannot be deleted.")


class TransitionLog(AppendOnlyModel):
    """One state change of any lifecycle record: what moved, from where to where, who, when and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("record type"))
    object_id = models.PositiveBigIntegerField(_("record id"))
    subject = GenericForeignKey("content_type", "object_id")
    transition = models.CharField(_("transition"), max_length=64)
    source = models.CharField(_("from"), max_length=64)
    target = models.CharField(_("to"), max_length=64)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    reason = models.TextField(_("reason"), blank=True)
    gate_review_id = models.PositiveBigIntegerField(_("gate review"), null=True, blank=True)
    data = models.JSONField(_("step data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("transition log entry")
        verbose_name_plural = _("transition log")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="transitionlog_subject_idx")]

    def __str__(self):
        return f"{self.content_type.model} #{self.object_id}: {self.source} → {self.target} ({self.transition})"


class OutboxJob(models.Model):
    """One Celery job to run, written in the transaction of the request that wants it and published
    after commit (``ltc_portal.core.outbox``). A broker that is down leaves the row ``queued``; beat
    and a worker's start publish it again, and the worker claims the row, so the job runs once."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent to the broker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    task = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    publishes = models.PositiveIntegerField(_("times sent"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    run_after = models.DateTimeField(_("not before"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("queued job")
        verbose_name_plural = _("queued jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"], name="core_outbox_state_idx")]

    def __str__(self):
        return f"{self.task} #{self.pk} · {self.get_state_display()}"
