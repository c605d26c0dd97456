from django import template

from ltc_portal.controls.selectors import role_label as _role_label

register = template.Library()


@register.filter
def role_label(code):
    """The human name of a deciding role: a group (``sales_director`` → Sales director) or a role
    held through the subject (``change_authority``)."""
    return _role_label(code)


@register.filter
def role_labels(codes):
    return ", ".join(_role_label(c) for c in codes or [])
