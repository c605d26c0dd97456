from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError

from contracts import selectors, services
from contracts.models import Contract, PaymentMilestone
from ltc_portal.core.api.mixins import TransitionsMixin
from ltc_portal.core.api.serializers import ReasonRequiredSerializer
from opportunities.selectors import opportunity_visible

from .serializers import ContractSerializer, HandOverSerializer, PaymentMilestoneSerializer


class ContractViewSet(TransitionsMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                      viewsets.ReadOnlyModelViewSet):
    """Contracts: drafted once ATC is approved, with payment milestones adding up to the value of the
    final quote; `sign`, `hand_over` (date, attendees, key_terms, risks, open_questions), `terminate`
    (reason)."""

    queryset = Contract.objects.none()
    serializer_class = ContractSerializer
    filterset_fields = ["state", "opportunity"]
    transition_service = services.contract_transition
    transition_serializers = {"hand_over": HandOverSerializer, "terminate": ReasonRequiredSerializer}

    def get_queryset(self):
        return selectors.contract_list(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        opportunity = data.pop("opportunity")
        if not opportunity_visible(self.request.user).filter(pk=opportunity.pk).exists():
            raise ValidationError({"opportunity": ["Invalid pk - object does not exist."]})
        serializer.instance = services.contract_create(opportunity=opportunity, user=self.request.user, data=data)

    def perform_update(self, serializer):
        serializer.instance = services.contract_update(contract=serializer.instance, user=self.request.user,
                                                       data=dict(serializer.validated_data))


class PaymentMilestoneViewSet(viewsets.ReadOnlyModelViewSet):
    """Payment milestones of the contracts you can see (changed through their contract while draft)."""

    queryset = PaymentMilestone.objects.none()
    serializer_class = PaymentMilestoneSerializer
    filterset_fields = ["contract", "state", "trigger"]

    def get_queryset(self):
        return selectors.payment_milestone_list(self.request.user)
