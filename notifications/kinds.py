"""The sentence of each kind of notification, rendered in the reader's language when it is read (the
list page, the API, the e-mail), from the ``params`` stored with it. Dates are stored as ISO text and
amounts as decimal text; both are formatted for the reader here."""

import datetime
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import gettext as _

from .models import Kind


def _date(value) -> str:
    try:
        return formats.date_format(datetime.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
    except (TypeError, ValueError):
        return str(value or "—")


def _amount(value) -> str:
    try:
        return formats.number_format(Decimal(str(value)), decimal_pos=2, use_l10n=True, force_grouping=True)
    except (InvalidOperation, TypeError, ValueError):
        return str(value or "—")


def _outcome(code: str) -> str:
    return {"approved": _("approved"), "rejected": _("rejected"), "upheld": _("upheld"), "adjusted": _("adjusted")}.get(
        code, code
    )


class _Params(dict):
    """A notification's params; one that an older row lacks reads as a dash, never a KeyError."""

    def __missing__(self, key):
        return "—"


def render(kind: str, params: dict) -> str:
    p = _Params(params if isinstance(params, dict) else {})

    def with_(**extra) -> _Params:
        return _Params(p, **extra)

    if kind == Kind.GATE_WAITING:
        return _("%(gate)s on “%(subject)s” waits for your decision (requested by %(by)s).") % p
    if kind == Kind.GATE_DECIDED:
        text = _("Your %(gate)s request on “%(subject)s” was %(outcome)s by %(by)s.") % with_(
            outcome=_outcome(p.get("outcome", ""))
        )
        if p.get("comment"):
            text += " " + _("Comment: %(comment)s") % p
        return text
    if kind == Kind.ISSUE_ASSIGNED:
        return _("Issue “%(title)s” on %(project)s is assigned to you (due %(due)s).") % with_(due=_date(p.get("due")))
    if kind == Kind.ISSUE_OVERDUE:
        return _("Issue “%(title)s” on %(project)s is overdue: it was due %(due)s.") % with_(due=_date(p.get("due")))
    if kind == Kind.VARIANCE_ALERT:
        return _("Cost alert on %(project)s in %(period)s: cost variance %(cv)s per cent, CPI %(cpi)s.") % with_(
            cv=p.get("cv") if p.get("cv") is not None else "—",
            cpi=p.get("cpi") if p.get("cpi") is not None else "—",
        )
    if kind == Kind.INVOICE_OVERDUE:
        return _("Invoice %(number)s to %(customer)s is overdue since %(due)s: %(open)s %(currency)s open.") % with_(
            due=_date(p.get("due")), open=_amount(p.get("open"))
        )
    if kind == Kind.APPRAISAL_PUBLISHED:
        return _("Your appraisal for %(cycle)s is published: grade %(grade)s.") % with_(grade=p.get("grade") or "—")
    if kind == Kind.APPEAL_DECIDED:
        text = _("Your appeal on %(cycle)s was %(outcome)s.") % with_(outcome=_outcome(p.get("outcome", "")))
        if p.get("grade"):
            text += " " + _("Your grade is now %(grade)s.") % p
        return text
    return str(Kind(kind).label) if kind in Kind.values else kind


def subject_line(kind: str) -> str:
    """The e-mail's subject: the kind's label."""
    return str(Kind(kind).label) if kind in Kind.values else kind
