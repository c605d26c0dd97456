from rest_framework import mixins, viewsets

from delivery import selectors, services
from delivery.models import Project
from ltc_portal.controls.api.views import GatesMixin
from ltc_portal.core.api.mixins import TransitionsMixin

from .serializers import ProjectSerializer


class ProjectViewSet(TransitionsMixin, GatesMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Delivery projects, opened when ATI is approved. The PM records the pre-sales work that DTRB,
    DRA, DTRC and DRB check; the PMO assigns the PM."""

    queryset = Project.objects.none()
    serializer_class = ProjectSerializer
    filterset_fields = ["state", "pm", "opportunity"]
    ordering_fields = ["created_at", "name"]

    def get_queryset(self):
        return selectors.project_list(self.request.user)

    def perform_update(self, serializer):
        serializer.instance = services.project_update(project=serializer.instance, user=self.request.user,
                                                      data=dict(serializer.validated_data))
