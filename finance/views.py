"""Browser pages of finance: the workspace (periods and runs, accounts, approvals, invoicing, ageing and
the cash forecast) and the budgets (预算): draft a version for a project, edit it while it is a draft,
and its page with lines, total, submit and history. Thin: forms validate, services write."""

import datetime
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from contracts.models import PaymentMilestone
from contracts.selectors import contract_visible
from delivery.selectors import project_list
from leads.selectors import customer_visible
from ltc_portal.core import excel
from ltc_portal.core.forms import TransitionForm
from ltc_portal.core.fsm import TransitionRefused, UnknownTransition, describe_transitions, history
from ltc_portal.core.pages import form_errors_from, page_of, refusal_text, run_then_redirect

from . import selectors, services
from .forms import BudgetForm, BudgetLineFormSet, CostImportForm, FinalAccountForm, ReceiptForm, line_initial
from .models import CHANGED_THROUGH_DR2, AccountingPeriod, AccountingRun, BudgetState, InvoiceState, budget_approved
from .rules import is_finance_user

LINE_PREFIX = "lines"


def _not_editable(budget) -> str:
    return _("Budget version %(v)s is %(state)s and is never edited: make a new version.") % {
        "v": budget.version,
        "state": budget.get_state_display(),
    }


@login_required
def budget_create(request):
    raw = request.GET.get("project", "")
    if not raw.isdigit():
        raise Http404(_("Choose the project the budget is for."))
    project = get_object_or_404(project_list(request.user), pk=int(raw))
    if not request.user.has_perm("delivery.change_project", project):
        raise PermissionDenied(_("Only the project's PM or the PMO draft its budget."))
    if budget_approved(project):  # the service refuses it too, in the same words (and before any draft)
        messages.info(request, CHANGED_THROUGH_DR2)
        return redirect("delivery:project-detail", pk=project.pk)
    draft = project.budgets.filter(state=BudgetState.DRAFT).first()
    if draft is not None:
        messages.info(
            request,
            _("The project already has a draft budget (version %(v)s): change or submit it.") % {"v": draft.version},
        )
        return redirect("finance:budget-edit", pk=draft.pk)
    latest = project.budgets.order_by("-version").prefetch_related("lines").first()
    form = BudgetForm(request.POST or None)
    # a new version starts from the latest one's lines
    formset = BudgetLineFormSet(
        request.POST or None, prefix=LINE_PREFIX, initial=line_initial(latest.lines.all()) if latest else None
    )
    if request.method == "POST":
        valid = form.is_valid()
        if formset.is_valid() and valid:
            try:
                budget = services.budget_create(
                    project=project,
                    user=request.user,
                    data={"note": form.cleaned_data["note"], "lines": formset.lines()},
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            except (TransitionRefused, PermissionDenied) as exc:
                form.add_error(None, refusal_text(exc))
            else:
                messages.success(request, _("Budget version %(v)s drafted.") % {"v": budget.version})
                return redirect("finance:budget-detail", pk=budget.pk)
    return render(
        request,
        "finance/budget_form.html",
        {
            "form": form,
            "formset": formset,
            "project": project,
            "currency": project.currency,
            "creating": True,
            "based_on": latest,
        },
    )


@login_required
def budget_edit(request, pk):
    budget = get_object_or_404(selectors.budget_list(request.user), pk=pk)
    if not request.user.has_perm("finance.change_budget", budget):
        raise PermissionDenied(_("Only the project's PM or the PMO change its budget."))
    if budget.state != BudgetState.DRAFT:
        messages.error(request, _not_editable(budget))
        return redirect("finance:budget-detail", pk=budget.pk)
    if budget_approved(budget.project):  # the service refuses it too, in the same words
        messages.error(request, CHANGED_THROUGH_DR2)
        return redirect("finance:budget-detail", pk=budget.pk)
    form = BudgetForm(request.POST or None, initial={"note": budget.note})
    formset = BudgetLineFormSet(request.POST or None, prefix=LINE_PREFIX, initial=line_initial(budget.lines.all()))
    if request.method == "POST":
        valid = form.is_valid()
        if formset.is_valid() and valid:
            try:
                services.budget_update(
                    budget=budget, user=request.user, data={"note": form.cleaned_data["note"], "lines": formset.lines()}
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            except (TransitionRefused, PermissionDenied) as exc:
                messages.error(request, refusal_text(exc))
                return redirect("finance:budget-detail", pk=budget.pk)
            else:
                messages.success(request, _("Budget saved."))
                return redirect("finance:budget-detail", pk=budget.pk)
    return render(
        request,
        "finance/budget_form.html",
        {
            "form": form,
            "formset": formset,
            "project": budget.project,
            "currency": budget.currency,
            "budget": budget,
            "creating": False,
        },
    )


@login_required
def budget_detail(request, pk):
    budget = get_object_or_404(selectors.budget_list(request.user), pk=pk)
    return render(
        request,
        "finance/budget_detail.html",
        {
            "budget": budget,
            "project": budget.project,
            "lines": list(budget.lines.all()),
            "transitions": describe_transitions(budget, request.user),
            "history": history(budget),
            "can_edit": selectors.budget_editable(budget, request.user),
        },
    )


@login_required
@require_POST
def budget_transition(request, pk, name):
    budget = get_object_or_404(selectors.budget_list(request.user), pk=pk)
    form = TransitionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        budget = services.budget_transition(budget=budget, name=name, user=request.user, reason=reason)
    except (TransitionRefused, UnknownTransition, PermissionDenied, ValidationError) as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(
            request,
            _("Budget version %(v)s is now “%(state)s”.") % {"v": budget.version, "state": budget.get_state_display()},
        )
    return redirect("finance:budget-detail", pk=pk)


# The finance workspace ----------------------------------------------------------------------------


def _require_finance(request):
    if not is_finance_user(request.user):
        raise PermissionDenied(_("The finance workspace is for finance."))


@login_required
def workspace(request):
    """Finance's page: periods and their runs, the accounts of a period, entries waiting for approval,
    what to invoice, overdue invoices, the receivables by age and the cash forecast (base currency)."""
    _require_finance(request)
    today = timezone.localdate()
    period = request.GET.get("period") or today.strftime("%Y-%m")
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period):
        messages.error(request, _("A period is written YYYY-MM."))
        return redirect("finance:workspace")
    services.period_get_or_open(period=today.strftime("%Y-%m"), user=request.user)
    context = selectors.workspace(request.user, period)
    ageing = context["receivables"]
    context["ageing_chart"] = selectors.ageing_chart(ageing)
    context["forecast_chart"] = selectors.cash_forecast_chart(context["forecast"])
    context["ageing_rows"] = [(b, BUCKET_LABELS[b], ageing["buckets"][b]) for b in selectors.AGEING_BUCKETS]
    context["reason_form"] = TransitionForm()
    return render(request, "finance/workspace.html", context)


BUCKET_LABELS = selectors.BUCKET_LABELS


def _step(request, run, done):
    """Run a finance service from the workspace; a refusal is a message in the service's words."""
    _require_finance(request)
    period = request.POST.get("period", "")
    target = reverse("finance:workspace")
    back = f"{target}?period={period}" if re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period) else target
    return run_then_redirect(request, run, done=done, back=back)


def _reason(request) -> str:
    form = TransitionForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@login_required
@require_POST
def period_run(request, pk):
    period = get_object_or_404(AccountingPeriod, pk=pk)
    return _step(
        request,
        lambda: services.accounting_run_request(period=period.period, user=request.user),
        _("The accounting of %(period)s is queued.") % {"period": period.period},
    )


@login_required
@require_POST
def period_step(request, pk, name):
    period = get_object_or_404(AccountingPeriod, pk=pk)
    return _step(
        request,
        lambda: services.period_transition(period=period, name=name, user=request.user, reason=_reason(request)),
        _("Period %(period)s updated.") % {"period": period.period},
    )


@login_required
@require_POST
def cost_entry_step(request, pk, name):
    entry = get_object_or_404(selectors.cost_entry_list(request.user), pk=pk)
    return _step(
        request,
        lambda: services.cost_entry_transition(entry=entry, name=name, user=request.user, reason=_reason(request)),
        _("Cost entry updated."),
    )


@login_required
@require_POST
def invoice_draft(request, pk):
    milestone = get_object_or_404(PaymentMilestone.objects.filter(contract__in=contract_visible(request.user)), pk=pk)
    rate = request.POST.get("tax_rate_percent") or "0"
    try:
        tax = Decimal(rate)
    except InvalidOperation:
        messages.error(request, _("Give the tax rate as a number."))
        return redirect("finance:workspace")
    return _step(
        request,
        lambda: services.invoice_create(
            user=request.user, data={"payment_milestone": milestone, "tax_rate_percent": tax}
        ),
        _("Invoice drafted."),
    )


def _back_to_invoices(request, run):
    _require_finance(request)
    keep = {k: request.POST.get(k, "")[:100] for k in ("state", "q") if request.POST.get(k)}
    back = reverse("finance:invoices") + (f"?{urlencode(keep)}" if keep else "")
    return run_then_redirect(request, run, done=_("Invoice updated."), back=back)


@login_required
@require_POST
def invoice_step(request, pk, name):
    invoice = get_object_or_404(selectors.invoice_list(request.user), pk=pk)
    if request.POST.get("back") == "invoices":
        return _back_to_invoices(
            request,
            lambda: services.invoice_transition(invoice=invoice, name=name, user=request.user, reason=_reason(request)),
        )
    return _step(
        request,
        lambda: services.invoice_transition(invoice=invoice, name=name, user=request.user, reason=_reason(request)),
        _("Invoice updated."),
    )


# Final accounts (决算), from the project page ---------------------------------------------------------


def _back_to_project(request, project, run, done):
    """Run a final-accounts service; a refusal is a message in the service's words."""
    return run_then_redirect(request, run, done=done, back=f"{project.get_absolute_url()}#final-accounts")


@login_required
@require_POST
def final_account_save(request, pk):
    """Draw up the final accounts of a project at handover, or save the explanation of a draft (the
    figures are drawn up again as of today)."""
    project = get_object_or_404(project_list(request.user), pk=pk)
    form = FinalAccountForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect(f"{project.get_absolute_url()}#final-accounts")
    data = {"explanation": form.cleaned_data["explanation"]}
    final = selectors.final_account_list(request.user).filter(project=project).first()
    if final is None:
        return _back_to_project(
            request,
            project,
            lambda: services.final_account_create(project=project, user=request.user, data=data),
            _("Final accounts drawn up."),
        )
    return _back_to_project(
        request,
        project,
        lambda: services.final_account_update(final=final, user=request.user, data=data),
        _("Final accounts saved and drawn up again."),
    )


@login_required
@require_POST
def final_account_step(request, pk, name):
    final = get_object_or_404(selectors.final_account_list(request.user), pk=pk)
    return _back_to_project(
        request,
        final.project,
        lambda: services.final_account_transition(final=final, name=name, user=request.user, reason=_reason(request)),
        _("Final accounts updated."),
    )


# Cost import (CSV or Excel), with its progress -----------------------------------------------------


@login_required
def cost_import(request):
    """Upload a file of cost entries (finance); the recent imports."""
    _require_finance(request)
    form = CostImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            started = services.cost_import_start(user=request.user, filename=upload.name, content=upload.read())
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            return redirect("finance:cost-import-detail", pk=started.pk)
    imports = selectors.cost_import_list(request.user).defer("content").select_related("created_by")[:10]
    return render(request, "finance/cost_import_form.html", {"form": form, "imports": imports})


@login_required
def cost_import_detail(request, pk):
    """An import's progress and report; htmx polls the status part while it runs."""
    _require_finance(request)
    imp = get_object_or_404(selectors.cost_import_list(request.user).defer("content"), pk=pk)
    template = "finance/_cost_import_status.html" if request.headers.get("HX-Request") else "finance/cost_import.html"
    return render(request, template, {"imp": imp, "report": imp.report[:500]})


# Drill-down, run progress and Excel exports --------------------------------------------------------


def _period_param(request) -> str | None:
    period = request.GET.get("period") or timezone.localdate().strftime("%Y-%m")
    return period if re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period) else None


@login_required
def account_detail(request, pk):
    """A monthly account with the cost entries behind its actual cost (finance)."""
    _require_finance(request)
    account = get_object_or_404(
        selectors.monthly_account_list(request.user).select_related("project__contract", "run"), pk=pk
    )
    drill = selectors.account_entries(account)
    return render(
        request,
        "finance/account_detail.html",
        {"a": account, "page": page_of(request, drill["entries"]), **drill},
    )


@login_required
def run_status(request, pk):
    """A run's state for the workspace's progress bar (htmx polls it while the run is queued or running)."""
    _require_finance(request)
    run = get_object_or_404(AccountingRun.objects.select_related("period"), pk=pk)
    return render(request, "finance/_run_status.html", {"run": run})


ACCOUNT_COLUMNS = [
    ("project", _lazy("Project")),
    ("contract", _lazy("Contract")),
    ("currency", _lazy("Currency")),
    ("cost_period", _lazy("Cost in the period")),
    ("cost_cumulative", "AC"),
    ("budget", "BAC"),
    ("earned_value", "EV"),
    ("planned_value", "PV"),
    ("cpi", "CPI"),
    ("spi", "SPI"),
    ("revenue_period", _lazy("Revenue in the period")),
    ("revenue_cumulative", _lazy("Revenue")),
    ("gross_margin", _lazy("Gross margin")),
    ("margin_percent", _lazy("Margin %")),
    ("budget_execution_percent", _lazy("Budget execution %")),
    ("cost_variance_percent", _lazy("Cost variance %")),
    ("invoiced", _lazy("Invoiced")),
    ("collected", _lazy("Collected")),
    ("receivable", _lazy("Receivable")),
    ("complete", _lazy("Complete")),
    ("notes", _lazy("Notes")),
]


@login_required
def accounts_export(request):
    """The monthly accounts of a period as an Excel sheet (base currency)."""
    _require_finance(request)
    period = _period_param(request)
    if period is None:
        messages.error(request, _("A period is written YYYY-MM."))
        return redirect("finance:workspace")
    accounts = (
        selectors.monthly_account_list(request.user)
        .filter(period__period=period)
        .select_related("project__contract")
        .order_by("project__name", "project_id")
    )
    yes, no = _("yes"), _("no")

    def rows():
        for a in accounts.iterator(chunk_size=2000):
            values = {
                "project": a.project.name,
                "contract": a.project.contract.number if a.project.contract_id else "",
                "complete": yes if a.complete else no,
                "notes": " ".join(a.notes),
            }
            yield [values[f] if f in values else getattr(a, f) for f, _label in ACCOUNT_COLUMNS]

    content = excel.workbook(
        _("Accounts %(period)s") % {"period": period},
        [label for _f, label in ACCOUNT_COLUMNS],
        rows(),
        widths=[32, 14, 8] + [14] * 17 + [60],
    )
    return excel.download(content, f"monthly-accounts-{period}.xlsx")


@login_required
def receivables_export(request):
    """Receivables with their ageing bucket as of a date (``?as_of=``, default today) as an Excel sheet."""
    _require_finance(request)
    raw = request.GET.get("as_of") or ""
    try:
        as_of = datetime.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        as_of = None
    if as_of is None or not (1900 <= as_of.year <= 2999):
        messages.error(request, _("Give the date as YYYY-MM-DD."))
        return redirect("finance:workspace")
    rows = (
        [
            r["number"],
            r["customer_name"],
            r["project"],
            r["due_date"],
            r["days_overdue"],
            str(BUCKET_LABELS[r["bucket"]]),
            r["outstanding"],
            r["currency"],
            r["outstanding_base"],
        ]
        for r in selectors.receivables(request.user, as_of)
    )
    headers = [
        _("Invoice"),
        _("Customer"),
        _("Project"),
        _("Due"),
        _("Days overdue"),
        _("Age"),
        _("Outstanding"),
        _("Currency"),
        _("Outstanding (%(cur)s)") % {"cur": settings.BASE_CURRENCY},
    ]
    content = excel.workbook(
        _("Receivables %(date)s") % {"date": as_of}, headers, rows, widths=[20, 32, 10, 12, 10, 14, 16, 8, 16]
    )
    return excel.download(content, f"receivables-{as_of}.xlsx")


# Receipts: record money received and allocate it to the customer's invoices ----------------------


def _allocations_from(request, invoices) -> tuple[list[dict], list[str]]:
    """The amounts typed against each open invoice (``alloc-<id>``), as the services take them."""
    items, errors = [], []
    for invoice in invoices:
        raw = (request.POST.get(f"alloc-{invoice.pk}") or "").strip().replace(",", "")
        if not raw:
            continue
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            errors.append(_("%(inv)s: “%(value)s” is not an amount.") % {"inv": invoice, "value": raw[:20]})
            continue
        if not amount.is_finite() or abs(amount) >= Decimal("1e14"):
            errors.append(_("%(inv)s: “%(value)s” is not an amount.") % {"inv": invoice, "value": raw[:20]})
            continue
        items.append({"invoice": invoice, "amount": amount})
    return items, errors


@login_required
def receipts(request):
    """Receipts (finance): the recent ones, and a new receipt for a chosen customer with its open
    invoices to allocate it to; the rest is the customer's credit."""
    _require_finance(request)
    customers = customer_visible(request.user).order_by("name")
    raw = request.GET.get("customer") or request.POST.get("customer") or ""
    customer = customers.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 19 else None
    form = ReceiptForm(request.POST or None, initial={"date": timezone.localdate()})
    invoices = list(selectors.payable_invoices(request.user, customer.pk)) if customer else []
    if request.method == "POST" and customer is not None and form.is_valid():
        items, errors = _allocations_from(request, invoices)
        for error in errors:
            form.add_error(None, error)
        if not errors:
            try:
                receipt = services.receipt_create(
                    user=request.user, data={**form.cleaned_data, "customer": customer, "allocations": items}
                )
            except (ValidationError, TransitionRefused, PermissionDenied) as exc:
                form.add_error(None, refusal_text(exc))
            else:
                messages.success(request, _("Receipt %(ref)s recorded.") % {"ref": receipt.reference})
                return redirect("finance:receipt-detail", pk=receipt.pk)
    recent = selectors.receipt_list(request.user)
    if customer is not None:
        recent = recent.filter(customer=customer)
    return render(
        request,
        "finance/receipts.html",
        {
            "customers": customers,
            "customer": customer,
            "form": form,
            "invoices": invoices,
            "page": page_of(request, recent),
            "querystring": f"customer={customer.pk}" if customer else "",
        },
    )


@login_required
def receipt_detail(request, pk):
    """A receipt with its allocations and what is left of it, and the customer's open invoices to
    allocate that credit to (dated today, never into a closed period)."""
    _require_finance(request)
    receipt = get_object_or_404(selectors.receipt_list(request.user), pk=pk)
    invoices = list(selectors.payable_invoices(request.user, receipt.customer_id))
    if request.method == "POST":
        items, errors = _allocations_from(request, invoices)
        if errors or not items:
            messages.error(request, " ".join(errors) or _("Type an amount against at least one invoice."))
        else:
            try:
                services.receipt_allocate(receipt=receipt, user=request.user, allocations=items)
            except (ValidationError, TransitionRefused, PermissionDenied) as exc:
                messages.error(request, refusal_text(exc))
            else:
                messages.success(request, _("Credit allocated."))
        return redirect("finance:receipt-detail", pk=receipt.pk)
    allocations = receipt.allocations.select_related("invoice")
    return render(
        request, "finance/receipt_detail.html", {"receipt": receipt, "allocations": allocations, "invoices": invoices}
    )


# Invoices: the list with its actions (issue, void, write off, PDF) ----------------------------------


@login_required
def invoices(request):
    """Every invoice (finance), filtered by state and by a number or customer name; each with the steps
    finance may take on it now."""
    _require_finance(request)
    qs = (
        selectors.invoice_list(request.user)
        .select_related("contract__opportunity__customer")
        .order_by("-issue_date", "-id")
    )
    state = request.GET.get("state") or ""
    if state in InvoiceState.values:
        qs = qs.filter(state=state)
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(contract__opportunity__customer__name__icontains=q))
    page = page_of(request, qs)
    for invoice in page:
        invoice.steps = [t for t in describe_transitions(invoice, request.user) if t.allowed]
    querystring = "&".join(f"{k}={v}" for k, v in (("state", state), ("q", q)) if v)
    return render(
        request,
        "finance/invoices.html",
        {"page": page, "states": InvoiceState.choices, "state": state, "q": q, "querystring": querystring},
    )
