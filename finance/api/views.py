"""The finance API (API.md "Finance (DTC)"): budgets, exchange rates, cost entries (with bulk import),
accounting periods (close, reopen, run), accounting runs and monthly accounts. Writes go through
``finance.services``."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from delivery.models import Project
from delivery.selectors import project_visible
from finance import selectors, services
from finance.models import (
    AccountingPeriod,
    AccountingRun,
    Budget,
    CostEntry,
    ExchangeRate,
    FinalAccount,
    Invoice,
    MonthlyAccount,
    Receipt,
)
from finance.pdf import invoice_pdf
from ltc_portal.core.api.mixins import TransitionsMixin
from ltc_portal.core.api.pagination import StandardPagination
from ltc_portal.core.api.serializers import ReasonRequiredSerializer, TransitionErrorSerializer
from ltc_portal.core.api.throttles import BULK_THROTTLES
from ltc_portal.core.api.viewsets import RestrictedViewSet
from ltc_portal.core.fsm import TransitionRefused

from .filters import (
    AccountingPeriodFilter,
    AccountingRunFilter,
    BudgetFilter,
    CostEntryFilter,
    ExchangeRateFilter,
    InvoiceFilter,
    MonthlyAccountFilter,
    ReceiptFilter,
)
from .serializers import (
    AccountingPeriodSerializer,
    AccountingRunSerializer,
    AllocateSerializer,
    AsOfSerializer,
    BudgetSerializer,
    BulkResultSerializer,
    CashForecastRowSerializer,
    CostEntryBulkSerializer,
    CostEntrySerializer,
    ExchangeRateSerializer,
    FinalAccountSerializer,
    InvoiceIssueSerializer,
    InvoiceSerializer,
    MonthlyAccountSerializer,
    MonthsSerializer,
    ReceiptSerializer,
    ReceivableSerializer,
    ReceivablesSummarySerializer,
)


class BudgetViewSet(
    TransitionsMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """Budget versions per project: drafted and submitted by the PM; never edited once submitted."""

    queryset = Budget.objects.none()
    selector = staticmethod(selectors.budget_list)
    serializer_class = BudgetSerializer
    filterset_class = BudgetFilter
    transition_service = services.budget_transition

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = data.pop("project")
        serializer.instance = services.budget_create(project=project, user=self.request.user, data=data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.budget_update(budget=serializer.instance, user=self.request.user, data=data)


def _visible_projects(user) -> dict[int, Project]:
    return {p.pk: p for p in project_visible(user)}


class ExchangeRateViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Exchange rates (base-currency units for one unit of `currency`, on `date`). Finance records
    them; POST the same currency and date again to correct a rate (not in a closed period)."""

    queryset = ExchangeRate.objects.none()
    selector = staticmethod(selectors.exchange_rate_list)
    serializer_class = ExchangeRateSerializer
    filterset_class = ExchangeRateFilter
    ordering_fields = ["date", "currency"]

    def perform_create(self, serializer):
        serializer.instance = services.exchange_rate_set(user=self.request.user, **serializer.validated_data)


class CostEntryViewSet(
    TransitionsMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet
):
    """Actual costs of the projects you read; never edited: correct one with a reversing entry
    (`reverses`). Entries by finance count at once; others wait for `approve` / `reject` (reason).
    `POST …/bulk/` takes `{"entries": [...]}` all or nothing (finance)."""

    queryset = CostEntry.objects.none()
    selector = staticmethod(selectors.cost_entry_list)
    serializer_class = CostEntrySerializer
    filterset_class = CostEntryFilter
    ordering_fields = ["date", "created_at", "amount"]
    transition_service = services.cost_entry_transition
    transition_subject = "entry"
    transition_serializers = {"reject": ReasonRequiredSerializer}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = data.pop("project")
        entry = services.cost_entry_create(project=project, user=self.request.user, data=data)
        serializer.instance = self.get_queryset().get(pk=entry.pk)

    @extend_schema(
        request=CostEntryBulkSerializer,
        responses={201: BulkResultSerializer, 400: OpenApiResponse(description="errors: one entry per bad row")},
    )
    @action(detail=False, methods=["post"], throttle_classes=BULK_THROTTLES)
    def bulk(self, request):
        """Thousands of entries from an integration in one call: all are recorded or none."""
        body = CostEntryBulkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows, report = [], []
        for i, raw in enumerate(body.validated_data["entries"]):
            row = CostEntrySerializer(data=raw, context=self.get_serializer_context())
            if row.is_valid():
                data = dict(row.validated_data)
                data["project"] = data["project"].pk
                rows.append(data)
            else:
                report.append({"row": i, "errors": row.errors})
        if report:
            return Response({"errors": report}, status=status.HTTP_400_BAD_REQUEST)
        try:
            created = services.cost_entries_bulk_create(
                user=request.user, rows=rows, projects=_visible_projects(request.user)
            )
        except services.BulkRefused as exc:
            return Response({"errors": exc.report}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"created": len(created)}, status=status.HTTP_201_CREATED)


class AccountingPeriodViewSet(
    TransitionsMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet
):
    """Accounting periods `YYYY-MM` (opened when first needed, or by POST). Transitions `close`
    (finance) and `reopen` (finance, `reason`). `POST …/{id}/run/` queues the monthly accounting."""

    queryset = AccountingPeriod.objects.none()
    selector = staticmethod(selectors.accounting_period_list)
    serializer_class = AccountingPeriodSerializer
    filterset_class = AccountingPeriodFilter
    transition_service = services.period_transition
    transition_subject = "period"
    transition_serializers = {"reopen": ReasonRequiredSerializer}

    def perform_create(self, serializer):
        if not self.request.user.has_perm("finance.close_period"):
            raise PermissionDenied(_("Only finance opens accounting periods."))
        serializer.instance = services.period_get_or_open(
            period=serializer.validated_data["period"], user=self.request.user
        )

    @extend_schema(request=None, responses={202: AccountingRunSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        """Queue the monthly accounting of this period: 202 with the run (409 when the period is closed)."""
        run = services.accounting_run_request(period=self.get_object().period, user=request.user)
        return Response(AccountingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class AccountingRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Runs of the monthly accounting with their state (finance)."""

    queryset = AccountingRun.objects.none()
    selector = staticmethod(selectors.accounting_run_list)
    serializer_class = AccountingRunSerializer
    filterset_class = AccountingRunFilter


class MonthlyAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """The monthly accounts of the projects you read (DOMAIN.md §5.1 figures, base currency)."""

    queryset = MonthlyAccount.objects.none()
    selector = staticmethod(selectors.monthly_account_list)
    serializer_class = MonthlyAccountSerializer
    filterset_class = MonthlyAccountFilter
    ordering_fields = ["period__period", "project"]


class FinalAccountViewSet(
    TransitionsMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """Final accounts (决算) of the projects you read. Finance creates them at handover (`project`,
    `explanation`) and changes the explanation while draft; every figure is drawn up by the portal as
    of the day (again at each change). Transitions `prepare` (DR4 needs it) and `revise` (`reason`)."""

    queryset = FinalAccount.objects.none()
    selector = staticmethod(selectors.final_account_list)
    serializer_class = FinalAccountSerializer
    filterset_fields = ["project", "state"]
    ordering_fields = ["as_of", "prepared_at"]
    transition_service = services.final_account_transition
    transition_subject = "final"
    transition_serializers = {"revise": ReasonRequiredSerializer}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = data.pop("project")
        final = services.final_account_create(project=project, user=self.request.user, data=data)
        serializer.instance = self.get_queryset().get(pk=final.pk)

    def perform_update(self, serializer):
        final = services.final_account_update(
            final=serializer.instance, user=self.request.user, data=dict(serializer.validated_data)
        )
        serializer.instance = self.get_queryset().get(pk=final.pk)


class InvoiceViewSet(
    TransitionsMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet
):
    """Invoices of due payment milestones (finance drafts and issues them; sales read their own
    customers'). Transitions `issue` (optional `issue_date`; numbered `INV-YYYY-NNNNNN`), `void`
    (`reason`; nothing paid) and `write_off` (`reason`). Never edited: void and draft again."""

    queryset = Invoice.objects.none()
    selector = staticmethod(selectors.invoice_list)
    list_select_related = ()  # the serializer reads ids only
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = ["issue_date", "due_date", "created_at", "number"]
    transition_service = services.invoice_transition
    transition_serializers = {
        "issue": InvoiceIssueSerializer,
        "void": ReasonRequiredSerializer,
        "write_off": ReasonRequiredSerializer,
    }

    def perform_create(self, serializer):
        invoice = services.invoice_create(user=self.request.user, data=dict(serializer.validated_data))
        serializer.instance = self.get_queryset().get(pk=invoice.pk)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY, 409: TransitionErrorSerializer})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """The issued invoice as a PDF for the customer (409 for a draft: it has no number yet)."""
        invoice = self.get_object()
        if not invoice.number:
            raise TransitionRefused(_("Issue the invoice first: a draft has no number."))
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
        return response


class ReceiptViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Money received from a customer, allocated to its issued invoices (same currency); the rest is
    its credit, allocated later with `POST …/{id}/allocate/`."""

    queryset = Receipt.objects.none()
    selector = staticmethod(selectors.receipt_list)
    serializer_class = ReceiptSerializer
    filterset_class = ReceiptFilter
    ordering_fields = ["date", "created_at"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data["allocations"] = [dict(a) for a in data.get("allocations", [])]
        receipt = services.receipt_create(user=self.request.user, data=data)
        serializer.instance = self.get_queryset().get(pk=receipt.pk)

    @extend_schema(request=AllocateSerializer, responses=ReceiptSerializer)
    @action(detail=True, methods=["post"])
    def allocate(self, request, pk=None):
        body = AllocateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        receipt = services.receipt_allocate(
            receipt=self.get_object(),
            user=request.user,
            allocations=[dict(a) for a in body.validated_data["allocations"]],
            date=body.validated_data["date"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=receipt.pk)).data)


class ReceivablesView(generics.ListAPIView):
    """Receivables as of a date (`?as_of=YYYY-MM-DD`, default today): one row per invoice with
    something outstanding then, with its ageing bucket, paged like every list (`page`, `page_size`);
    `summary/` gives the buckets and DSO in base currency."""

    serializer_class = ReceivableSerializer
    pagination_class = StandardPagination
    filter_backends = []  # rows computed by the selector; only as_of and the page parameters apply

    @extend_schema(parameters=[AsOfSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.receivable_invoices(self.request.user, _as_of(self.request))

    def list(self, request, *args, **kwargs):
        # the page is cut in the database; only its invoices become rows (12,782 at L took 2.9 s)
        as_of = _as_of(request)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(selectors.receivable_rows(page, as_of), many=True).data)


class ReceivablesSummaryView(APIView):
    @extend_schema(parameters=[AsOfSerializer], responses=ReceivablesSummarySerializer)
    def get(self, request):
        return Response(ReceivablesSummarySerializer(selectors.receivables_summary(request.user, _as_of(request))).data)


def _as_of(request):
    body = AsOfSerializer(data=request.query_params)
    body.is_valid(raise_exception=True)
    return body.validated_data.get("as_of") or timezone.localdate()


UNRATED_HEADER = "Unrated-Currencies"


class CashForecastView(APIView):
    """Cash expected in the next `months` months (default 12, at most 36), in base currency: from open
    invoices, from payment milestones not yet invoiced and from the weighted pipeline; against the cash
    collected in each month. Amounts in a currency with no exchange rate are left out (never counted at
    1.0); the `Unrated-Currencies` header names those currencies (comma-separated), as the page does."""

    @extend_schema(
        parameters=[MonthsSerializer],
        responses=OpenApiResponse(
            CashForecastRowSerializer(many=True),
            description=f"{UNRATED_HEADER}: the currencies left out for want of a rate, when there are any",
        ),
    )
    def get(self, request):
        body = MonthsSerializer(data=request.query_params)
        body.is_valid(raise_exception=True)
        unrated: set[str] = set()
        rows = selectors.cash_forecast(request.user, months=body.validated_data["months"], unrated=unrated)
        response = Response(CashForecastRowSerializer(rows, many=True).data)
        if unrated:
            response[UNRATED_HEADER] = ",".join(sorted(unrated))
        return response
