from rest_framework import mixins

from contracts import selectors, services
from contracts.models import Contract, PaymentMilestone
from ltc_portal.core.api.mixins import TransitionsMixin
from ltc_portal.core.api.serializers import ReasonRequiredSerializer
from ltc_portal.core.api.viewsets import RestrictedViewSet

from .filters import ContractFilter, PaymentMilestoneFilter
from .serializers import ContractSerializer, HandOverSerializer, PaymentMilestoneSerializer


class ContractViewSet(
    TransitionsMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """Contracts: drafted once ATC is approved, with payment milestones adding up to the value of the
    final quote; `sign`, `hand_over` (date, attendees, key_terms, risks, open_questions), `terminate`
    (reason)."""

    queryset = Contract.objects.none()
    selector = staticmethod(selectors.contract_list)
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    transition_service = services.contract_transition
    transition_serializers = {"hand_over": HandOverSerializer, "terminate": ReasonRequiredSerializer}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        opportunity = data.pop("opportunity")
        serializer.instance = services.contract_create(opportunity=opportunity, user=self.request.user, data=data)

    def perform_update(self, serializer):
        serializer.instance = services.contract_update(
            contract=serializer.instance, user=self.request.user, data=dict(serializer.validated_data)
        )


class PaymentMilestoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Payment milestones of the contracts you can see (changed through their contract while draft)."""

    queryset = PaymentMilestone.objects.none()
    selector = staticmethod(selectors.payment_milestone_list)
    serializer_class = PaymentMilestoneSerializer
    filterset_class = PaymentMilestoneFilter
