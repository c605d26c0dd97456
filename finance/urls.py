from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("invoices/", views.invoices, name="invoices"),
    path("receipts/", views.receipts, name="receipts"),
    path("receipts/<int:pk>/", views.receipt_detail, name="receipt-detail"),
    path("accounts.xlsx", views.accounts_export, name="accounts-export"),
    path("receivables.xlsx", views.receivables_export, name="receivables-export"),
    path("accounts/<int:pk>/", views.account_detail, name="account-detail"),
    path("runs/<int:pk>/", views.run_status, name="run-status"),
    path("periods/<int:pk>/run/", views.period_run, name="period-run"),
    path("periods/<int:pk>/transitions/<slug:name>/", views.period_step, name="period-step"),
    path("costs/import/", views.cost_import, name="cost-import"),
    path("costs/imports/<int:pk>/", views.cost_import_detail, name="cost-import-detail"),
    path("entries/<int:pk>/transitions/<slug:name>/", views.cost_entry_step, name="cost-entry-step"),
    path("milestones/<int:pk>/invoice/", views.invoice_draft, name="invoice-draft"),
    path("invoices/<int:pk>/transitions/<slug:name>/", views.invoice_step, name="invoice-step"),
    path("projects/<int:pk>/final-accounts/", views.final_account_save, name="final-account-save"),
    path("final-accounts/<int:pk>/transitions/<slug:name>/", views.final_account_step, name="final-account-step"),
    path("budgets/new/", views.budget_create, name="budget-create"),
    path("budgets/<int:pk>/", views.budget_detail, name="budget-detail"),
    path("budgets/<int:pk>/edit/", views.budget_edit, name="budget-edit"),
    path("budgets/<int:pk>/transitions/<slug:name>/", views.budget_transition, name="budget-transition"),
]
