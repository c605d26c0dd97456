from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from ltc_portal.core import search
from ltc_portal.core.roles import user_roles
from ltc_portal.core.security import token_expired, token_expires_at


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    is_superuser = serializers.BooleanField()


class MeView(APIView):
    """Who the caller is and which roles they hold."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        u = request.user
        return Response(
            MeSerializer(
                {
                    "id": u.id,
                    "username": u.username,
                    "full_name": u.get_full_name(),
                    "roles": sorted(user_roles(u)),
                    "is_superuser": u.is_superuser,
                }
            ).data
        )


class SearchHitSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()


class SearchErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SearchView(APIView):
    """Global search: what the caller may read among leads, customers, contacts, opportunities,
    contracts, projects and invoices whose name, number, e-mail, phone or tax ID contains ``q``;
    grouped by type (in this order), at most ``PER_TYPE`` per type. An empty ``q`` finds nothing."""

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Text to look for (at most 100 characters).")],
        responses={200: SearchHitSerializer(many=True), 400: SearchErrorSerializer},
    )
    def get(self, request):
        try:
            groups = search.search(request.user, request.query_params.get("q", ""))
        except search.QueryRefused as exc:
            return Response({"detail": str(exc)}, status=400)
        hits = [hit for group in groups for hit in group["hits"]]
        return Response(SearchHitSerializer(hits, many=True).data)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)


class LockedOutSerializer(serializers.Serializer):
    """429 of the token endpoint: locked out after repeated failures, or throttled (Retry-After).
    Not named ``Error``: that component is the generic error body (``ltc_portal.core.api.schema``)."""

    detail = serializers.CharField()


class ObtainTokenView(ObtainAuthToken):
    """Your API token for a user name and password (the same token until it expires or is revoked; an
    expired one is replaced). Failed attempts count towards the login lockout of the pages."""

    throttle_classes = [AnonRateThrottle]

    def get_serializer_context(self):
        # django-axes reads and marks the Django request, not DRF's wrapper around it
        return {"request": self.request._request, "format": self.format_kwarg, "view": self}

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Wrong user name or password."),
            429: OpenApiResponse(
                LockedOutSerializer,
                description="Locked out after repeated failures, or throttled; retry after Retry-After seconds.",
            ),
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        # a token issued is a login: last_login, axes' access log and its reset of the failures
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        with transaction.atomic():
            token, created = Token.objects.select_for_update().get_or_create(user=user)
            if not created and token_expired(token):
                token.delete()
                token = Token.objects.create(user=user)
        expires = token_expires_at(token) if settings.API_TOKEN_TTL_DAYS > 0 else None
        return Response(TokenSerializer({"token": token.key, "expires_at": expires}).data)


class RevokeTokenView(APIView):
    """Revoke your API token: it stops working at once (get a new one with POST auth/token/)."""

    @extend_schema(request=None, responses={204: None})  # 401 etc.: the generic Error
    def post(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=204)


class DocsPermission(BasePermission):
    """The schema and Swagger UI are for signed-in users when API_DOCS_REQUIRE_LOGIN is on."""

    def has_permission(self, request, view):
        return not settings.API_DOCS_REQUIRE_LOGIN or bool(request.user and request.user.is_authenticated)


schema_view = SpectacularAPIView.as_view(permission_classes=[DocsPermission])
_swagger_view = SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=[DocsPermission])


def swagger_view(request, *args, **kwargs):
    """Swagger UI (its script served apart, for the CSP); a browser not signed in is sent to the login
    page when the docs need a login."""
    if settings.API_DOCS_REQUIRE_LOGIN and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _swagger_view(request, *args, **kwargs)
