"""Control points (gates): their definitions, the reviews requested on a subject, and each
required role's decision. Reviews and decisions are kept forever."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from ltc_portal.core.models import AppendOnlyModel, LifecycleModel
from ltc_portal.core.roles import Role

from . import registry


class SubjectType(models.TextChoices):
    OPPORTUNITY = "opportunity", _("Opportunity")
    PROJECT = "project", _("Delivery project")
    CHANGE_REQUEST = "change_request", _("Change request")


class GateDefinition(models.Model):
    """A control point of DOMAIN.md §4: who decides it and what must hold before it is requested.
    Seeded by a migration; superusers adjust roles and checklist in the admin."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    subject_type = models.CharField(_("subject"), max_length=20, choices=SubjectType.choices)
    required_roles = models.JSONField(
        _("deciding roles"), default=list, help_text=_('Role codes that must each approve, e.g. ["finance", "pmo"].')
    )
    checklist = models.JSONField(
        _("checklist"),
        default=list,
        blank=True,
        help_text=_("Keys of the registered checks that must pass before a request."),
    )
    transition = models.CharField(
        _("transition on approval"),
        max_length=40,
        blank=True,
        help_text=_(
            "The subject's transition run when the last role approves; blank when the gate only enables another gate."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("gate definition")
        verbose_name_plural = _("gate definitions")
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.code} {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.name_zh if translation.get_language() in ("zh-hans", "zh_Hans", "zh") else self.name

    def clean(self):
        unknown_roles = set(self.required_roles or []) - set(Role.values) - set(registry.subject_roles())
        if unknown_roles or not self.required_roles:
            raise ValidationError(
                {"required_roles": _("Give one or more of: %(roles)s.") % {"roles": ", ".join(Role.values)}}
            )
        unknown_checks = [k for k in self.checklist or [] if registry.check(k) is None]
        if unknown_checks:
            raise ValidationError({"checklist": _("Unknown checks: %(keys)s.") % {"keys": ", ".join(unknown_checks)}})
        st = registry.subject_types().get(self.subject_type)
        if self.transition and st is not None and not hasattr(getattr(st.model, self.transition, None), "_django_fsm"):
            raise ValidationError(
                {
                    "transition": _("%(model)s has no step “%(name)s”.")
                    % {"model": st.model._meta.verbose_name, "name": self.transition}
                }
            )
        if not self.active:
            waiting = registry.waiting_subjects(self)
            count = waiting.count() if waiting is not None else 0
            if count:
                raise ValidationError(
                    {
                        "active": _(
                            "%(code)s cannot be deactivated: the portal relies on it and %(count)s %(subjects)s "
                            "wait at it."
                        )
                        % {
                            "code": self.code,
                            "count": count,
                            "subjects": st.model._meta.verbose_name_plural if st else "",
                        }
                    }
                )


class ReviewState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class GateReview(LifecycleModel):
    """One request of a gate on one subject, and its outcome. A rejected review stays; a new request
    makes a new review."""

    gate = models.ForeignKey(GateDefinition, verbose_name=_("gate"), on_delete=models.PROTECT, related_name="reviews")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    evidence = models.JSONField(_("evidence links"), default=list, blank=True)
    required_roles = models.JSONField(_("deciding roles"), default=list)
    context = models.JSONField(
        _("context at request"),
        default=dict,
        blank=True,
        help_text=_("What the request was about, e.g. the quote version and its margin."),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    state = FSMField(
        _("state"), default=ReviewState.PENDING, choices=ReviewState.choices, protected=True, db_index=True
    )

    class Meta:
        verbose_name = _("gate review")
        verbose_name_plural = _("gate reviews")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "gate"], name="gatereview_subject_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["gate", "content_type", "object_id"],
                condition=Q(state="pending"),
                name="gatereview_one_pending_per_subject",
            ),
        ]

    def __str__(self):
        return f"{self.gate.code} #{self.pk} ({self.get_state_display()})"

    # Run only by controls.services.gate_decide, in the transaction of the deciding decision.
    @transition(
        state,
        source=ReviewState.PENDING,
        target=ReviewState.APPROVED,
        permission=lambda instance, user: False,
        custom={"label": _("Approve")},
    )
    def approve(self):
        """Every required role approved."""

    @transition(
        state,
        source=ReviewState.PENDING,
        target=ReviewState.REJECTED,
        permission=lambda instance, user: False,
        custom={"label": _("Reject")},
    )
    def reject(self):
        """One required role rejected."""


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class GateDecision(AppendOnlyModel):
    """One required role's decision on a review: who, as which role, what, why and when."""

    review = models.ForeignKey(GateReview, verbose_name=_("review"), on_delete=models.PROTECT, related_name="decisions")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gate decision")
        verbose_name_plural = _("gate decisions")
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "role"], name="gatedecision_one_per_role"),
            models.UniqueConstraint(fields=["review", "decided_by"], name="gatedecision_one_role_per_person"),
        ]

    def __str__(self):
        return f"{self.review} {self.role}: {self.decision}"
