"""Every write of finance, one module per concern: budgets (``budgets``), cost actuals, exchange rates
and periods (``costs``), invoices and receipts (``invoices``), final accounts (``final_accounts``), and
asking for the monthly accounting (``runs``; the job itself is ``finance.accounting``, run by
``finance.tasks``)."""

from .budgets import (  # noqa: F401
    budget_approve_submitted,
    budget_create,
    budget_reject_submitted,
    budget_transition,
    budget_update,
    budget_version_for_change,
)
from .costs import (  # noqa: F401
    BulkRefused,
    cost_entries_bulk_create,
    cost_entry_create,
    cost_entry_transition,
    cost_import_start,
    exchange_rate_set,
    period_get_or_open,
    period_transition,
    require_open_period,
)
from .final_accounts import final_account_create, final_account_transition, final_account_update  # noqa: F401
from .invoices import invoice_create, invoice_transition, receipt_allocate, receipt_create  # noqa: F401
from .runs import accounting_run_record, accounting_run_request  # noqa: F401
