from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError

from delivery.selectors import project_visible
from finance import selectors, services
from finance.models import Budget
from ltc_portal.core.api.mixins import TransitionsMixin

from .serializers import BudgetSerializer


class BudgetViewSet(TransitionsMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                    viewsets.ReadOnlyModelViewSet):
    """Budget versions per project: drafted and submitted by the PM; never edited once submitted."""

    queryset = Budget.objects.none()
    serializer_class = BudgetSerializer
    filterset_fields = ["project", "state"]
    transition_service = services.budget_transition

    def get_queryset(self):
        return selectors.budget_list(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = data.pop("project")
        if not project_visible(self.request.user).filter(pk=project.pk).exists():
            raise ValidationError({"project": ["Invalid pk - object does not exist."]})
        serializer.instance = services.budget_create(project=project, user=self.request.user, data=data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("project", None)
        serializer.instance = services.budget_update(budget=serializer.instance, user=self.request.user, data=data)
