"""Dashboard panels. Each app registers the panels it contributes in its ``apps.ready``;
the home page shows each user the panels their roles are given."""

from dataclasses import dataclass

from .roles import user_roles


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: object  # callable(request) -> dict, or None to leave the panel out
    roles: tuple[str, ...] | None = None
    order: int = 100


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _PANELS[panel.key] = panel


def panels_for(request) -> list[dict]:
    user = request.user
    roles = user_roles(user)
    shown = []
    for panel in sorted(_PANELS.values(), key=lambda p: p.order):
        if panel.roles is not None and not user.is_superuser and not (roles & set(panel.roles)):
            continue
        context = panel.context(request)
        if context is None:  # nothing of this panel for this person today
            continue
        shown.append({"key": panel.key, "template": panel.template, **context})
    return shown


def panel_for(request, key: str) -> dict | None:
    """One panel of the home for this person (for its refresh): None when it is not theirs; its context
    is None when it has nothing for them now."""
    panel = _PANELS.get(key)
    if panel is None:
        return None
    user = request.user
    if panel.roles is not None and not user.is_superuser and not (user_roles(user) & set(panel.roles)):
        return None
    context = panel.context(request)
    return {"key": panel.key, "template": panel.template, "empty": context is None, **(context or {})}
