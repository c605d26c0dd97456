"""Reads of leads, customers and contacts for pages, API, admin and jobs.

The ``*_visible`` querysets are the list form of ``leads/rules.py``: every door filters with them.
"""

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ltc_portal.core.roles import Role, has_role, sees_everything, user_roles

from .models import OPEN_LEAD_STATES, Contact, Customer, Lead, LeadImport
from .normalize import normalize_company, normalize_email, normalize_phone


def lead_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Lead.objects.all() if qs is None else qs
    if sees_everything(user):
        return qs
    if has_role(user, Role.SALES):
        return qs.filter(owner=user)
    return qs.none()


def lead_list(user) -> QuerySet:
    """Leads the user may see, with what a list row shows (constant queries per page)."""
    return lead_visible(user).select_related("owner", "customer", "opportunity")


def customer_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Customer.objects.all() if qs is None else qs
    if not user.is_authenticated:
        return qs.none()
    if sees_everything(user) or (user_roles(user) - {Role.SALES}):
        return qs
    if has_role(user, Role.SALES):
        own_leads = Lead.objects.filter(owner=user, customer__isnull=False).values("customer_id")
        return qs.filter(Q(owner=user) | Q(pk__in=own_leads))
    return qs.none()


def customer_list(user) -> QuerySet:
    return (
        customer_visible(user)
        .select_related("owner")
        .annotate(contact_count=Count("contacts", distinct=True))
        .order_by("name", "pk")
    )


def contact_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Contact.objects.all() if qs is None else qs
    return qs.filter(customer__in=customer_visible(user))


def lead_duplicates(*, company_name: str = "", email: str = "", phone: str = "", exclude_pk=None) -> QuerySet:
    """Open leads whose e-mail, phone or normalised company name matches (any one is enough)."""
    match = Q()
    if company := normalize_company(company_name):
        match |= Q(company_normalized=company)
    if email := normalize_email(email):
        match |= Q(email=email)
    if (phone := normalize_phone(phone)) and len(phone) >= 6:
        match |= Q(phone_normalized=phone)
    if not match:
        return Lead.objects.none()
    qs = Lead.objects.filter(match, state__in=OPEN_LEAD_STATES).select_related("owner")
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("-created_at")[:20]


MATCH_LABELS = {"company_name": _("company"), "email": _("e-mail"), "phone": _("phone")}


def duplicate_fields(lead: Lead, *, company_name: str, email: str, phone: str) -> list[str]:
    """Which of the given values a candidate lead shares (for the warning text)."""
    fields = []
    if normalize_company(company_name) and lead.company_normalized == normalize_company(company_name):
        fields.append("company_name")
    if normalize_email(email) and lead.email == normalize_email(email):
        fields.append("email")
    if normalize_phone(phone) and lead.phone_normalized == normalize_phone(phone):
        fields.append("phone")
    return fields


def lead_counts_by_state(user) -> dict[str, int]:
    rows = lead_visible(user).order_by().values("state").annotate(n=Count("*"))  # COUNT(*): no column to read
    return {r["state"]: r["n"] for r in rows}


def lead_import_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = LeadImport.objects.all() if qs is None else qs
    if user.is_superuser or has_role(user, Role.SALES_DIRECTOR):
        return qs
    return qs.filter(created_by=user)


def lead_duplicate_candidates(
    *, company_name: str = "", email: str = "", phone: str = "", exclude_pk=None
) -> list[Lead]:
    """``lead_duplicates`` with, on each candidate, what it shares: ``matched_on`` (field names) and
    ``matched_on_labels`` (words for the page)."""
    found = list(lead_duplicates(company_name=company_name, email=email, phone=phone, exclude_pk=exclude_pk))
    for d in found:
        d.matched_on = duplicate_fields(d, company_name=company_name, email=email, phone=phone)
        d.matched_on_labels = [str(MATCH_LABELS[f]) for f in d.matched_on]
    return found


def lead_duplicate_warning(
    user, *, company_name: str = "", email: str = "", phone: str = "", exclude_pk=None
) -> tuple[list[Lead], bool]:
    """The duplicate candidates ``user`` may read (with ``matched_on``), and whether a matching open
    lead exists that they may not read — of that one nothing is told (owner, contact, state), so the
    warning is no oracle for other owners' e-mails and phones. Two queries."""
    found = lead_duplicate_candidates(company_name=company_name, email=email, phone=phone, exclude_pk=exclude_pk)
    readable = set(lead_visible(user).filter(pk__in=[d.pk for d in found]).values_list("pk", flat=True))
    return [d for d in found if d.pk in readable], any(d.pk not in readable for d in found)
