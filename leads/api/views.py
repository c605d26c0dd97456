from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from leads import selectors, services
from leads.models import Contact, Customer, Lead, LeadImport
from ltc_portal.core.api.mixins import ServiceWriteMixin, TransitionsMixin
from ltc_portal.core.api.serializers import ReasonRequiredSerializer
from ltc_portal.core.api.throttles import BULK_THROTTLES
from ltc_portal.core.api.viewsets import RestrictedViewSet

from .filters import ContactFilter, CustomerFilter, LeadFilter
from .serializers import (
    ContactSerializer,
    CustomerSerializer,
    LeadCreatedSerializer,
    LeadImportRequestSerializer,
    LeadImportSerializer,
    LeadSerializer,
)


class LeadViewSet(
    TransitionsMixin,
    ServiceWriteMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """Leads (LTO). Create answers with `duplicates`: open leads sharing the e-mail, phone or company."""

    queryset = Lead.objects.none()  # for the schema; the selector filters by visibility
    selector = staticmethod(selectors.lead_list)
    list_select_related = ()  # the serializer reads ids only
    list_reverse_ids = ("opportunity",)  # a subquery per row of the page, not a join
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    search_fields = []
    ordering_fields = ["score", "created_at", "company_name"]
    transition_service = services.lead_transition
    transition_serializers = {"disqualify": ReasonRequiredSerializer}
    create_service = services.lead_create

    @staticmethod
    def update_service(lead, *, user, data):
        return services.lead_update(lead=lead, user=user, data=data)

    @extend_schema(responses={201: LeadCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        lead = serializer.instance
        duplicates, elsewhere = selectors.lead_duplicate_warning(
            request.user, company_name=lead.company_name, email=lead.email, phone=lead.phone, exclude_pk=lead.pk
        )
        lead = self.get_queryset().get(pk=lead.pk)
        context = {**self.get_serializer_context(), "duplicates": duplicates, "duplicates_elsewhere": elsewhere}
        data = LeadCreatedSerializer(lead, context=context).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": LeadImportRequestSerializer}, responses={202: LeadImportSerializer})
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
        throttle_classes=BULK_THROTTLES,
    )
    def import_file(self, request):
        """Upload a .csv or .xlsx file of leads; poll `lead-imports/{id}/` for progress and the report."""
        body = LeadImportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        lead_import = services.lead_import_start(
            user=request.user, filename=upload.name, content=upload.read(), valid_only=body.validated_data["valid_only"]
        )
        return Response(LeadImportSerializer(lead_import).data, status=status.HTTP_202_ACCEPTED)


class LeadImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Lead imports with progress and the per-row report."""

    queryset = LeadImport.objects.none()
    selector = staticmethod(lambda user: selectors.lead_import_visible(user).defer("content"))
    serializer_class = LeadImportSerializer
    filterset_fields = ["status"]

    @extend_schema(request=None, responses={202: LeadImportSerializer})
    @action(detail=True, methods=["post"], url_path="import-valid-rows", throttle_classes=BULK_THROTTLES)
    def import_valid_rows(self, request, pk=None):
        """Re-run a rejected import for its valid rows only."""
        new = services.lead_import_valid_rows(lead_import=self.get_object(), user=request.user)
        return Response(LeadImportSerializer(new).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: LeadImportSerializer})
    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None):
        """Run a failed import again (the same file, as a new import)."""
        new = services.lead_import_rerun(lead_import=self.get_object(), user=request.user)
        return Response(LeadImportSerializer(new).data, status=status.HTTP_202_ACCEPTED)


class CustomerViewSet(
    ServiceWriteMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    queryset = Customer.objects.none()
    selector = staticmethod(lambda user: selectors.customer_visible(user).select_related("owner"))
    list_select_related = ()  # the serializer reads ids only
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = ["name", "created_at"]
    create_service = services.customer_create

    @staticmethod
    def update_service(customer, *, user, data):
        return services.customer_update(customer=customer, user=user, data=data)


class ContactViewSet(
    ServiceWriteMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    queryset = Contact.objects.none()
    selector = staticmethod(lambda user: selectors.contact_visible(user).select_related("customer"))
    list_select_related = ()  # the serializer reads ids only
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    create_service = services.contact_create

    @staticmethod
    def update_service(contact, *, user, data):
        return services.contact_update(contact=contact, user=user, data=data)
