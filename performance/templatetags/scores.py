"""Template filters of the performance pages."""

from django import template

register = template.Library()


@register.filter
def score_for(given: dict, kpi) -> str:
    """The score already given on ``kpi`` (from a {kpi id: score} dict), or "" for none."""
    value = (given or {}).get(kpi.pk)
    return "" if value is None else str(value)
