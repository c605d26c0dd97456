"""Cost entries from a CSV or Excel (.xlsx) file (finance): the same checks as the bulk API, row by
row with a report, all or nothing, with its progress recorded while the task runs.

Columns are matched by header, in English or Chinese: ``project`` (the project's id or its
contract's number), ``date``, ``category`` (code or label), ``amount``, ``currency``, ``description``
are required; ``source_system`` (default ``import``), ``source_ref`` (default: file name and row) and
``reverses`` (the id of the entry a negative row undoes) are optional. Rows are numbered as the user
sees them in Excel (row 1 is the header, row 2 the first entry).
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from delivery.models import Project
from ltc_portal.core.tables import ImportFileError, read_table
from opportunities.models import CostCategory

from .models import CostEntry, CostImport
from .services.costs import BulkCheck, BulkRefused, record_checked

COLUMNS = {
    "project": ["project", "project id", "contract", "contract number", "项目", "项目编号", "合同", "合同编号"],
    "date": ["date", "日期", "发生日期"],
    "category": ["category", "cost category", "类别", "成本类别", "费用类别"],
    "amount": ["amount", "金额"],
    "currency": ["currency", "币种", "货币"],
    "description": ["description", "说明", "摘要", "描述"],
    "source_system": ["source_system", "source system", "来源系统"],
    "source_ref": ["source_ref", "source reference", "reference", "单据号", "参考号"],
    "reverses": ["reverses", "冲销", "冲销记录"],
}
REQUIRED = ("project", "date", "category", "amount", "currency", "description")
CHUNK = 500


def _header_map(headers: list[str]) -> dict[int, str]:
    lookup = {alias.casefold(): field for field, aliases in COLUMNS.items() for alias in aliases}
    mapping: dict[int, str] = {}
    for i, h in enumerate(headers):
        field = lookup.get(str(h or "").strip().casefold())
        if field and field not in mapping.values():
            mapping[i] = field
    missing = [f for f in REQUIRED if f not in mapping.values()]
    if missing:
        raise ImportFileError(
            _("The file lacks the columns %(cols)s (the first row names the columns).") % {"cols": ", ".join(missing)}
        )
    return mapping


def _categories() -> dict[str, str]:
    """Category by code, English label and Chinese label (case-insensitive)."""
    lookup = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for code, label in CostCategory.choices:
                lookup[code.casefold()] = code
                lookup[str(label).casefold()] = code
    return lookup


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    if day is None:
        raise ValueError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": str(value)[:40]})
    return day


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": str(value)[:40]}) from None
    if not amount.is_finite():
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": str(value)[:40]})
    return amount


class _Parser:
    """Turns the file's cells into the rows the bulk checks take (a parse error is a row error)."""

    def __init__(self, cost_import: CostImport, mapping: dict[int, str]):
        self.mapping = mapping
        self.name = cost_import.filename
        projects = Project.objects.select_related("contract")
        self.projects = {p.pk: p for p in projects}
        self.by_contract = {p.contract.number.casefold(): p.pk for p in self.projects.values() if p.contract_id}
        self.categories = _categories()

    def reversed_entries(self, rows: list[list]) -> dict[int, CostEntry]:
        column = next((i for i, f in self.mapping.items() if f == "reverses"), None)
        ids = set()
        for cells in rows:
            value = cells[column] if column is not None and column < len(cells) else None
            raw = str(value or "").strip()
            if raw.isdigit():
                ids.add(int(raw))
        return {e.pk: e for e in CostEntry.objects.filter(pk__in=ids)} if ids else {}

    def row(self, n: int, cells: list, reversed_by_id: dict[int, CostEntry]) -> tuple[dict, dict[str, list[str]]]:
        raw = {f: (cells[i] if i < len(cells) else None) for i, f in self.mapping.items()}
        data, errors = {}, {}
        project = str(raw.get("project") or "").strip()
        if project.isdigit() and int(project) in self.projects:
            data["project"] = int(project)
        elif project.casefold() in self.by_contract:
            data["project"] = self.by_contract[project.casefold()]
        else:
            errors["project"] = [_("No project or contract “%(value)s”.") % {"value": project[:40]}]
        for field, parse in (("date", _date), ("amount", _amount)):
            try:
                data[field] = parse(raw.get(field))
            except ValueError as exc:
                errors[field] = [str(exc)]
        category = self.categories.get(str(raw.get("category") or "").strip().casefold())
        if category is None:
            errors["category"] = [_("Unknown category “%(value)s”.") % {"value": str(raw.get("category"))[:40]}]
        data["category"] = category
        data["currency"] = str(raw.get("currency") or "").strip().upper()
        data["description"] = str(raw.get("description") or "").strip()
        data["source_system"] = str(raw.get("source_system") or "").strip() or "import"
        data["source_ref"] = str(raw.get("source_ref") or "").strip() or f"{self.name[:80]}#{n}"
        reverses = str(raw.get("reverses") or "").strip()
        if reverses:
            original = reversed_by_id.get(int(reverses)) if reverses.isdigit() else None
            if original is None:
                errors["reverses"] = [_("No cost entry %(value)s to reverse.") % {"value": reverses[:40]}]
            data["reverses"] = original
        return data, errors


def _progress(cost_import: CostImport, **fields) -> None:
    """Record progress at once (outside any transaction), so the page shows it while the task runs."""
    for name, value in fields.items():
        setattr(cost_import, name, value)
    CostImport.objects.filter(pk=cost_import.pk).update(**fields)


def _row_number(index: int) -> int:
    return index + 2  # the header is row 1


def run_import(cost_import: CostImport) -> CostImport:
    """Check every row (progress recorded per chunk), then record all the entries, or none with the
    report of every bad row."""
    user = cost_import.created_by
    _progress(cost_import, status=CostImport.Status.CHECKING, error="")
    try:
        headers, rows = read_table(
            cost_import.filename, bytes(cost_import.content), max_rows=settings.COST_IMPORT_MAX_ROWS
        )
        mapping = _header_map(headers)
    except ImportFileError as exc:
        _progress(cost_import, status=CostImport.Status.FAILED, error=str(exc), finished_at=timezone.now())
        return cost_import
    _progress(cost_import, total_rows=len(rows), processed_rows=0)
    parser = _Parser(cost_import, mapping)
    reversed_by_id = parser.reversed_entries(rows)
    check = BulkCheck(user, parser.projects)
    parse_errors: dict[int, dict] = {}
    for start in range(0, len(rows), CHUNK):
        chunk = []
        for offset, cells in enumerate(rows[start : start + CHUNK]):
            i = start + offset
            data, errors = parser.row(_row_number(i), cells, reversed_by_id)
            if errors:
                parse_errors[i] = errors
            else:
                chunk.append((i, data))
        for i, data in chunk:
            check.feed([data], first_index=i)
        _progress(cost_import, processed_rows=min(start + CHUNK, len(rows)))
    check.errors.update(parse_errors)
    try:
        with transaction.atomic():
            created = record_checked(check=check, user=user)
    except BulkRefused as refused:
        report = [
            {"row": _row_number(r["row"]), "field": field, "message": message}
            for r in refused.report
            for field, messages in r["errors"].items()
            for message in messages
        ]
        _progress(
            cost_import,
            status=CostImport.Status.REJECTED,
            report=report,
            invalid_rows=len(refused.report),
            finished_at=timezone.now(),
        )
        return cost_import
    except IntegrityError:
        _progress(
            cost_import,
            status=CostImport.Status.FAILED,
            error=_("Some of these entries were recorded by someone else meanwhile: upload the file again."),
            finished_at=timezone.now(),
        )
        return cost_import
    _progress(cost_import, status=CostImport.Status.IMPORTED, imported_count=len(created), finished_at=timezone.now())
    return cost_import
