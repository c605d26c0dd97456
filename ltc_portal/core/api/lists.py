"""What keeps an API list cheap per row at dataset L (issue 11 §5), with the output unchanged:

- ``list_reverse_ids(qs, "opportunity")``: the id of the record on the other side of a reverse
  one-to-one (a lead's opportunity, an opportunity's project) as a correlated subquery, one index
  probe per row of the page, instead of a LEFT JOIN that builds a related model per row;
  ``ReverseIdField`` reads it (or the relation, where the row was not annotated: a detail, a write);
- ``IdRelatedField``: a related id read from the row's own ``<fk>_id`` column, never the related
  object; the ``serializer_related_field`` of ``ListModelSerializer``;
- ``ListModelSerializer``: its fields built once per class and language and copied for each
  serializer (DRF builds them from the model for every request), and rows turned into dicts without
  DRF's per-field generator.
"""

import copy

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db.models import OuterRef, Subquery
from django.utils import translation
from rest_framework import serializers
from rest_framework.relations import PKOnlyObject

REVERSE_ID = "{}__listed_id"


def list_reverse_ids(qs, *names):
    """``qs`` with, for each reverse one-to-one ``name`` of its model, the related record's id (or
    None) as the annotation ``REVERSE_ID.format(name)``."""
    annotations = {}
    for name in names:
        rel = qs.model._meta.get_field(name)
        if not (rel.one_to_one and rel.auto_created and not rel.concrete):
            raise ValueError(f"{qs.model.__name__}.{name} is not a reverse one-to-one relation")
        related = rel.related_model._base_manager.filter(**{rel.field.name: OuterRef("pk")})
        annotations[REVERSE_ID.format(name)] = Subquery(related.order_by().values("pk")[:1])
    return qs.annotate(**annotations)


class ReverseIdField(serializers.PrimaryKeyRelatedField):
    """The id of the record on the other side of a reverse one-to-one (read-only; null when there is
    none): the ``list_reverse_ids`` annotation when the row has it, else the relation. A related
    field still, for the schema and OPTIONS."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        name = self.source_attrs[-1]
        owner = instance
        for attr in self.source_attrs[:-1]:
            owner = getattr(owner, attr)
        listed = owner.__dict__.get(REVERSE_ID.format(name), owner)
        if listed is not owner:
            return PKOnlyObject(pk=listed)
        try:
            return PKOnlyObject(pk=getattr(owner, name).pk)
        except ObjectDoesNotExist:
            return PKOnlyObject(pk=None)


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """``PrimaryKeyRelatedField`` whose value is read from the row's ``<fk>_id`` column when its
    source is a foreign key of the serializer's model (so the related object is never loaded, nor
    looked up by name on each row); otherwise as DRF does."""

    _attname = None

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        model = getattr(getattr(parent, "Meta", None), "model", None)
        if model is None or len(self.source_attrs) != 1 or self.pk_field is not None:
            return
        try:
            field = model._meta.get_field(self.source_attrs[0])
        except FieldDoesNotExist:  # a property or a method: DRF's way
            return
        if field.concrete and (field.many_to_one or field.one_to_one):
            self._attname = field.attname

    def get_attribute(self, instance):
        if self._attname is not None:
            try:
                return PKOnlyObject(pk=getattr(instance, self._attname))
            except AttributeError:  # not a model instance (validated data)
                pass
        return super().get_attribute(instance)


class ListModelSerializer(serializers.ModelSerializer):
    # A ModelSerializer for records listed by the hundred: the same fields and the same output, with
    # the fields built from the model once per class (each serializer gets its own copy, bound to it)
    # and related ids read from the ``_id`` columns. No docstring: the schema would take it as the
    # description of every serializer built on it.

    serializer_related_field = IdRelatedField

    def get_fields(self):
        # per class and language: DRF gives a model field a label only where its verbose name, in the
        # language of the moment, differs from the one it derives from the field's name
        cls = type(self)
        if "_built_fields" not in cls.__dict__:
            cls._built_fields = {}
        language = translation.get_language()
        built = cls._built_fields.get(language)
        if built is None:
            fields = super().get_fields()
            built = cls._built_fields[language] = {name: copy.deepcopy(field) for name, field in fields.items()}
        return {name: copy.deepcopy(field) for name, field in built.items()}

    def to_representation(self, instance):
        ret = {}
        for field in self._listed_fields:
            try:
                attribute = field.get_attribute(instance)
            except serializers.SkipField:
                continue
            if attribute is None or (isinstance(attribute, PKOnlyObject) and attribute.pk is None):
                ret[field.field_name] = None
            else:
                ret[field.field_name] = field.to_representation(attribute)
        return ret

    @property
    def _listed_fields(self):
        fields = self.__dict__.get("_listed_fields_cache")
        if fields is None:
            fields = self.__dict__["_listed_fields_cache"] = [f for f in self.fields.values() if not f.write_only]
        return fields
