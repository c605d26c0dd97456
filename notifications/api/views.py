from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from ltc_portal.core.api.viewsets import RestrictedViewSet
from notifications import selectors, services
from notifications.models import Notification

from .filters import NotificationFilter
from .serializers import NotificationSerializer, ReadAllSerializer


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Your notifications, newest first (`unread=true` for the unread ones). `POST …/{id}/read/` marks
    one read, `POST …/read-all/` all of them."""

    queryset = Notification.objects.none()
    selector = staticmethod(selectors.notification_list)
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.notification_read(notification=self.get_object(), user=request.user)
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=ReadAllSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.notifications_read_all(user=request.user)})
