import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leads.models import Contact, Customer, Lead, LeadSource, LeadState
from ltc_portal.core.roles import Role, sees_everything


def lead_owner_choices(request):
    """Who a lead list can be filtered by: for a reader of every lead, the people who own leads (sales
    and sales directors, not every user: the page draws each as an option); for a salesperson, who
    reads only their own leads, themselves."""
    User = get_user_model()
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return User.objects.none()
    if not sees_everything(user):
        return User.objects.filter(pk=user.pk)
    return (
        User.objects.filter(is_active=True, groups__name__in=[Role.SALES, Role.SALES_DIRECTOR])
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class LeadFilter(django_filters.FilterSet):
    """Filters shared by the leads page, its Excel export and the API."""

    state = django_filters.MultipleChoiceFilter(choices=LeadState.choices, label=_("State"))
    source = django_filters.MultipleChoiceFilter(choices=LeadSource.choices, label=_("Source"))
    owner = django_filters.ModelChoiceFilter(queryset=lead_owner_choices, label=_("Owner"))
    q = django_filters.CharFilter(method="search", label=_("Search"))
    min_score = django_filters.NumberFilter(field_name="score", lookup_expr="gte", label=_("Minimum score"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("score", "score"),
            ("created_at", "created_at"),
            ("company_name", "company_name"),
            ("budget_amount", "budget_amount"),
        ),
        label=_("Sort by"),
    )

    class Meta:
        model = Lead
        fields = ["state", "source", "owner", "campaign"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(company_name__icontains=value)
            | Q(contact_name__icontains=value)
            | Q(email__icontains=value)
            | Q(phone__icontains=value)
            | Q(need__icontains=value)
        )


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Customer
        fields = ["owner", "industry", "tax_id"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(tax_id__icontains=value)) if value.strip() else queryset


class ContactFilter(django_filters.FilterSet):
    class Meta:
        model = Contact
        fields = ["customer", "email"]
