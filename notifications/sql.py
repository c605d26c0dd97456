"""Building blocks of the set-based raises (``services.notify_from_query``): a row's page as an SQL
expression, a model's content type id, and the annotations a raise selects."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse


def url_of(name: str, column: str):
    """The page ``name`` of the row's ``column`` (an id) as an SQL expression, for set-based raises."""
    sample = reverse(name, args=[987654321])
    head, tail = sample.split("987654321", 1)
    return Concat(Value(head), Cast(column, CharField()), Value(tail))


def content_type_id(model) -> int:
    return ContentType.objects.get_for_model(model).pk


#: the seven annotations a set-based raise selects, in the order of COLUMNS
NOTE_FIELDS = ("note_recipient", "kind", "note_params", "note_url", "note_type", "note_subject", "note_key")
