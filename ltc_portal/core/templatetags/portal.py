from django import template

from ltc_portal.core.roles import Role

register = template.Library()
LABELS = dict(Role.choices)


@register.filter
def role_label(code):
    """The human name of a role code (``sales_director`` → Sales director)."""
    return LABELS.get(code, code)


@register.filter
def role_labels(codes):
    return ", ".join(str(LABELS.get(c, c)) for c in codes or [])
