"""Limits on what one record holds (issue 11 §1): a quote, an estimate, a budget or a contract's
payment milestones have at most ``MAX_LINES_PER_RECORD`` lines, so one request cannot hold a worker
for seconds. Services check it (every door), the API's list serializers before validating each line."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def max_lines() -> int:
    return settings.MAX_LINES_PER_RECORD


def too_many_lines_text(count: int) -> str:
    return _("At most %(max)s lines per record; this one has %(count)s.") % {"max": max_lines(), "count": count}


def require_max_lines(**lists) -> None:
    """``require_max_lines(lines=[...], estimate_lines=[...])``: a ValidationError on each list that is
    longer than the limit."""
    errors = {
        field: [too_many_lines_text(len(items))] for field, items in lists.items() if len(items or ()) > max_lines()
    }
    if errors:
        raise ValidationError(errors)
