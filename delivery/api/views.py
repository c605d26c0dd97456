from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from delivery import selectors, services
from delivery.models import ChangeRequest, Delegation, Milestone, Project, TeamMember
from ltc_portal.controls.api.views import GatesMixin
from ltc_portal.core.api.mixins import TransitionsMixin
from ltc_portal.core.api.serializers import ReasonRequiredSerializer

from .serializers import (
    AcceptInputSerializer,
    ChangeRequestSerializer,
    DelegationSerializer,
    MilestoneSerializer,
    NarrowSerializer,
    ProjectSerializer,
    TeamMemberSerializer,
)


class ProjectViewSet(TransitionsMixin, GatesMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Delivery projects, opened when ATI is approved. The PM records the pre-sales work that DTRB,
    DRA, DTRC and DRB check; the PMO assigns the PM. After the plan: DR1 (build), start_implementation,
    DR3 (handover), DR4 (closed)."""

    queryset = Project.objects.none()
    serializer_class = ProjectSerializer
    filterset_fields = ["state", "pm", "opportunity"]
    ordering_fields = ["created_at", "name"]
    transition_service = services.project_transition

    def get_queryset(self):
        return selectors.project_list(self.request.user)

    def perform_update(self, serializer):
        serializer.instance = services.project_update(project=serializer.instance, user=self.request.user,
                                                      data=dict(serializer.validated_data))


class ProjectRecordViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A project's records: visible with the project, written through the app's services."""

    model = None
    create_service = None  # (project=, user=, data=)
    update_service = None  # (record, user=, data=)

    def get_queryset(self):
        return selectors.project_records(self.request.user, self.model)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = data.pop("project")
        if not selectors.project_visible(self.request.user).filter(pk=project.pk).exists():
            raise ValidationError({"project": ["Invalid pk - object does not exist."]})
        serializer.instance = type(self).create_service(project=project, user=self.request.user, data=data)

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "project"}
        serializer.instance = type(self).update_service(serializer.instance, user=self.request.user, data=data)


class TeamMemberViewSet(ProjectRecordViewSet):
    """The project team; only the PM (or PMO) changes it."""

    model = TeamMember
    queryset = TeamMember.objects.none()
    serializer_class = TeamMemberSerializer
    filterset_fields = ["project", "user", "role"]
    create_service = services.team_member_add

    @staticmethod
    def update_service(member, *, user, data):
        return services.team_member_update(member=member, user=user, data=data)

    def get_queryset(self):
        return super().get_queryset().select_related("user")


class DelegationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Delegated authority: granted by the PM, never edited; `revoke` ends it (kept on record)."""

    queryset = Delegation.objects.none()
    serializer_class = DelegationSerializer
    filterset_fields = ["project", "grantee", "scope"]

    def get_queryset(self):
        return selectors.project_records(self.request.user, Delegation)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = data.pop("project")
        if not selectors.project_visible(self.request.user).filter(pk=project.pk).exists():
            raise ValidationError({"project": ["Invalid pk - object does not exist."]})
        serializer.instance = services.delegation_grant(project=project, user=self.request.user, data=data)

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


class MilestoneViewSet(TransitionsMixin, ProjectRecordViewSet):
    """Milestones; `accept` takes the acceptance certificate (signed_by, date, document_ref, remarks),
    `waive` (PMO) a reason."""

    model = Milestone
    queryset = Milestone.objects.none()
    serializer_class = MilestoneSerializer
    filterset_fields = ["project", "state"]
    create_service = services.milestone_create
    transition_service = services.milestone_transition
    transition_serializers = {"accept": AcceptInputSerializer, "waive": ReasonRequiredSerializer}

    @staticmethod
    def update_service(milestone, *, user, data):
        return services.milestone_update(milestone=milestone, user=user, data=data)


class ChangeRequestViewSet(TransitionsMixin, GatesMixin, ProjectRecordViewSet):
    """Change requests, decided through DR2 (POST gate-reviews/ with subject_type change_request)."""

    model = ChangeRequest
    queryset = ChangeRequest.objects.none()
    serializer_class = ChangeRequestSerializer
    filterset_fields = ["project", "state"]
    create_service = services.change_request_create
    transition_service = services.change_request_transition
    transition_serializers = {"withdraw": ReasonRequiredSerializer}

    @staticmethod
    def update_service(change, *, user, data):
        return services.change_request_update(change=change, user=user, data=data)
