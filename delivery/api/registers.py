"""The project's registers over the API (API.md "Delivery"): ``risks``, ``project-issues``,
``quality-checks`` (defects nested on create) and ``meetings`` (actions nested on create).

Serializers only validate the shape; every write goes through ``delivery.services_registers``.
Readers of a project read its registers; its PM and the PMO write them.
"""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from delivery import services_registers as services
from delivery.models import (
    OPEN_ISSUE_STATES,
    Defect,
    IssueSource,
    Meeting,
    MeetingAction,
    MeetingKind,
    Milestone,
    Project,
    ProjectIssue,
    QualityCheck,
    QualityResult,
    Risk,
    RiskResponse,
    Severity,
)
from delivery.selectors import project_records, project_visible
from ltc_portal.core.api.mixins import TransitionsMixin
from ltc_portal.core.api.serializers import (
    ReasonRequiredSerializer,
    TransitionInfoSerializer,
    TransitionInputSerializer,
)
from ltc_portal.core.fsm import describe_transitions

USERS = get_user_model().objects.filter(is_active=True)


# Serializers ---------------------------------------------------------------------------------------

class ProjectRecordSerializer(serializers.ModelSerializer):
    """A record of a project: the project is chosen among those the user sees, and fixed afterwards."""

    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.none())

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if self.instance is not None and not isinstance(self.instance, list):
            fields["project"].read_only = True
        elif request is not None:
            fields["project"].queryset = project_visible(request.user)
        return fields


class RiskSerializer(ProjectRecordSerializer):
    probability = serializers.IntegerField(min_value=1, max_value=5)
    impact = serializers.IntegerField(min_value=1, max_value=5)
    owner = serializers.PrimaryKeyRelatedField(queryset=USERS)
    response = serializers.ChoiceField(choices=RiskResponse.choices)

    class Meta:
        model = Risk
        fields = ["id", "project", "category", "description", "probability", "impact", "exposure", "owner",
                  "response", "plan", "trigger", "state", "created_at", "updated_at"]
        read_only_fields = ["exposure", "state", "created_at", "updated_at"]


class RaiseIssueSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices)
    owner = serializers.PrimaryKeyRelatedField(queryset=USERS)
    due_date = serializers.DateField()


class RiskOccurSerializer(TransitionInputSerializer):
    """Body of ``occur``: an optional reason and an optional issue to raise (source internal, linked to
    the risk)."""

    raise_issue = RaiseIssueSerializer(required=False, allow_null=True)


class ProjectIssueSerializer(ProjectRecordSerializer):
    source = serializers.ChoiceField(choices=IssueSource.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    owner = serializers.PrimaryKeyRelatedField(queryset=USERS)
    risk = serializers.PrimaryKeyRelatedField(queryset=Risk.objects.all(), required=False, allow_null=True)
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ProjectIssue
        fields = ["id", "project", "title", "description", "source", "severity", "owner", "due_date", "resolution",
                  "risk", "state", "overdue", "created_at", "updated_at"]
        read_only_fields = ["state", "created_at", "updated_at"]


class IssueResolveSerializer(TransitionInputSerializer):
    """Body of ``resolve``: the resolution, unless the issue already records one."""

    resolution = serializers.CharField(required=False, allow_blank=True, max_length=10000)


class DefectSerializer(serializers.ModelSerializer):
    severity = serializers.ChoiceField(choices=Severity.choices)

    class Meta:
        model = Defect
        fields = ["id", "description", "severity", "rework", "closed_at"]
        read_only_fields = ["closed_at"]


class QualityCheckSerializer(ProjectRecordSerializer):
    milestone = serializers.PrimaryKeyRelatedField(queryset=Milestone.objects.all(), required=False,
                                                   allow_null=True)
    result = serializers.ChoiceField(choices=QualityResult.choices)
    inspector = serializers.PrimaryKeyRelatedField(queryset=USERS)
    defects = DefectSerializer(many=True, required=False)

    class Meta:
        model = QualityCheck
        fields = ["id", "project", "milestone", "subject", "date", "result", "inspector", "notes", "defects",
                  "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class MeetingActionSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=USERS)

    class Meta:
        model = MeetingAction
        fields = ["id", "description", "owner", "due_date", "done"]
        read_only_fields = ["done"]


class MeetingSerializer(ProjectRecordSerializer):
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    actions = MeetingActionSerializer(many=True, required=False)

    class Meta:
        model = Meeting
        fields = ["id", "project", "date", "kind", "attendees", "decisions", "actions", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


# Filters ---------------------------------------------------------------------------------------------

class ProjectIssueFilter(django_filters.FilterSet):
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))

    class Meta:
        model = ProjectIssue
        fields = ["project", "state", "severity", "source", "owner", "risk"]

    def filter_overdue(self, queryset, name, value):
        late = Q(state__in=OPEN_ISSUE_STATES, due_date__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)


# Viewsets ------------------------------------------------------------------------------------------

class RegisterTransitionsMixin(TransitionsMixin):
    """The transitions list also says no to those who read the project but do not keep its registers
    (the models' transitions carry no permission of their own; the services check it)."""

    change_perm = ""

    @extend_schema(responses=TransitionInfoSerializer(many=True), request=None)
    @action(detail=True, methods=["get"], url_path="transitions", url_name="transitions", pagination_class=None)
    def transitions(self, request, pk=None):
        instance = self.get_object()
        infos = describe_transitions(instance, request.user)
        if not request.user.has_perm(self.change_perm, instance):
            for info in infos:
                refusal = gettext("You are not allowed to %(action)s this record.") % {"action": info.label.lower()}
                if refusal not in info.reasons:
                    info.reasons.insert(0, refusal)
                info.allowed = False
        return Response(TransitionInfoSerializer(infos, many=True).data)


class ProjectRecordCreateMixin:
    """Create through ``create_service(project=, user=, data=)``."""

    create_service = None

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = data.pop("project")
        serializer.instance = type(self).create_service(project=project, user=self.request.user, data=data)


class RiskViewSet(RegisterTransitionsMixin, ProjectRecordCreateMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The project's risk register: exposure = probability × impact (1–5 each). Transitions
    `mitigate`, `occur` (body may carry `raise_issue` {title, severity, owner, due_date} to open an
    internal issue linked to the risk) and `close`. A closed risk is no longer edited."""

    queryset = Risk.objects.none()
    serializer_class = RiskSerializer
    filterset_fields = ["project", "state", "owner", "response", "category"]
    search_fields = ["category", "description"]
    ordering_fields = ["exposure", "created_at", "probability", "impact"]
    transition_service = services.risk_transition
    transition_serializers = {"occur": RiskOccurSerializer}
    change_perm = "delivery.change_risk"
    create_service = services.risk_create

    def get_queryset(self):
        return project_records(self.request.user, Risk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("project", None)
        serializer.instance = services.risk_update(risk=serializer.instance, user=self.request.user, data=data)


class ProjectIssueViewSet(RegisterTransitionsMixin, ProjectRecordCreateMixin, mixins.CreateModelMixin,
                          mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The project's issues (ITR) with severity and due date; `?overdue=true` lists the open ones past
    due. Transitions `start`, `resolve` (needs a `resolution`, on the issue or in the body), `close`,
    `reopen` (needs a `reason`)."""

    queryset = ProjectIssue.objects.none()
    serializer_class = ProjectIssueSerializer
    filterset_class = ProjectIssueFilter
    search_fields = ["title", "description"]
    ordering_fields = ["due_date", "severity", "created_at"]
    transition_service = services.issue_transition
    transition_serializers = {"resolve": IssueResolveSerializer, "reopen": ReasonRequiredSerializer}
    change_perm = "delivery.change_projectissue"
    create_service = services.issue_create

    def get_queryset(self):
        return project_records(self.request.user, ProjectIssue)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("project", None)
        serializer.instance = services.issue_update(issue=serializer.instance, user=self.request.user, data=data)


class QualityCheckViewSet(ProjectRecordCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Quality checks with the defects they found (nested on create). A check is not edited: a new
    check corrects an old one. Close a fixed defect with POST …/{id}/defects/{defect_id}/close/."""

    queryset = QualityCheck.objects.none()
    serializer_class = QualityCheckSerializer
    filterset_fields = ["project", "result", "milestone", "inspector", "date"]
    search_fields = ["subject", "notes"]
    ordering_fields = ["date", "created_at"]
    create_service = services.quality_check_create

    def get_queryset(self):
        return project_records(self.request.user, QualityCheck).prefetch_related("defects")

    @extend_schema(request=None, responses={200: QualityCheckSerializer})
    @action(detail=True, methods=["post"], url_path=r"defects/(?P<defect_id>[0-9]+)/close",
            url_name="close-defect")
    def close_defect(self, request, pk=None, defect_id=None):
        """The defect is fixed: record when. Answers with the quality check."""
        qc = self.get_object()
        defect = get_object_or_404(Defect, pk=defect_id, quality_check=qc)
        services.defect_close(defect=defect, user=request.user)
        qc = self.get_queryset().get(pk=qc.pk)
        return Response(self.get_serializer(qc).data, status=status.HTTP_200_OK)


class MeetingViewSet(ProjectRecordCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Project meetings, their decisions and the actions they gave (nested on create). Mark an action
    done with POST …/{id}/actions/{action_id}/done/."""

    queryset = Meeting.objects.none()
    serializer_class = MeetingSerializer
    filterset_fields = ["project", "kind", "date"]
    search_fields = ["attendees", "decisions"]
    ordering_fields = ["date", "created_at"]
    create_service = services.meeting_create

    def get_queryset(self):
        return project_records(self.request.user, Meeting).prefetch_related("actions")

    @extend_schema(request=None, responses={200: MeetingSerializer})
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<action_id>[0-9]+)/done",
            url_name="action-done")
    def action_done(self, request, pk=None, action_id=None):
        """The action was carried out. Answers with the meeting."""
        meeting = self.get_object()
        meeting_action = get_object_or_404(MeetingAction, pk=action_id, meeting=meeting)
        services.meeting_action_done(action=meeting_action, user=request.user)
        meeting = self.get_queryset().get(pk=meeting.pk)
        return Response(self.get_serializer(meeting).data, status=status.HTTP_200_OK)
