"""Panels that a downstream app contributes to an upstream page, so the page needs no upward import.

A page names its slots (``"project.cockpit"``, ``"project.side"``); an app registers a panel for a
slot in its ``apps.ready``, with the template that draws it and a ``context(subject, user) -> dict``
read from its own selectors (return None to leave the panel out). The page's selector asks
``panels_for(slot, subject=..., user=...)`` and the template includes each panel's template with its
context. Each panel must cost a constant number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    slot: str
    key: str
    template: str
    context: Callable  # (subject, user) -> dict | None
    order: int = 100


_PANELS: dict[tuple[str, str], Panel] = {}


def register(*, slot: str, key: str, template: str, context: Callable, order: int = 100) -> None:
    _PANELS[(slot, key)] = Panel(slot, key, template, context, order)


def panels_for(slot: str, *, subject, user) -> list[dict]:
    """The panels of ``slot`` for this subject and user, in order: ``{key, template, context}``."""
    shown = []
    for panel in sorted((p for p in _PANELS.values() if p.slot == slot), key=lambda p: (p.order, p.key)):
        context = panel.context(subject, user)
        if context is not None:
            shown.append({"key": panel.key, "template": panel.template, "context": context})
    return shown


#: rows of a record list on another record's page (the panel says when there are more)
RECORD_ROWS = 20
RECORD_TEMPLATE = "includes/record_panel.html"


def cell(text, *, end: bool = False, badge: str = "") -> dict:
    return {"text": text, "end": end, "badge": badge}


def record_panel(
    *, id: str, title, columns: list[tuple], rows: list, row: Callable, footer: str = "", total: Callable | None = None
) -> dict | None:
    """The context of ``includes/record_panel.html`` from at most RECORD_ROWS + 1 records (fetch one
    more than you show to know there are more): ``columns`` as ``(label, end_aligned)``, ``row(record)
    -> (url, [cell, …])``; ``total()`` counts them all, asked only when there are more than shown (one
    more query then), so the panel says "20 of 57". None (the panel is left out) when there are no
    records."""
    if not rows:
        return None
    shown = rows[:RECORD_ROWS]
    more = len(rows) > RECORD_ROWS
    return {
        "id": id,
        "title": title,
        "columns": [{"label": label, "end": end} for label, end in columns],
        "rows": [dict(zip(("url", "cells"), row(r), strict=True)) for r in shown],
        "more": more,
        "shown": len(shown),
        "total": total() if more and total is not None else None,
        "footer": footer,
    }
