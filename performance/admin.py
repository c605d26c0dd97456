"""Performance in the admin for HR staff: the library, templates, cycles (with a score action) and
appraisals, read only; every change goes through performance.services (the API and the actions)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ltc_portal.core.admin import ReadOnlyAdmin
from ltc_portal.core.fsm import TransitionRefused
from ltc_portal.core.pages import refusal_text

from . import services
from .models import Appraisal, AppraisalCycle, Kpi, KpiTemplate, KpiTemplateItem, TrainingCourse
from .rules import is_hr_user


class HrStaffAdmin(ReadOnlyAdmin):
    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and is_hr_user(request.user)


@admin.register(Kpi)
class KpiAdmin(HrStaffAdmin):
    list_display = ("code", "name", "name_zh", "dimension", "source", "direction", "floor", "target", "retired_at")
    list_filter = ("dimension", "source")


class TemplateItemInline(admin.TabularInline):
    model = KpiTemplateItem
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kpi", "weight")


@admin.register(KpiTemplate)
class KpiTemplateAdmin(HrStaffAdmin):
    list_display = ("name", "project_role", "method")
    inlines = [TemplateItemInline]


@admin.register(AppraisalCycle)
class AppraisalCycleAdmin(HrStaffAdmin):
    list_display = ("name", "kind", "start", "end", "state", "progress", "scored_at")
    list_filter = ("state", "kind")
    actions = ["score_cycles"]

    @admin.action(description=gettext_lazy("Score the cycles (queued)"))
    def score_cycles(self, request, queryset):
        done, refusals = 0, []
        for cycle in queryset:
            try:
                services.cycle_transition(cycle=cycle, name="score", user=request.user)
                done += 1
            except (TransitionRefused, PermissionDenied, ValidationError) as exc:
                refusals.append(f"{cycle}: {refusal_text(exc)}")
        if done:
            self.message_user(request, _("%(n)s cycles queued for scoring.") % {"n": done}, messages.SUCCESS)
        for text in refusals:
            self.message_user(request, text, messages.ERROR)


@admin.register(Appraisal)
class AppraisalAdmin(HrStaffAdmin):
    list_display = ("cycle", "employee", "project_role", "score", "grade", "final_grade", "state")
    list_filter = ("cycle", "state", "final_grade")
    list_select_related = ("cycle", "employee")


@admin.register(TrainingCourse)
class TrainingCourseAdmin(admin.ModelAdmin):
    """HR staff keep the catalogue here too, through the same services (never deleted: retire it with
    ``active``)."""

    list_display = ("title", "title_zh", "dimension", "link", "active")
    list_filter = ("dimension", "active")
    fields = ("dimension", "title", "title_zh", "link", "active")

    def _hr(self, request) -> bool:
        return request.user.is_staff and is_hr_user(request.user)

    def has_view_permission(self, request, obj=None):
        return self._hr(request)

    def has_add_permission(self, request):
        return self._hr(request)

    def has_change_permission(self, request, obj=None):
        return self._hr(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in self.fields}
        if change:
            services.training_course_update(course=obj, user=request.user, data=data)
        else:
            form.instance = services.training_course_create(user=request.user, data=data)
            obj.pk = form.instance.pk
