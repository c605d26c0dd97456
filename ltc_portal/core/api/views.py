from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

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
