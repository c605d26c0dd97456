from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from ltc_portal.controls.api.views import GatesMixin
from ltc_portal.core.api.mixins import ServiceWriteMixin, TransitionsMixin
from ltc_portal.core.api.serializers import ReasonRequiredSerializer
from ltc_portal.core.api.viewsets import RestrictedViewSet
from opportunities import selectors, services
from opportunities.models import Opportunity, Quote

from .filters import OpportunityFilter, QuoteFilter
from .serializers import ForecastRowSerializer, OpportunitySerializer, QuoteSerializer


class OpportunityViewSet(
    TransitionsMixin,
    GatesMixin,
    ServiceWriteMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """Opportunities. `lose` and `abandon` need a `reason`; `ati`, `atb`, `atc` run when their gate
    review is approved (POST gate-reviews/) and `win` when the contract is signed."""

    queryset = Opportunity.objects.none()
    selector = staticmethod(selectors.opportunity_list)
    list_select_related = ()  # the serializer reads ids only
    list_reverse_ids = ("project",)  # a subquery per row of the page, not a join
    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    search_fields = ["name", "customer__name"]
    ordering_fields = ["created_at", "expected_value", "expected_close_date", "probability"]
    transition_service = services.opportunity_transition
    transition_serializers = {"lose": ReasonRequiredSerializer, "abandon": ReasonRequiredSerializer}
    create_service = services.opportunity_create

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


class QuoteViewSet(
    TransitionsMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """Quote versions with lines and the cost estimate. Only a draft is edited; a change afterwards is
    a new version (POST again for the same opportunity)."""

    queryset = Quote.objects.none()
    selector = staticmethod(selectors.quote_list)
    serializer_class = QuoteSerializer
    filterset_class = QuoteFilter
    transition_service = services.quote_transition

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        opportunity = data.pop("opportunity")
        serializer.instance = services.quote_create(opportunity=opportunity, user=self.request.user, data=data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.quote_update(quote=serializer.instance, user=self.request.user, data=data)
