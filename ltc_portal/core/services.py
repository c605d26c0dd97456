"""Small pieces every app's services share."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def assign_fields(instance, data: dict, allowed) -> None:
    """Set ``data`` on ``instance``; a field outside ``allowed`` is a validation error (400), not
    silently ignored."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({f: [_("This field cannot be set here.")] for f in sorted(unknown)})
    for field, value in data.items():
        setattr(instance, field, value)
