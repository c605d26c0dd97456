"""Excel export of a (filtered) lead list (text written as text: a name starting with ``=`` is no formula)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ltc_portal.core import excel

EXPORT_COLUMNS = [
    ("id", "ID"),
    ("company_name", _lazy("Company")),
    ("contact_name", _lazy("Contact name")),
    ("email", _lazy("E-mail")),
    ("phone", _lazy("Phone")),
    ("source", _lazy("Source")),
    ("campaign", _lazy("Campaign")),
    ("need", _lazy("Need")),
    ("budget_amount", _lazy("Budget")),
    ("budget_currency", _lazy("Budget currency")),
    ("timeline", _lazy("Timeline")),
    ("state", _lazy("State")),
    ("score", _lazy("Score")),
    ("owner", _lazy("Owner")),
    ("created_at", _lazy("Created")),
]


def leads_workbook(leads) -> bytes:
    def rows():
        for lead in leads.iterator(chunk_size=2000):
            yield [
                lead.pk,
                lead.company_name,
                lead.contact_name,
                lead.email,
                lead.phone,
                lead.get_source_display(),
                lead.campaign,
                lead.need,
                lead.budget_amount,
                lead.budget_currency,
                lead.get_timeline_display(),
                lead.get_state_display(),
                lead.score,
                lead.owner.get_full_name() or lead.owner.username,
                lead.created_at,
            ]

    return excel.workbook(
        _("Leads"),
        [label for _f, label in EXPORT_COLUMNS],
        rows(),
        widths=(8, 32, 18, 28, 18, 18, 18, 40, 14, 8, 16, 14, 8, 18, 20),
    )
