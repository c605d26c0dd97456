"""Every write on leads, customers and contacts. Views, serializers, admin and tasks call these."""

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ltc_portal.core.fsm import lock, log_created, run_transition
from ltc_portal.core.outbox import enqueue
from ltc_portal.core.roles import Role, has_role
from ltc_portal.core.services import assign_fields

from .models import OPEN_LEAD_STATES, Contact, Customer, Lead, LeadImport
from .normalize import normalize_company, normalize_email
from .tasks import run_lead_import

LEAD_EDITABLE_FIELDS = (
    "source",
    "campaign",
    "company_name",
    "contact_name",
    "email",
    "phone",
    "need",
    "budget_amount",
    "budget_currency",
    "timeline",
    "notes",
    "owner",
)
CUSTOMER_EDITABLE_FIELDS = ("name", "tax_id", "industry", "owner")
CONTACT_EDITABLE_FIELDS = ("customer", "name", "email", "phone", "title")


def _check_owner(*, user: User, owner: User | None) -> None:
    """A record's owner defaults to its creator; only directors and superusers assign others, and
    only to people holding the sales or sales_director role."""
    if owner is None or owner == user:
        return
    if not (user.is_superuser or has_role(user, Role.SALES_DIRECTOR)):
        raise ValidationError({"owner": [_("Only a sales director can assign records to someone else.")]})
    if not has_role(owner, Role.SALES, Role.SALES_DIRECTOR):
        raise ValidationError({"owner": [_("The owner must hold the sales or sales director role.")]})


# Leads ---------------------------------------------------------------------------------------


@transaction.atomic
def lead_create(*, user: User, data: dict) -> Lead:
    """Create a lead owned by ``user`` (or by the given owner, for directors). Validates every field;
    the score and normalised keys are computed on save. Duplicates are reported by the caller with
    ``selectors.lead_duplicates``: they warn, they do not block."""
    if not user.has_perm("leads.add_lead"):
        raise PermissionDenied(_("You may not create leads."))
    data = dict(data)
    owner = data.pop("owner", None) or user
    _check_owner(user=user, owner=owner)
    lead = Lead(owner=owner, created_by=user, updated_by=user)
    assign_fields(lead, data, LEAD_EDITABLE_FIELDS)
    lead.full_clean()
    lead.save()
    log_created(lead, user=user)
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, user: User, data: dict) -> Lead:
    """Change an open lead's details. Converted and disqualified leads are closed records."""
    lead = lock(lead)
    if not user.has_perm("leads.change_lead", lead):
        raise PermissionDenied(_("You may not change this lead."))
    if lead.state not in OPEN_LEAD_STATES:
        raise ValidationError(
            _("This lead is %(state)s; it can no longer be edited.") % {"state": lead.get_state_display()}
        )
    data = dict(data)
    if "owner" in data:
        _check_owner(user=user, owner=data["owner"])
    assign_fields(lead, data, LEAD_EDITABLE_FIELDS)
    lead.updated_by = user
    lead.full_clean()
    lead.save()
    return lead


def lead_transition(*, lead: Lead, name: str, user: User, reason: str = "") -> Lead:
    """Run one lifecycle step by name (the transitions API and pages call this)."""
    if name == "convert":
        return lead_convert(lead=lead, user=user, reason=reason)
    return run_transition(lead, name, user=user, reason=reason)


@transaction.atomic
def lead_convert(*, lead: Lead, user: User, reason: str = "") -> Lead:
    """Convert a qualified lead: find or create the de-duplicated customer and its contact, link
    them, and run ``convert``; the opportunities app opens the opportunity in ``validating`` in the
    same transaction (opportunities/handlers.py, on the ``convert`` event)."""

    def link_customer(locked: Lead) -> dict:
        customer, customer_created = customer_get_or_create(name=locked.company_name, owner=locked.owner, user=user)
        contact = None
        if locked.contact_name.strip() or locked.email:
            contact, _created = contact_get_or_create(
                customer=customer,
                name=locked.contact_name.strip() or locked.email,
                email=locked.email,
                phone=locked.phone,
                user=user,
            )
        locked.customer = customer
        locked.customer_contact = contact
        return {
            "customer_id": customer.pk,
            "customer_created": customer_created,
            "contact_id": contact.pk if contact else None,
        }

    return run_transition(lead, "convert", user=user, reason=reason, prepare=link_customer)


# Customers and contacts ------------------------------------------------------------------------


def customer_find(*, name: str = "", tax_id: str = "") -> Customer | None:
    """The existing customer with this tax ID, else with this normalised name."""
    tax_id = (tax_id or "").strip().upper()
    if tax_id and (c := Customer.objects.filter(tax_id=tax_id).first()):
        return c
    normalized = normalize_company(name)
    return Customer.objects.filter(name_normalized=normalized).first() if normalized else None


@transaction.atomic
def customer_get_or_create(*, name: str, owner: User, user: User, tax_id: str = "") -> tuple[Customer, bool]:
    existing = customer_find(name=name, tax_id=tax_id)
    if existing:
        return existing, False
    customer = Customer(name=name, tax_id=tax_id, owner=owner, created_by=user, updated_by=user)
    customer.full_clean()
    customer.save()
    return customer, True


@transaction.atomic
def customer_create(*, user: User, data: dict) -> Customer:
    if not user.has_perm("leads.add_customer"):
        raise PermissionDenied(_("You may not create customers."))
    data = dict(data)
    owner = data.pop("owner", None) or user
    _check_owner(user=user, owner=owner)
    customer = Customer(owner=owner, created_by=user, updated_by=user)
    assign_fields(customer, data, CUSTOMER_EDITABLE_FIELDS)
    customer.name_normalized = normalize_company(customer.name)
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, user: User, data: dict) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not user.has_perm("leads.change_customer", customer):
        raise PermissionDenied(_("You may not change this customer."))
    data = dict(data)
    if "owner" in data:
        _check_owner(user=user, owner=data["owner"])
    assign_fields(customer, data, CUSTOMER_EDITABLE_FIELDS)
    customer.name_normalized = normalize_company(customer.name)
    customer.updated_by = user
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def contact_get_or_create(
    *, customer: Customer, name: str, email: str = "", phone: str = "", user: User, title: str = ""
) -> tuple[Contact, bool]:
    email = normalize_email(email)
    qs = customer.contacts.all()
    existing = qs.filter(email=email).first() if email else qs.filter(name=name.strip(), email="").first()
    if existing:
        return existing, False
    contact = Contact(
        customer=customer, name=name.strip(), email=email, phone=phone, title=title, created_by=user, updated_by=user
    )
    contact.full_clean()
    contact.save()
    return contact, True


@transaction.atomic
def contact_create(*, user: User, data: dict) -> Contact:
    customer = data.get("customer")
    if customer is None or not user.has_perm("leads.change_customer", customer):
        raise PermissionDenied(_("You may not add contacts to this customer."))
    contact = Contact(created_by=user, updated_by=user)
    assign_fields(contact, data, CONTACT_EDITABLE_FIELDS)
    contact.email = normalize_email(contact.email)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, user: User, data: dict) -> Contact:
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if not user.has_perm("leads.change_contact", contact):
        raise PermissionDenied(_("You may not change this contact."))
    if "customer" in data and not user.has_perm("leads.change_customer", data["customer"]):
        raise PermissionDenied(_("You may not move the contact to that customer."))
    assign_fields(contact, data, CONTACT_EDITABLE_FIELDS)
    contact.email = normalize_email(contact.email)
    contact.updated_by = user
    contact.full_clean()
    contact.save()
    return contact


# Import ----------------------------------------------------------------------------------------


def lead_import_start(*, user: User, filename: str, content: bytes, valid_only: bool = False) -> LeadImport:
    """Store the upload and queue its processing after commit (eagerly without a broker)."""
    if not user.has_perm("leads.add_leadimport"):
        raise PermissionDenied(_("You may not import leads."))
    if not filename.lower().endswith((".csv", ".xlsx")):
        raise ValidationError({"file": [_("Upload a .csv or .xlsx file.")]})
    with transaction.atomic():
        lead_import = LeadImport.objects.create(
            filename=filename, content=content, valid_only=valid_only, created_by=user, updated_by=user
        )
        enqueue(run_lead_import, lead_import_id=lead_import.pk)
    lead_import.refresh_from_db()
    return lead_import


def lead_import_rerun(*, lead_import: LeadImport, user: User) -> LeadImport:
    """Run a failed import again (the same file, as a new import): one whose job the outbox gave up,
    or whose file could not be read."""
    if lead_import.status != LeadImport.Status.FAILED:
        raise ValidationError(_("Only a failed import can be run again."))
    new = lead_import_start(
        user=user,
        filename=lead_import.filename,
        content=bytes(lead_import.content),
        valid_only=lead_import.valid_only,
    )
    LeadImport.objects.filter(pk=new.pk).update(retried_from=lead_import)
    new.refresh_from_db()
    return new


def lead_import_valid_rows(*, lead_import: LeadImport, user: User) -> LeadImport:
    """Re-run a rejected import, this time importing only its valid rows."""
    if lead_import.status != LeadImport.Status.REJECTED:
        raise ValidationError(_("Only a rejected import can be re-run for its valid rows."))
    new = lead_import_start(
        user=user, filename=lead_import.filename, content=bytes(lead_import.content), valid_only=True
    )
    LeadImport.objects.filter(pk=new.pk).update(retried_from=lead_import)
    new.refresh_from_db()
    return new
