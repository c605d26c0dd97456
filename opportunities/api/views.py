from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from ltc_portal.controls.api.views import GatesMixin
from ltc_portal.core.api.mixins import ServiceWriteMixin, TransitionsMixin
from ltc_portal.core.api.serializers import ReasonRequiredSerializer
from opportunities import selectors, services
from opportunities.models import Opportunity, Quote

from .serializers import ForecastRowSerializer, OpportunitySerializer, QuoteSerializer


class OpportunityViewSet(TransitionsMixin, GatesMixin, ServiceWriteMixin, mixins.CreateModelMixin,
                         mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Opportunities. `lose` and `abandon` need a `reason`; `ati`, `atb`, `atc` run when their gate
    review is approved (POST gate-reviews/) and `win` when the contract is signed."""

    queryset = Opportunity.objects.none()
    serializer_class = OpportunitySerializer
    filterset_fields = ["state", "owner", "customer", "solution_owner", "currency"]
    search_fields = ["name", "customer__name"]
    ordering_fields = ["created_at", "expected_value", "expected_close_date", "probability"]
    transition_service = services.opportunity_transition
    transition_serializers = {"lose": ReasonRequiredSerializer, "abandon": ReasonRequiredSerializer}
    create_service = services.opportunity_create

    def get_queryset(self):
        return selectors.opportunity_list(self.request.user)

    @staticmethod
    def update_service(opportunity, *, user, data):
        return services.opportunity_update(opportunity=opportunity, user=user, data=data)

    @extend_schema(responses=ForecastRowSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def forecast(self, request):
        """Weighted forecast: expected value × probability of open opportunities, by month of expected
        close and currency (filters apply)."""
        qs = self.filter_queryset(self.get_queryset())
        return Response(ForecastRowSerializer(selectors.weighted_forecast(request.user, qs), many=True).data)


class QuoteViewSet(TransitionsMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                   viewsets.ReadOnlyModelViewSet):
    """Quote versions with lines and the cost estimate. Only a draft is edited; a change afterwards is
    a new version (POST again for the same opportunity)."""

    queryset = Quote.objects.none()
    serializer_class = QuoteSerializer
    filterset_fields = ["opportunity", "state"]
    transition_service = services.quote_transition

    def get_queryset(self):
        return selectors.quote_list(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        opportunity = data.pop("opportunity")
        if not selectors.opportunity_visible(self.request.user).filter(pk=opportunity.pk).exists():
            raise ValidationError({"opportunity": ["Invalid pk - object does not exist."]})
        serializer.instance = services.quote_create(opportunity=opportunity, user=self.request.user, data=data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("opportunity", None)
        serializer.instance = services.quote_update(quote=serializer.instance, user=self.request.user, data=data)
