from rest_framework import mixins

from finance import selectors, services
from finance.models import Budget
from ltc_portal.core.api.mixins import TransitionsMixin
from ltc_portal.core.api.viewsets import RestrictedViewSet

from .filters import BudgetFilter
from .serializers import BudgetSerializer


class BudgetViewSet(
    TransitionsMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """Budget versions per project: drafted and submitted by the PM; never edited once submitted."""

    queryset = Budget.objects.none()
    selector = staticmethod(selectors.budget_list)
    serializer_class = BudgetSerializer
    filterset_class = BudgetFilter
    transition_service = services.budget_transition

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = data.pop("project")
        serializer.instance = services.budget_create(project=project, user=self.request.user, data=data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.budget_update(budget=serializer.instance, user=self.request.user, data=data)
