"""The transitions API for any viewset of a lifecycle model (ARCHITECTURE.md):

GET  …/{id}/transitions/         every transition from the current state, allowed or not and why
POST …/{id}/transitions/{name}/  run it: 200 with the record; 409 with reasons; 403; 404
GET  …/{id}/history/             the transition log of the record
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from ltc_portal.core.fsm import (
    UnknownTransition,
    describe_transitions,
    history,
    run_transition,
    transition_names,
)

from .serializers import (
    TransitionErrorSerializer,
    TransitionInfoSerializer,
    TransitionInputSerializer,
    TransitionLogSerializer,
)


class TransitionsMixin:
    #: ``service(*, <transition_subject>=instance, name, user, **validated_body) -> instance``;
    #: plain ``run_transition`` if None
    transition_service = None
    #: the keyword the service takes the record by (default: the model's name, e.g. ``lead``)
    transition_subject = None
    #: per-transition body serializers; the default takes an optional ``reason``
    transition_serializers: dict = {}

    def transition_input_serializer(self, name):
        return self.transition_serializers.get(name, TransitionInputSerializer)

    @extend_schema(responses=TransitionInfoSerializer(many=True), request=None)
    @action(detail=True, methods=["get"], url_path="transitions", url_name="transitions", pagination_class=None)
    def transitions(self, request, pk=None):
        instance = self.get_object()
        return Response(TransitionInfoSerializer(describe_transitions(instance, request.user), many=True).data)

    @extend_schema(
        request=TransitionInputSerializer,
        responses={
            200: None,
            403: OpenApiResponse(description="No permission"),
            404: OpenApiResponse(description="Unknown transition"),
            409: TransitionErrorSerializer,
        },
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[A-Za-z0-9_\-]+)", url_name="run-transition")
    def run_transition(self, request, pk=None, name=None):
        instance = self.get_object()
        if name not in transition_names(type(instance)):
            raise UnknownTransition(name)
        body = self.transition_input_serializer(name)(data=request.data)
        body.is_valid(raise_exception=True)
        service = type(self).transition_service
        if service is None:
            instance = run_transition(instance, name, user=request.user, **body.validated_data)
        else:
            subject = self.transition_subject or type(instance)._meta.model_name
            instance = service(**{subject: instance}, name=name, user=request.user, **body.validated_data)
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(instance).data)

    @extend_schema(responses=TransitionLogSerializer(many=True), request=None)
    @action(detail=True, methods=["get"], url_path="history", url_name="history", pagination_class=None)
    def history(self, request, pk=None):
        instance = self.get_object()
        return Response(TransitionLogSerializer(history(instance), many=True).data)


class ServiceWriteMixin:
    """Create and update through the app's services; serializers only validate the shape."""

    create_service = None  # (user, data) -> instance
    update_service = None  # (instance, user, data) -> instance

    def perform_create(self, serializer):
        serializer.instance = type(self).create_service(user=self.request.user, data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = type(self).update_service(
            serializer.instance, user=self.request.user, data=serializer.validated_data
        )
