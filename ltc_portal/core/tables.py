"""Reading an uploaded table (CSV or Excel .xlsx) for the imports of leads and cost entries: one home
for the file formats, encodings and limits."""

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import load_workbook


class ImportFileError(Exception):
    """The file cannot be read at all (wrong type, not a table, a required column missing)."""


def read_table(filename: str, content: bytes, *, max_rows: int) -> tuple[list[str], list[list]]:
    """Header and data rows of a CSV (UTF-8, with or without BOM, or GB18030) or .xlsx file, empty
    rows left out; refused (ImportFileError, in words) when unreadable, empty or over ``max_rows``."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise ImportFileError(_("This is not a readable Excel (.xlsx) file.")) from exc
        rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
    elif name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFileError(_("The CSV file is neither UTF-8 nor GB18030 text."))
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error as exc:
            raise ImportFileError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc
    else:
        raise ImportFileError(_("Upload a .csv or .xlsx file."))
    rows = [r for r in rows if any(c not in (None, "") for c in r)]
    if not rows:
        raise ImportFileError(_("The file is empty."))
    if len(rows) - 1 > max_rows:
        raise ImportFileError(
            _("The file has %(n)s rows; at most %(max)s can be imported at once.")
            % {"n": len(rows) - 1, "max": max_rows}
        )
    return [str(h or "") for h in rows[0]], rows[1:]
