"""``{% state_badge record %}``: a record's state as a Bootstrap badge, its tone taken from the
model's ``state_tones`` ({state: tone}) and its label from the model's choices, so templates compare
no state literals."""

from django import template
from django.utils.html import format_html

from ltc_portal.core.fsm import state_label

register = template.Library()


@register.simple_tag
def state_badge(record, badge_id: str = "") -> str:
    tone = getattr(type(record), "state_tones", {}).get(record.state)
    css = f"text-bg-{tone}" if tone else "text-bg-light border"
    if badge_id:
        return format_html(
            '<span class="badge {} state-{}" id="{}">{}</span>', css, record.state, badge_id, state_label(record)
        )
    return format_html('<span class="badge {} state-{}">{}</span>', css, record.state, state_label(record))


@register.filter
def yours(transitions):
    """The steps a page offers the reader: those they may run (now or once their reasons are met) and
    those the portal runs itself; steps the reader lacks the permission for are left out."""
    return [t for t in transitions or [] if getattr(t, "kind", "ready") != "not_yours"]
