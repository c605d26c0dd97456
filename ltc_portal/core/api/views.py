from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ltc_portal.core import search
from ltc_portal.core.roles import user_roles


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
