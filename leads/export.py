"""Excel export of a (filtered) lead list."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

EXPORT_COLUMNS = [
    ("id", "ID"),
    ("company_name", _("Company")),
    ("contact_name", _("Contact name")),
    ("email", _("E-mail")),
    ("phone", _("Phone")),
    ("source", _("Source")),
    ("campaign", _("Campaign")),
    ("need", _("Need")),
    ("budget_amount", _("Budget")),
    ("budget_currency", _("Budget currency")),
    ("timeline", _("Timeline")),
    ("state", _("State")),
    ("score", _("Score")),
    ("owner", _("Owner")),
    ("created_at", _("Created")),
]


def leads_workbook(leads) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = str(_("Leads"))
    ws.append([str(label) for _f, label in EXPORT_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    tz = timezone.get_current_timezone()
    for lead in leads.iterator(chunk_size=2000):
        ws.append(
            [
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
                lead.created_at.astimezone(tz).replace(tzinfo=None),
            ]
        )
    for col, width in zip("ABCDEFGHIJKLMNO", (8, 32, 18, 28, 18, 18, 18, 40, 14, 8, 16, 14, 8, 18, 20), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
