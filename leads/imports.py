"""Lead import from CSV or Excel (.xlsx): parsing, per-row validation with a report, and the run.

Columns are matched by header, in English (field name or label) or Chinese. ``company_name`` is
required; every other column is optional. Each row is validated like a lead typed in the page;
the report lists every problem as (row number, field, message), with row 2 the first data row
(row 1 is the header, as the user sees it in Excel).
With any invalid row nothing is imported, unless the upload asked for the valid rows only.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ltc_portal.core import tables
from ltc_portal.core.fsm import log_created_many, said
from ltc_portal.core.tables import ImportFileError

from .models import Lead, LeadImport, LeadSource, Timeline

COLUMNS = {
    "company_name": ["company_name", "company", "company name", "公司", "公司名称", "客户名称", "企业名称"],
    "contact_name": ["contact_name", "contact", "contact name", "联系人", "联系人姓名"],
    "email": ["email", "e-mail", "邮箱", "电子邮件"],
    "phone": ["phone", "telephone", "mobile", "电话", "手机"],
    "source": ["source", "来源", "线索来源"],
    "campaign": ["campaign", "活动", "市场活动"],
    "need": ["need", "requirement", "需求"],
    "budget_amount": ["budget_amount", "budget", "预算", "预算金额"],
    "budget_currency": ["budget_currency", "currency", "币种", "货币"],
    "timeline": ["timeline", "时间", "时间表", "采购时间"],
    "notes": ["notes", "note", "备注"],
}
PROGRESS_EVERY = 100
BATCH = 500


def _header_map(headers: list[str]) -> dict[int, str]:
    lookup = {alias.casefold(): field for field, aliases in COLUMNS.items() for alias in aliases}
    mapping = {}
    for i, h in enumerate(headers):
        field = lookup.get(str(h or "").strip().casefold())
        if field and field not in mapping.values():
            mapping[i] = field
    if "company_name" not in mapping.values():
        raise ImportFileError(
            _("The file has no company column (expected a header such as “company_name” or “公司名称”).")
        )
    return mapping


def read_table(filename: str, content: bytes) -> tuple[list[str], list[list]]:
    """Header and data rows of a lead file (at most LEAD_IMPORT_MAX_ROWS rows)."""
    return tables.read_table(filename, content, max_rows=settings.LEAD_IMPORT_MAX_ROWS)


def _choice(value: str, choices) -> str:
    """Accept a choice by its code or by its label (English or the active language)."""
    v = value.strip()
    for code, label in choices.choices:
        if v.casefold() in (code.casefold(), str(label).casefold()):
            return code
    return v


def row_to_lead(values: dict, owner, user) -> tuple[Lead | None, list[tuple[str, str]]]:
    """Build (not save) a lead from one row; return it or the (field, message) problems."""
    errors = []
    data = {k: ("" if v is None else str(v).strip()) for k, v in values.items()}
    budget = None
    if data.get("budget_amount"):
        try:
            budget = Decimal(data["budget_amount"].replace(",", ""))
        except InvalidOperation:
            errors.append(("budget_amount", _("“%(value)s” is not an amount.") % {"value": data["budget_amount"]}))
    lead = Lead(
        owner=owner,
        created_by=user,
        updated_by=user,
        company_name=data.get("company_name", ""),
        contact_name=data.get("contact_name", ""),
        email=data.get("email", ""),
        phone=data.get("phone", ""),
        source=_choice(data.get("source") or "other", LeadSource),
        campaign=data.get("campaign", ""),
        need=data.get("need", ""),
        budget_amount=budget,
        budget_currency=(data.get("budget_currency") or settings.BASE_CURRENCY).upper(),
        timeline=_choice(data["timeline"], Timeline) if data.get("timeline") else "",
        notes=data.get("notes", ""),
    )
    try:
        exclude = ["owner", "created_by", "updated_by", "customer", "customer_contact"]
        lead.full_clean(exclude=exclude + (["budget_amount"] if errors else []), validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.extend((field, m) for m in messages)
    return (None, errors) if errors else (lead, [])


def run_import(lead_import: LeadImport) -> LeadImport:
    """Validate every row (saving progress as it goes), then import in one transaction: all rows,
    or only the valid ones when asked; nothing at all when any row is invalid otherwise."""
    user = lead_import.created_by
    LeadImport.objects.filter(pk=lead_import.pk).update(status=LeadImport.Status.RUNNING)
    try:
        headers, rows = read_table(lead_import.filename, bytes(lead_import.content))
        mapping = _header_map(headers)
    except ImportFileError as exc:
        return _finish(lead_import, LeadImport.Status.FAILED, error=str(exc))
    LeadImport.objects.filter(pk=lead_import.pk).update(total_rows=len(rows))
    valid, report, invalid = [], [], 0
    for n, row in enumerate(rows, start=2):
        values = {field: (row[i] if i < len(row) else None) for i, field in mapping.items()}
        lead, errors = row_to_lead(values, user, user)
        if errors:
            invalid += 1
            report.extend({"row": n, "field": f, "message": str(m)} for f, m in errors)
        else:
            valid.append(lead)
        if (n - 1) % PROGRESS_EVERY == 0:
            LeadImport.objects.filter(pk=lead_import.pk).update(processed_rows=n - 1)
    lead_import.total_rows = lead_import.processed_rows = len(rows)
    lead_import.invalid_rows = invalid
    lead_import.report = report
    if invalid and not lead_import.valid_only:
        return _finish(lead_import, LeadImport.Status.REJECTED)
    for lead in valid:
        lead.derive()
    with transaction.atomic():
        created = Lead.objects.bulk_create(valid, batch_size=BATCH)
        log_created_many(
            created, user=user, reason=said(gettext_noop("Imported from %(file)s"), file=lead_import.filename)
        )
        lead_import.imported_count = len(valid)
        return _finish(lead_import, LeadImport.Status.IMPORTED)


def _finish(lead_import: LeadImport, status: str, error: str = "") -> LeadImport:
    lead_import.status = status
    lead_import.error = error
    lead_import.finished_at = timezone.now()
    lead_import.save(
        update_fields=[
            "status",
            "error",
            "finished_at",
            "total_rows",
            "processed_rows",
            "invalid_rows",
            "report",
            "imported_count",
            "updated_at",
        ]
    )
    return lead_import
