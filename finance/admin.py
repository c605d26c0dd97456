from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ltc_portal.core.admin import ReadOnlyAdmin
from ltc_portal.core.fsm import TransitionRefused
from ltc_portal.core.pages import refusal_text

from . import services
from .models import (
    AccountingPeriod,
    AccountingRun,
    Budget,
    BudgetLine,
    CostEntry,
    ExchangeRate,
    FinalAccount,
    Invoice,
    MonthlyAccount,
    Receipt,
)
from .selectors import budget_list


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("category", "amount", "note")


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdmin):
    """Budget versions are read here by finance; DR1 approves them through its gate review."""

    list_display = ("project", "version", "state", "total", "currency", "created_at")
    list_filter = ("state",)
    list_select_related = ("project",)
    inlines = [BudgetLineInline]

    def get_queryset(self, request):
        return budget_list(request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and request.user.has_perm("finance.view_budget", obj)


# Periods, runs, rates, cost entries and accounts: finance's tools ----------------------------------


class FinanceStaffAdmin(ReadOnlyAdmin):
    """Read by finance staff; changed only through the actions, which call finance.services."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and (request.user.is_superuser or request.user.has_perm("finance.run_accounting"))


def _report(modeladmin, request, done: int, refusals: list[str]):
    if done:
        modeladmin.message_user(request, _("%(n)s done.") % {"n": done}, messages.SUCCESS)
    for text in refusals:
        modeladmin.message_user(request, text, messages.ERROR)


@admin.register(AccountingPeriod)
class AccountingPeriodAdmin(FinanceStaffAdmin):
    list_display = ("period", "state", "closed_by", "closed_at")
    list_filter = ("state",)
    actions = ["run_accounting", "close_periods"]

    @admin.action(description=gettext_lazy("Run the monthly accounting"))
    def run_accounting(self, request, queryset):
        done, refusals = 0, []
        for period in queryset:
            try:
                services.accounting_run_request(period=period.period, user=request.user)
                done += 1
            except (TransitionRefused, PermissionDenied) as exc:
                refusals.append(refusal_text(exc))
        _report(self, request, done, refusals)

    @admin.action(description=gettext_lazy("Close the periods"))
    def close_periods(self, request, queryset):
        done, refusals = 0, []
        for period in queryset:
            try:
                services.period_transition(period=period, name="close", user=request.user)
                done += 1
            except (TransitionRefused, PermissionDenied, ValidationError) as exc:
                refusals.append(f"{period}: {refusal_text(exc)}")
        _report(self, request, done, refusals)


@admin.register(AccountingRun)
class AccountingRunAdmin(FinanceStaffAdmin):
    list_display = ("period", "state", "projects", "created_at", "started_at", "finished_at", "requested_by")
    list_filter = ("state",)
    list_select_related = ("period", "requested_by")


@admin.register(ExchangeRate)
class ExchangeRateAdmin(FinanceStaffAdmin):
    list_display = ("currency", "date", "rate", "updated_by")
    list_filter = ("currency",)
    date_hierarchy = "date"


@admin.register(CostEntry)
class CostEntryAdmin(FinanceStaffAdmin):
    list_display = ("date", "project", "category", "amount", "currency", "state", "source_system", "source_ref")
    list_filter = ("state", "category", "currency", "source_system")
    search_fields = ("source_ref", "description", "project__name")
    list_select_related = ("project",)
    date_hierarchy = "date"


@admin.register(MonthlyAccount)
class MonthlyAccountAdmin(FinanceStaffAdmin):
    list_display = ("period", "project", "cost_cumulative", "budget", "earned_value", "cpi", "spi", "complete")
    list_filter = ("period", "complete")
    list_select_related = ("period", "project")


@admin.register(Invoice)
class InvoiceAdmin(FinanceStaffAdmin):
    list_display = ("number", "contract", "state", "amount", "total", "currency", "issue_date", "due_date")
    list_filter = ("state", "currency")
    search_fields = ("number", "contract__number")
    list_select_related = ("contract",)
    actions = ["issue_invoices"]

    @admin.action(description=gettext_lazy("Issue the invoices (today)"))
    def issue_invoices(self, request, queryset):
        done, refusals = 0, []
        for invoice in queryset:
            try:
                services.invoice_transition(invoice=invoice, name="issue", user=request.user)
                done += 1
            except (TransitionRefused, PermissionDenied, ValidationError) as exc:
                refusals.append(f"{invoice}: {refusal_text(exc)}")
        _report(self, request, done, refusals)


@admin.register(Receipt)
class ReceiptAdmin(FinanceStaffAdmin):
    list_display = ("date", "customer", "amount", "currency", "payer", "reference")
    list_filter = ("currency",)
    search_fields = ("reference", "payer", "customer__name")
    list_select_related = ("customer",)


@admin.register(FinalAccount)
class FinalAccountAdmin(FinanceStaffAdmin):
    list_display = ("project", "state", "as_of", "actual_cost", "revenue", "gross_margin", "complete", "prepared_by")
    list_filter = ("state", "complete")
    search_fields = ("project__name",)
    list_select_related = ("project", "prepared_by")
    actions = ["prepare_final_accounts"]

    @admin.action(description=gettext_lazy("Prepare the final accounts (figures drawn up today)"))
    def prepare_final_accounts(self, request, queryset):
        done, refusals = 0, []
        for final in queryset:
            try:
                services.final_account_transition(final=final, name="prepare", user=request.user)
                done += 1
            except (TransitionRefused, PermissionDenied, ValidationError) as exc:
                refusals.append(f"{final}: {refusal_text(exc)}")
        _report(self, request, done, refusals)
