"""Global search: one box, every kind of record the user may read, grouped by type.

Core knows no app: each app registers a provider in its own ``search.py`` (imported from its
``apps.ready``). A provider answers ``search(user, q, limit) -> list[Hit]`` from its app's visibility
selector with one query, so a search costs one query per provider whatever the data. The text is
cleaned here once (``clean_query``): NUL bytes out, surrounding space out, at most ``MAX_QUERY``
characters (longer is refused in words, never a 500). Matching is ``icontains`` (``%`` and ``_`` are
escaped by Django); on PostgreSQL the columns searched carry trigram GIN indexes on ``UPPER(col)``,
which is what ``icontains`` compares, so the planner uses them (``ltc_portal.core.indexes``).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy

#: longest text searched; a longer one is refused (a search box needs no more)
MAX_QUERY = 100
#: hits per type on the page and in the API
PER_TYPE = 10


class QueryRefused(ValueError):
    """The search text cannot be searched (too long); the message says why."""


@dataclass(frozen=True)
class Hit:
    type: str
    id: int
    title: str
    url: str
    subtitle: str = ""


@dataclass(frozen=True)
class Provider:
    type: str
    label: object  # a lazy plural, e.g. "Leads"
    search: Callable  # (user, q, limit) -> list[Hit]
    order: int = 100


_PROVIDERS: dict[str, Provider] = {}


def register(*, type: str, label, search: Callable, order: int = 100) -> None:
    _PROVIDERS[type] = Provider(type, label, search, order)


def providers() -> list[Provider]:
    return sorted(_PROVIDERS.values(), key=lambda p: (p.order, p.type))


def clean_query(raw) -> str:
    """The text to search: NUL bytes and surrounding space removed; refused beyond ``MAX_QUERY``."""
    q = str(raw or "").replace("\x00", "").strip()
    if len(q) > MAX_QUERY:
        raise QueryRefused(gettext_lazy("Search for at most %(max)s characters.") % {"max": MAX_QUERY})
    return q


def search(user, raw, *, limit: int = PER_TYPE) -> list[dict]:
    """The groups of hits for ``raw``: ``{type, label, hits}`` per provider that found something, in
    registry order. Empty text finds nothing (and costs no query)."""
    q = clean_query(raw)
    if not q or not user.is_authenticated:
        return []
    groups = []
    for provider in providers():
        hits = provider.search(user, q, limit)
        if hits:
            groups.append({"type": provider.type, "label": provider.label, "hits": hits})
    return groups
