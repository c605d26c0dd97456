from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    AccountingPeriodViewSet,
    AccountingRunViewSet,
    BudgetViewSet,
    CashForecastView,
    CostEntryViewSet,
    ExchangeRateViewSet,
    FinalAccountViewSet,
    InvoiceViewSet,
    MonthlyAccountViewSet,
    ReceiptViewSet,
    ReceivablesSummaryView,
    ReceivablesView,
)

router = SimpleRouter()
router.register("budgets", BudgetViewSet, basename="budget")
router.register("exchange-rates", ExchangeRateViewSet, basename="exchange-rate")
router.register("cost-entries", CostEntryViewSet, basename="cost-entry")
router.register("accounting-periods", AccountingPeriodViewSet, basename="accounting-period")
router.register("accounting-runs", AccountingRunViewSet, basename="accounting-run")
router.register("monthly-accounts", MonthlyAccountViewSet, basename="monthly-account")
router.register("final-accounts", FinalAccountViewSet, basename="final-account")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("receipts", ReceiptViewSet, basename="receipt")

urlpatterns = [
    path("receivables/", ReceivablesView.as_view(), name="receivables"),
    path("cash-forecast/", CashForecastView.as_view(), name="cash-forecast"),
    path("receivables/summary/", ReceivablesSummaryView.as_view(), name="receivables-summary"),
    *router.urls,
]
