"""The performance API (API.md "Performance and incentives"): KPIs, templates, cycles with their
steps, appraisals (who reads which: performance.selectors) and manager scores. Writes go through
``performance.services``."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from ltc_portal.core import excel
from ltc_portal.core.api.mixins import TransitionsMixin
from ltc_portal.core.api.viewsets import RestrictedViewSet
from performance import selectors, services
from performance.models import (
    Appeal,
    Appraisal,
    AppraisalCycle,
    BonusPool,
    Kpi,
    KpiTemplate,
    ManagerScore,
    PeerReview,
    TrainingCourse,
)

from .serializers import (
    AppealDecisionSerializer,
    AppealSerializer,
    AppraisalCycleSerializer,
    AppraisalSerializer,
    BonusPoolSerializer,
    KpiSerializer,
    KpiTemplateSerializer,
    ManagerScoreSerializer,
    PeerReviewSerializer,
    TrainingCourseSerializer,
)

WRITE_METHODS = ["get", "post", "patch", "put", "head", "options"]


class KpiViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """The KPI library (HR writes; everyone signed in reads). Computed indicators keep their code and
    source; their scale and names may change."""

    queryset = Kpi.objects.none()
    selector = staticmethod(selectors.kpi_list)
    serializer_class = KpiSerializer
    filterset_fields = ["dimension", "source", "direction"]
    http_method_names = WRITE_METHODS

    def perform_create(self, serializer):
        serializer.instance = services.kpi_create(user=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = services.kpi_update(
            kpi=serializer.instance, user=self.request.user, data=dict(serializer.validated_data)
        )


class KpiTemplateViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """Templates per project role; the items' weights add up to 100 (else 400)."""

    queryset = KpiTemplate.objects.none()
    selector = staticmethod(selectors.kpi_template_list)
    serializer_class = KpiTemplateSerializer
    filterset_fields = ["project_role", "method"]
    http_method_names = WRITE_METHODS

    def _data(self, serializer):
        data = dict(serializer.validated_data)
        if "items" in data:
            data["items"] = [dict(i) for i in data["items"]]
        return data

    def perform_create(self, serializer):
        serializer.instance = services.kpi_template_create(user=self.request.user, data=self._data(serializer))

    def perform_update(self, serializer):
        serializer.instance = services.kpi_template_update(
            template=serializer.instance, user=self.request.user, data=self._data(serializer)
        )


class AppraisalCycleViewSet(
    TransitionsMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """Cycles: `open` (creates the appraisals), `score` (queues the scoring job; the job moves the cycle
    to `calibrating`; `progress` while it runs), `publish` (refused while a grade cap is exceeded),
    `close`. HR."""

    queryset = AppraisalCycle.objects.none()
    selector = staticmethod(selectors.cycle_list)
    serializer_class = AppraisalCycleSerializer
    filterset_fields = ["state", "kind"]
    ordering_fields = ["end", "start"]
    transition_service = services.cycle_transition
    transition_subject = "cycle"
    http_method_names = WRITE_METHODS

    def perform_create(self, serializer):
        serializer.instance = services.cycle_create(user=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = services.cycle_update(
            cycle=serializer.instance, user=self.request.user, data=dict(serializer.validated_data)
        )


class AppraisalViewSet(
    TransitionsMixin, mixins.UpdateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet
):
    """Appraisals: your own once published; as a PM, those of the people on your projects in cycles
    that overlap; HR all. PATCH `final_grade` with `calibration_reason` (HR, while calibrating) or
    `advice` (their PM). Transition `acknowledge` (the employee)."""

    queryset = Appraisal.objects.none()
    selector = staticmethod(selectors.appraisal_list)
    serializer_class = AppraisalSerializer
    filterset_fields = ["cycle", "employee", "state", "grade", "final_grade"]
    transition_service = services.appraisal_transition
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_update(self, serializer):
        serializer.instance = services.appraisal_update(
            appraisal=serializer.instance, user=self.request.user, data=dict(serializer.validated_data)
        )


class ManagerScoreViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, RestrictedViewSet):
    """Scores a PM gives on `manager` KPIs (POST again to replace yours)."""

    queryset = ManagerScore.objects.none()
    selector = staticmethod(selectors.manager_score_list)
    serializer_class = ManagerScoreSerializer
    filterset_fields = ["appraisal", "kpi"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.manager_score_set(
            appraisal=data["appraisal"],
            kpi=data["kpi"],
            user=self.request.user,
            score=data["score"],
            comment=data.get("comment", ""),
        )


class AppealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Appeals (made with an appraisal's `appeal` transition): yours, or all for HR.
    `POST …/{id}/decide/` (HR, never the appellant): `decision`, optional `new_grade`."""

    queryset = Appeal.objects.none()
    selector = staticmethod(selectors.appeal_list)
    serializer_class = AppealSerializer
    filterset_fields = ["state"]

    @extend_schema(request=AppealDecisionSerializer, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        body = AppealDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appeal = services.appeal_decide(appeal=self.get_object(), user=request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=appeal.pk)).data)


class PeerReviewViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, RestrictedViewSet):
    """Peer reviews you gave (HR: all, with the reviewer). POST again to replace yours."""

    queryset = PeerReview.objects.none()
    selector = staticmethod(selectors.peer_review_list)
    serializer_class = PeerReviewSerializer
    filterset_fields = ["cycle", "reviewee"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.peer_review_submit(
            cycle=data["cycle"],
            reviewee=data["reviewee"],
            user=self.request.user,
            scores=[dict(s) for s in data["scores"]],
            comment=data.get("comment", ""),
        )


class BonusPoolViewSet(TransitionsMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       RestrictedViewSet):  # fmt: skip
    """Bonus pools (HR and finance read them): `allocate` (HR, once the cycle is published), `approve`
    (finance, never the one who allocated); `GET …/{id}/xlsx/` the allocations for payroll."""

    queryset = BonusPool.objects.none()
    selector = staticmethod(selectors.bonus_pool_list)
    serializer_class = BonusPoolSerializer
    filterset_fields = ["cycle", "state"]
    transition_service = services.bonus_pool_transition
    transition_subject = "pool"

    def perform_create(self, serializer):
        serializer.instance = services.bonus_pool_create(user=self.request.user, data=dict(serializer.validated_data))

    @extend_schema(responses={(200, excel.XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def xlsx(self, request, pk=None):
        pool = self.get_object()
        rows = (
            [
                a.employee.get_full_name() or a.employee.username,
                a.employee.email,
                a.grade,
                a.contribution,
                a.share,
                a.amount,
                pool.currency,
            ]  # fmt: skip
            for a in pool.allocations.select_related("employee").order_by("employee__username")
        )
        headers = [_("Employee"), _("E-mail"), _("Grade"), _("Contribution"), _("Share"), _("Amount"), _("Currency")]
        content = excel.workbook(
            _("Bonus %(cycle)s") % {"cycle": pool.cycle}, headers, rows, widths=[28, 28, 8, 14, 14, 16, 8]
        )
        return excel.download(content, f"bonus-pool-{pool.pk}.xlsx")


class TrainingCourseViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """The training catalogue (dimension → courses): HR writes (retire with `active` false, never
    delete); everyone signed in reads the active courses."""

    queryset = TrainingCourse.objects.none()
    selector = staticmethod(selectors.training_course_list)
    serializer_class = TrainingCourseSerializer
    filterset_fields = ["dimension", "active"]
    http_method_names = WRITE_METHODS

    def perform_create(self, serializer):
        serializer.instance = services.training_course_create(
            user=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = services.training_course_update(
            course=serializer.instance, user=self.request.user, data=dict(serializer.validated_data)
        )
