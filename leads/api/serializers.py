from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leads.models import Contact, Customer, Lead, LeadImport
from ltc_portal.core.api.lists import IdRelatedField, ListModelSerializer, ReverseIdField
from ltc_portal.core.money import ISO_4217


class CurrencyCodeField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip().upper()
        if value not in ISO_4217:
            raise serializers.ValidationError(_("%(value)s is not an ISO 4217 currency code.") % {"value": value})
        return value


class DuplicateLeadSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_full_name", read_only=True)
    matched_on = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Lead
        fields = ["id", "company_name", "contact_name", "state", "owner", "created_at", "matched_on"]


class LeadSerializer(ListModelSerializer):
    owner = IdRelatedField(queryset=get_user_model().objects.filter(is_active=True), required=False)
    budget_currency = CurrencyCodeField(required=False)
    budget_amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    opportunity = ReverseIdField()

    class Meta:
        model = Lead
        fields = [
            "id",
            "company_name",
            "contact_name",
            "email",
            "phone",
            "source",
            "campaign",
            "need",
            "budget_amount",
            "budget_currency",
            "timeline",
            "notes",
            "owner",
            "state",
            "score",
            "customer",
            "customer_contact",
            "opportunity",
            "disqualify_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "state",
            "score",
            "customer",
            "customer_contact",
            "disqualify_reason",
            "created_at",
            "updated_at",
        ]


class LeadCreatedSerializer(LeadSerializer):
    """The create response: the lead, the open leads it may duplicate that the caller may read, and
    whether one exists that they may not (nothing more is told of it)."""

    duplicates = serializers.SerializerMethodField()
    duplicate_with_other_owner = serializers.SerializerMethodField()

    class Meta(LeadSerializer.Meta):
        fields = [*LeadSerializer.Meta.fields, "duplicates", "duplicate_with_other_owner"]

    @extend_schema_field(DuplicateLeadSerializer(many=True))
    def get_duplicates(self, obj):
        return DuplicateLeadSerializer(self.context.get("duplicates", []), many=True).data

    def get_duplicate_with_other_owner(self, obj) -> bool:
        return bool(self.context.get("duplicates_elsewhere", False))


class CustomerSerializer(ListModelSerializer):
    owner = IdRelatedField(queryset=get_user_model().objects.filter(is_active=True), required=False)

    class Meta:
        model = Customer
        fields = ["id", "name", "tax_id", "industry", "owner", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is checked by the service, with the customer's own words


class ContactSerializer(ListModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "customer", "name", "email", "phone", "title", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        validators = []


class LeadImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField()
    valid_only = serializers.BooleanField(default=False)


class LeadImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeadImport
        fields = [
            "id",
            "filename",
            "valid_only",
            "status",
            "total_rows",
            "processed_rows",
            "imported_count",
            "invalid_rows",
            "report",
            "error",
            "created_at",
            "finished_at",
            "retried_from",
        ]
        read_only_fields = fields
