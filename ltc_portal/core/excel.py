"""Excel (.xlsx) downloads, one home for every export: a bold, frozen header; numbers stay numbers
(Decimal, int, dates); text is always written as text — a cell that starts with ``=``, ``+``, ``-`` or
``@`` is never taken for a formula (no formula injection from a customer's name or a note)."""

import datetime
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _value(value):
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(timezone.get_current_timezone())
        return value.replace(tzinfo=None)
    if value is None or isinstance(value, int | float | datetime.date) or hasattr(value, "as_tuple"):
        return value
    return str(value)


def workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] = ()) -> bytes:
    """One sheet named ``title``: ``headers`` then ``rows`` (an iterable, consumed once)."""
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = str(title)[:31]
    ws.append([str(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        for c, raw in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            value = _value(raw)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # text, even when it looks like a formula
    for i, width in enumerate(widths):
        ws.column_dimensions[ws.cell(row=1, column=i + 1).column_letter].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
