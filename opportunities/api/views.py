from rest_framework import viewsets

from ltc_portal.core.api.mixins import TransitionsMixin
from opportunities.models import Opportunity
from opportunities.selectors import opportunity_list

from .serializers import OpportunitySerializer


class OpportunityViewSet(TransitionsMixin, viewsets.ReadOnlyModelViewSet):
    """Opportunities, read-only until the sales-side lifecycle arrives."""

    queryset = Opportunity.objects.none()
    serializer_class = OpportunitySerializer
    filterset_fields = ["state", "owner", "customer"]
    ordering_fields = ["created_at", "expected_value"]

    def get_queryset(self):
        return opportunity_list(self.request.user)
