"""The delivery API (API.md "Delivery"): projects, their team, delegated authority, milestones,
change requests (DR2), and the registers (risks, issues, quality checks, meetings). Every list shows
the records of the projects the user reads; every write goes through ``delivery.services``, which
checks the project's state and the user's right."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from delivery import selectors, services
from delivery.models import (
    ChangeRequest,
    Defect,
    Delegation,
    Meeting,
    MeetingAction,
    Milestone,
    Project,
    ProjectIssue,
    QualityCheck,
    Risk,
    TeamMember,
)
from ltc_portal.controls.api.views import GatesMixin
from ltc_portal.core.api.mixins import TransitionsMixin
from ltc_portal.core.api.serializers import ReasonRequiredSerializer
from ltc_portal.core.api.viewsets import RestrictedViewSet

from .filters import ProjectIssueFilter
from .serializers import (
    AcceptInputSerializer,
    ChangeRequestSerializer,
    DelegationSerializer,
    IssueResolveSerializer,
    MeetingSerializer,
    MilestoneSerializer,
    NarrowSerializer,
    ProjectIssueSerializer,
    ProjectSerializer,
    QualityCheckSerializer,
    RiskOccurSerializer,
    RiskSerializer,
    TeamMemberSerializer,
)


def _records(model, *related, prefetch=()):
    """The selector of a project's records: those on projects the user reads."""
    return staticmethod(
        lambda user: selectors.project_records(user, model).select_related(*related).prefetch_related(*prefetch)
    )


class ProjectViewSet(
    TransitionsMixin,
    GatesMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """Delivery projects, opened when ATI is approved. The PM records the pre-sales work that DTRB,
    DRA, DTRC and DRB check; the PMO assigns the PM. After the plan: DR1 (build), start_implementation,
    DR3 (handover), DR4 (closed)."""

    queryset = Project.objects.none()
    selector = staticmethod(selectors.project_list)
    list_select_related = ()  # the serializer reads ids only
    serializer_class = ProjectSerializer
    filterset_fields = ["state", "pm", "opportunity"]
    ordering_fields = ["created_at", "name"]
    transition_service = services.project_transition

    def perform_update(self, serializer):
        serializer.instance = services.project_update(
            project=serializer.instance, user=self.request.user, data=dict(serializer.validated_data)
        )


class ProjectRecordViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet
):
    """A project's records: visible with the project, created through ``create_service(project=,
    user=, data=)`` and changed through ``update_service(record, user=, data=)``."""

    create_service = None
    update_service = None

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = data.pop("project")
        serializer.instance = type(self).create_service(project=project, user=self.request.user, data=data)

    def perform_update(self, serializer):
        serializer.instance = type(self).update_service(
            serializer.instance, user=self.request.user, data=dict(serializer.validated_data)
        )


class TeamMemberViewSet(ProjectRecordViewSet, mixins.UpdateModelMixin):
    """The project team; only the PM (or PMO) changes it, while the project is open."""

    queryset = TeamMember.objects.none()
    selector = _records(TeamMember, "user")
    serializer_class = TeamMemberSerializer
    filterset_fields = ["project", "user", "role"]
    create_service = services.team_member_add

    @staticmethod
    def update_service(member, *, user, data):
        return services.team_member_update(member=member, user=user, data=data)


class DelegationViewSet(ProjectRecordViewSet):
    """Delegated authority: granted by the PM, never edited; `narrow` replaces it, `revoke` ends it
    (both kept on record)."""

    queryset = Delegation.objects.none()
    selector = _records(Delegation)
    serializer_class = DelegationSerializer
    filterset_fields = ["project", "grantee", "scope"]
    create_service = services.delegation_grant

    @extend_schema(request=NarrowSerializer, responses=DelegationSerializer)
    @action(detail=True, methods=["post"])
    def narrow(self, request, pk=None):
        """Lower the limit or end the window earlier: the grant is revoked and a new one replaces it."""
        body = NarrowSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new = services.delegation_narrow(delegation=self.get_object(), user=request.user, **body.validated_data)
        return Response(self.get_serializer(new).data, status=201)

    @extend_schema(request=None, responses=DelegationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        delegation = services.delegation_revoke(delegation=self.get_object(), user=request.user)
        return Response(self.get_serializer(delegation).data)


class MilestoneViewSet(TransitionsMixin, ProjectRecordViewSet, mixins.UpdateModelMixin):
    """Milestones; `accept` takes the acceptance certificate (signed_by, date, document_ref, remarks),
    `waive` (PMO) a reason."""

    queryset = Milestone.objects.none()
    selector = staticmethod(selectors.milestone_records)
    serializer_class = MilestoneSerializer
    filterset_fields = ["project", "state"]
    create_service = services.milestone_create
    transition_service = services.milestone_transition
    transition_serializers = {"accept": AcceptInputSerializer, "waive": ReasonRequiredSerializer}

    @staticmethod
    def update_service(milestone, *, user, data):
        return services.milestone_update(milestone=milestone, user=user, data=data)


class ChangeRequestViewSet(TransitionsMixin, GatesMixin, ProjectRecordViewSet, mixins.UpdateModelMixin):
    """Change requests, decided through DR2 (POST gate-reviews/ with subject_type change_request)."""

    queryset = ChangeRequest.objects.none()
    selector = _records(ChangeRequest)
    serializer_class = ChangeRequestSerializer
    filterset_fields = ["project", "state"]
    create_service = services.change_request_create
    transition_service = services.change_request_transition
    transition_subject = "change"
    transition_serializers = {"withdraw": ReasonRequiredSerializer}

    @staticmethod
    def update_service(change, *, user, data):
        return services.change_request_update(change=change, user=user, data=data)


class RiskViewSet(TransitionsMixin, ProjectRecordViewSet, mixins.UpdateModelMixin):
    """The project's risk register: exposure = probability × impact (1–5 each). Transitions
    `mitigate`, `occur` (body may carry `raise_issue` {title, severity, owner, due_date} to open an
    internal issue linked to the risk) and `close`. A closed risk is no longer edited."""

    queryset = Risk.objects.none()
    selector = _records(Risk)
    serializer_class = RiskSerializer
    filterset_fields = ["project", "state", "owner", "response", "category"]
    search_fields = ["category", "description"]
    ordering_fields = ["exposure", "created_at", "probability", "impact"]
    transition_service = services.risk_transition
    transition_serializers = {"occur": RiskOccurSerializer}
    create_service = services.risk_create

    @staticmethod
    def update_service(risk, *, user, data):
        return services.risk_update(risk=risk, user=user, data=data)


class ProjectIssueViewSet(TransitionsMixin, ProjectRecordViewSet, mixins.UpdateModelMixin):
    """The project's issues (ITR) with severity and due date; `?overdue=true` lists the open ones past
    due. Transitions `start`, `resolve` (needs a `resolution`, on the issue or in the body) and `close`
    by the issue's owner, its PM or the PMO; `reopen` (needs a `reason`) by the PM or the PMO."""

    queryset = ProjectIssue.objects.none()
    selector = _records(ProjectIssue)
    serializer_class = ProjectIssueSerializer
    filterset_class = ProjectIssueFilter
    search_fields = ["title", "description"]
    ordering_fields = ["due_date", "severity", "created_at"]
    transition_service = services.issue_transition
    transition_subject = "issue"
    transition_serializers = {"resolve": IssueResolveSerializer, "reopen": ReasonRequiredSerializer}
    create_service = services.issue_create

    @staticmethod
    def update_service(issue, *, user, data):
        return services.issue_update(issue=issue, user=user, data=data)


class QualityCheckViewSet(ProjectRecordViewSet):
    """Quality checks with the defects they found (nested on create). A check is not edited: a new
    check corrects an old one. Close a fixed defect with POST …/{id}/defects/{defect_id}/close/."""

    queryset = QualityCheck.objects.none()
    selector = _records(QualityCheck, prefetch=("defects",))
    serializer_class = QualityCheckSerializer
    filterset_fields = ["project", "result", "milestone", "inspector", "date"]
    search_fields = ["subject", "notes"]
    ordering_fields = ["date", "created_at"]
    create_service = services.quality_check_create

    @extend_schema(request=None, responses={200: QualityCheckSerializer})
    @action(detail=True, methods=["post"], url_path=r"defects/(?P<defect_id>[0-9]+)/close", url_name="close-defect")
    def close_defect(self, request, pk=None, defect_id=None):
        """The defect is fixed: record when. Answers with the quality check."""
        qc = self.get_object()
        defect = get_object_or_404(Defect, pk=defect_id, quality_check=qc)
        services.defect_close(defect=defect, user=request.user)
        qc = self.get_queryset().get(pk=qc.pk)
        return Response(self.get_serializer(qc).data, status=status.HTTP_200_OK)


class MeetingViewSet(ProjectRecordViewSet):
    """Project meetings, their decisions and the actions they gave (nested on create). Mark an action
    done with POST …/{id}/actions/{action_id}/done/."""

    queryset = Meeting.objects.none()
    selector = _records(Meeting, prefetch=("actions",))
    serializer_class = MeetingSerializer
    filterset_fields = ["project", "kind", "date"]
    search_fields = ["attendees", "decisions"]
    ordering_fields = ["date", "created_at"]
    create_service = services.meeting_create

    @extend_schema(request=None, responses={200: MeetingSerializer})
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<action_id>[0-9]+)/done", url_name="action-done")
    def action_done(self, request, pk=None, action_id=None):
        """The action was carried out. Answers with the meeting."""
        meeting = self.get_object()
        meeting_action = get_object_or_404(MeetingAction, pk=action_id, meeting=meeting)
        services.meeting_action_done(action=meeting_action, user=request.user)
        meeting = self.get_queryset().get(pk=meeting.pk)
        return Response(self.get_serializer(meeting).data, status=status.HTTP_200_OK)
