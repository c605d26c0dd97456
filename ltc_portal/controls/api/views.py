"""Gate reviews: request (POST gate-reviews/), decide (…/approve/, …/reject/), and every subject's
gates (GET <resource>/{id}/gates/ via ``GatesMixin``)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from ltc_portal.controls import registry, selectors, services
from ltc_portal.controls.models import Decision, GateReview
from ltc_portal.core.api.viewsets import RestrictedViewSet

from .serializers import (
    GateDecideSerializer,
    GateRejectSerializer,
    GateReviewRequestSerializer,
    GateReviewSerializer,
    GateStatusSerializer,
)


class GateReviewViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Gate reviews. `?waiting_for_me=true` lists the pending reviews one of your roles must decide."""

    queryset = GateReview.objects.none()
    selector = staticmethod(
        lambda user: (
            selectors.review_visible(user)
            .select_related("gate", "requested_by")
            .prefetch_related("decisions__decided_by")
        )
    )
    serializer_class = GateReviewSerializer
    filterset_fields = {
        "state": ["exact"],
        "gate__code": ["exact"],
        "object_id": ["exact"],
        "gate__subject_type": ["exact"],
    }

    def list(self, request, *args, **kwargs):
        if request.query_params.get("waiting_for_me") in ("1", "true", "yes"):
            waiting = selectors.reviews_waiting_for(request.user)
            page = self.paginate_queryset(waiting)
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        return super().list(request, *args, **kwargs)

    @extend_schema(request=GateReviewRequestSerializer, responses={201: GateReviewSerializer})
    def create(self, request, *args, **kwargs):
        body = GateReviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        st = registry.subject_types().get(body.validated_data["subject_type"])
        subject = st.visible(request.user).filter(pk=body.validated_data["subject_id"]).first() if st else None
        if subject is None:
            raise ValidationError(
                {"subject_id": [_("No such %(type)s.") % {"type": body.validated_data["subject_type"]}]}
            )
        review = services.gate_request(
            code=body.validated_data["gate"].upper(),
            subject=subject,
            user=request.user,
            comment=body.validated_data["comment"],
            evidence=body.validated_data["evidence"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, decision, serializer_class):
        review = self.get_object()
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        services.gate_decide(
            review=review,
            user=request.user,
            decision=decision,
            role=body.validated_data["role"],
            comment=body.validated_data["comment"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)

    @extend_schema(request=GateDecideSerializer, responses=GateReviewSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve as one of your roles (give `role` when you hold several of the deciding roles)."""
        return self._decide(request, Decision.APPROVE, GateDecideSerializer)

    @extend_schema(request=GateRejectSerializer, responses=GateReviewSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject as one of your roles; a comment is required."""
        return self._decide(request, Decision.REJECT, GateRejectSerializer)


class GatesMixin:
    """Adds GET …/{id}/gates/ to a subject's viewset: each gate's status, decisions and checklist."""

    @extend_schema(responses=GateStatusSerializer(many=True), request=None)
    @action(detail=True, methods=["get"], url_path="gates", url_name="gates", pagination_class=None)
    def gates(self, request, pk=None):
        subject = self.get_object()
        return Response(GateStatusSerializer(selectors.gates_for(subject, request.user), many=True).data)
