"""Base classes of every API viewset and serializer (NetBox-style): a viewset's queryset is always
restricted to what the user may read, through the app's selector; a serializer's related fields
accept only the objects the user may use; a parent field is fixed once the record exists."""

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from .lists import IdRelatedField, list_reverse_ids


class RestrictedViewSet(viewsets.GenericViewSet):
    """``selector(user) -> QuerySet`` (a staticmethod) gives the records the user may read; every
    list, detail, update and action reads through it, so a record the user may not read is a 404.

    ``list_select_related`` (a tuple), when set, replaces the selector's joins on the list: the
    relations its serializer really reads (a page's selector joins what the page draws; building
    model rows for joins nobody reads was most of an API list's time at dataset L).
    ``list_reverse_ids`` (reverse one-to-one names) adds their ids to the list's rows as subqueries
    (``lists.list_reverse_ids``), for the serializer's ``ReverseIdField``."""

    selector = None
    list_select_related = None
    list_reverse_ids = ()

    def get_queryset(self):
        selector = type(self).selector
        if selector is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a selector(user) -> QuerySet")
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular builds the schema without a user
            return self.queryset
        qs = selector(self.request.user)
        if self.list_select_related is not None and getattr(self, "action", None) == "list":
            qs = qs.select_related(None)
            if self.list_select_related:
                qs = qs.select_related(*self.list_select_related)
        if self.list_reverse_ids and getattr(self, "action", None) == "list":
            qs = list_reverse_ids(qs, *self.list_reverse_ids)
        return qs


class VisibleRelatedField(IdRelatedField):
    """A related object chosen by id among those ``selector(user)`` returns; any other id is
    "Invalid pk" (400), whether it does not exist or the user may not use it. ``queryset`` names the
    model (for the schema); it is never read as such."""

    def __init__(self, *, selector, **kwargs):
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return self.queryset.none()
        return self.selector(request.user)


class CreateOnlyFieldsMixin:
    """Fields that place a record (its ``project``, its ``opportunity``) are set when it is created
    and never moved afterwards: an update that gives another value is a 400 on that field, not
    silently ignored; giving the same value is accepted."""

    create_only_fields: tuple[str, ...] = ()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is None or isinstance(self.instance, list):
            return attrs
        errors = {}
        for name in self.create_only_fields:
            if name not in attrs:
                continue
            new = attrs.pop(name)
            current = getattr(self.instance, name)
            if (getattr(new, "pk", new)) != (getattr(current, "pk", current)):
                errors[name] = [_("This is fixed once the record is created.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs
