from django import template

from ltc_portal.controls.selectors import review_summary as _review_summary
from ltc_portal.controls.selectors import role_label as _role_label
from ltc_portal.controls.selectors import role_labels as _role_labels

register = template.Library()


@register.filter
def role_label(code):
    """The human name of a deciding role: a group (``sales_director`` → Sales director) or a role
    held through the subject (``change_authority``)."""
    return _role_label(code)


@register.filter
def role_labels(codes):
    return _role_labels(codes)


@register.filter
def summary(review):
    """What the deciders were shown when the review was requested, in the reader's language."""
    return _review_summary(review)
