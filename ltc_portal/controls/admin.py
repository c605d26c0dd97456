"""Admin for finance, PMO and directors: the queue of reviews waiting for one of your roles, a
decide page (approve, or reject with a comment), everything else read-only; gate definitions are
editable by superusers."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ltc_portal.core.admin import PortalAdmin
from ltc_portal.core.fsm import TransitionRefused
from ltc_portal.core.roles import user_roles

from . import selectors, services
from .models import Decision, GateDecision, GateDefinition, GateReview, ReviewState
from .selectors import role_labels, stored_checklist


def _subject_url(subject) -> str | None:
    try:
        return subject.get_absolute_url()
    except (AttributeError, NoReverseMatch):
        return None


@admin.register(GateDefinition)
class GateDefinitionAdmin(PortalAdmin):
    list_display = ("code", "name", "name_zh", "subject_type", "roles", "transition", "active")
    list_editable = ("active",)
    ordering = ("order",)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description=gettext_lazy("deciding roles"))
    def roles(self, obj):
        return role_labels(obj.required_roles)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.gate_definition_save(definition=obj, user=request.user)


class GateDecisionInline(admin.TabularInline):
    model = GateDecision
    extra = 0
    can_delete = False
    fields = readonly_fields = ("role", "decision", "decided_by", "comment", "decided_at")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class WaitingForMeFilter(admin.SimpleListFilter):
    title = gettext_lazy("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("mine", gettext_lazy("Waiting for my decision"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(pk__in=[r.pk for r in selectors.reviews_waiting_for(request.user)])
        return queryset


class DecideForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Decide as"), choices=())
    comment = forms.CharField(label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, selectors.role_label(r)) for r in roles]


def _checklist_html(review, key: str):
    """A checklist kept on the review (``context[key]``), in the reader's language, as ✔/✘ lines."""
    items = review.context.get(key) if isinstance(review.context, dict) else None
    items = stored_checklist([i for i in items or [] if isinstance(i, dict) and "check" in i])
    if not items:
        return "—"
    return format_html(
        '<ul class="gate-checklist">{}</ul>',
        format_html_join("", "<li>{} {}</li>", (("✔" if i.passed else "✘", str(i.message)) for i in items)),
    )


@admin.register(GateReview)
class GateReviewAdmin(PortalAdmin):
    list_display = ("id", "decide_link", "gate_code", "subject_link", "state", "requested_by", "roles", "created_at")
    list_display_links = ("id",)
    list_filter = (WaitingForMeFilter, "state", "gate")
    list_select_related = ("gate", "requested_by", "content_type")
    inlines = [GateDecisionInline]
    readonly_fields = (
        "gate",
        "content_type",
        "object_id",
        "requested_by",
        "comment",
        "evidence",
        "roles",
        "shown_at_request",
        "checklist_at_request",
        "checklist_at_approval",
        "state",
        "created_at",
        "decided_at",
    )
    fields = readonly_fields

    def get_queryset(self, request):
        return selectors.review_visible(request.user, super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        return (
            request.user.is_active
            and request.user.is_staff
            and bool(user_roles(request.user) or request.user.is_superuser)
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("gate"), ordering="gate__order")
    def gate_code(self, obj):
        return obj.gate.code

    @admin.display(description=gettext_lazy("subject"))
    def subject_link(self, obj):
        return f"{obj.gate.get_subject_type_display()} #{obj.object_id}"

    @admin.display(description=gettext_lazy("deciding roles"))
    def roles(self, obj):
        return role_labels(obj.required_roles)

    # The review's context is kept as JSON; the change page shows it as its deciders read it.
    @admin.display(description=gettext_lazy("shown to the deciders"))
    def shown_at_request(self, obj):
        return selectors.review_summary(obj) or "—"

    @admin.display(description=gettext_lazy("checklist at the request"))
    def checklist_at_request(self, obj):
        return _checklist_html(obj, "checklist_requested")

    @admin.display(description=gettext_lazy("checklist at the final approval"))
    def checklist_at_approval(self, obj):
        return _checklist_html(obj, "checklist")

    @admin.display(description=gettext_lazy("decide"))
    def decide_link(self, obj):
        if obj.state != ReviewState.PENDING:
            return "—"
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:controls_gatereview_decide", args=[obj.pk]),
            _("Decide"),
        )

    def get_urls(self):
        return [
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="controls_gatereview_decide")
        ] + super().get_urls()

    def decide_view(self, request, pk):
        review = get_object_or_404(self.get_queryset(request), pk=pk)
        roles = selectors.decidable_roles(review, request.user)
        form = DecideForm(request.POST or None, roles=roles)
        if request.method == "POST" and form.is_valid():
            decision = Decision.REJECT if "reject" in request.POST else Decision.APPROVE
            try:
                review = services.gate_decide(
                    review=review,
                    user=request.user,
                    decision=decision,
                    role=form.cleaned_data["role"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                for field, errs in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                    form.add_error(field if field in form.fields else None, errs)
            except (TransitionRefused, PermissionDenied) as exc:
                reasons = getattr(exc, "reasons", [])
                messages.error(request, " ".join([str(getattr(exc, "detail", exc)), *map(str, reasons)]))
            else:
                messages.success(
                    request,
                    _("Your decision on %(gate)s is recorded; the review is %(state)s.")
                    % {"gate": review.gate.code, "state": review.get_state_display()},
                )
                return redirect(f"{reverse('admin:controls_gatereview_changelist')}?queue=mine")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "review": review,
            "roles_label": role_labels(review.required_roles),
            "evidence": selectors.web_evidence(review),
            "subject_url": _subject_url(review.subject),
            "form": form,
            "roles": roles,
            "checklist": selectors.run_checklist(review.gate, review.subject),
            "decisions": review.decisions.select_related("decided_by"),
            "title": _("Decide %(review)s") % {"review": review},
        }
        return TemplateResponse(request, "admin/controls/gatereview/decide.html", context)
