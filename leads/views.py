"""Browser pages for leads, customers and imports. Thin: forms validate, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ltc_portal.core import panels
from ltc_portal.core.fsm import TransitionRefused, UnknownTransition, describe_transitions, history
from ltc_portal.core.pages import form_errors_from, page_of

from . import selectors, services
from .api.filters import CustomerFilter, LeadFilter
from .export import leads_workbook
from .forms import ContactForm, CustomerForm, LeadForm, LeadImportForm, TransitionForm
from .models import OPEN_LEAD_STATES, LeadState
from .scoring import PART_LABELS, score_breakdown

#: rows of each list on the customer's page (the panel says how many more there are)
CUSTOMER_ROWS = 20


def _querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def dashboard_context(request) -> dict:
    counts = selectors.lead_counts_by_state(request.user)
    states = [{"code": c, "label": str(label), "count": counts.get(c, 0)} for c, label in LeadState.choices]
    return {
        "lead_states": states,
        "chart_spec": {
            "type": "bar",
            "data": {
                "labels": [s["label"] for s in states],
                "datasets": [
                    {"label": str(_("Leads")), "data": [s["count"] for s in states], "backgroundColor": "#0d6efd"}
                ],
            },
            "options": {
                "plugins": {"legend": {"display": False}},
                "scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}},
            },
        },
        "top_leads": selectors.lead_list(request.user).filter(state__in=OPEN_LEAD_STATES).order_by("-score")[:5],
    }


@login_required
def lead_list(request):
    if not request.user.has_perm("leads.view_lead"):
        raise PermissionDenied
    filterset = LeadFilter(request.GET or None, queryset=selectors.lead_list(request.user), request=request)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return render(
        request,
        "leads/lead_list.html",
        {
            "filter": filterset,
            "page": page_of(request, qs),
            "querystring": _querystring_without_page(request),
            "can_add": request.user.has_perm("leads.add_lead"),
        },
    )


@login_required
def lead_export(request):
    if not request.user.has_perm("leads.view_lead"):
        raise PermissionDenied
    filterset = LeadFilter(request.GET or None, queryset=selectors.lead_list(request.user), request=request)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    response = HttpResponse(
        leads_workbook(qs),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="leads-{stamp}.xlsx"'
    return response


@login_required
def lead_detail(request, pk):
    lead = get_object_or_404(selectors.lead_list(request.user), pk=pk)
    duplicates, duplicates_elsewhere = (
        _duplicates_for_form(
            request.user,
            {"company_name": lead.company_name, "email": lead.email, "phone": lead.phone, "pk": lead.pk},
        )
        if lead.is_open
        else ([], False)
    )
    return render(
        request,
        "leads/lead_detail.html",
        {
            "lead": lead,
            "transitions": describe_transitions(lead, request.user),
            "history": history(lead),
            "score_parts": [(PART_LABELS[k], v) for k, v in score_breakdown(lead).items()],
            "duplicates": duplicates,
            "duplicates_elsewhere": duplicates_elsewhere,
            "can_edit": lead.is_open and request.user.has_perm("leads.change_lead", lead),
            "transition_form": TransitionForm(),
        },
    )


def _duplicates_for_form(user, data) -> tuple[list, bool]:
    return selectors.lead_duplicate_warning(
        user,
        company_name=data.get("company_name", ""),
        email=data.get("email", ""),
        phone=data.get("phone", ""),
        exclude_pk=data.get("pk"),
    )


@login_required
def lead_create(request):
    if not request.user.has_perm("leads.add_lead"):
        raise PermissionDenied
    if request.headers.get("HX-Request") and request.method == "POST":
        duplicates, elsewhere = _duplicates_for_form(request.user, request.POST)
        return render(request, "leads/_duplicates.html", {"duplicates": duplicates, "duplicates_elsewhere": elsewhere})
    form = LeadForm(request.POST or None, user=request.user)
    duplicates, elsewhere = [], False
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "confirm_duplicates"}
        duplicates, elsewhere = _duplicates_for_form(request.user, data)
        if (duplicates or elsewhere) and not form.cleaned_data["confirm_duplicates"]:
            form.add_error(
                None,
                _(
                    "This lead looks like an open lead that already exists. Check the candidates "
                    "below, then confirm to save it anyway."
                ),
            )
        else:
            try:
                lead = services.lead_create(user=request.user, data=data)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("Lead created."))
                return redirect("leads:lead-detail", pk=lead.pk)
    return render(
        request,
        "leads/lead_form.html",
        {"form": form, "duplicates": duplicates, "duplicates_elsewhere": elsewhere, "creating": True},
    )


@login_required
def lead_edit(request, pk):
    lead = get_object_or_404(selectors.lead_list(request.user), pk=pk)
    if not request.user.has_perm("leads.change_lead", lead):
        raise PermissionDenied
    if request.headers.get("HX-Request") and request.method == "POST":
        duplicates, elsewhere = _duplicates_for_form(request.user, {**request.POST.dict(), "pk": lead.pk})
        return render(request, "leads/_duplicates.html", {"duplicates": duplicates, "duplicates_elsewhere": elsewhere})
    form = LeadForm(request.POST or None, instance=lead, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "confirm_duplicates"}
        if data.get("owner") is None:
            data.pop("owner", None)
        try:
            services.lead_update(lead=lead, user=request.user, data=data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Lead saved."))
            return redirect("leads:lead-detail", pk=lead.pk)
    return render(request, "leads/lead_form.html", {"form": form, "lead": lead, "creating": False})


@login_required
@require_POST
def lead_transition(request, pk, name):
    lead = get_object_or_404(selectors.lead_list(request.user), pk=pk)
    form = TransitionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        lead = services.lead_transition(lead=lead, name=name, user=request.user, reason=reason)
    except TransitionRefused as exc:
        messages.error(request, " ".join([exc.detail, *exc.reasons]))
    except UnknownTransition:
        messages.error(request, _("No such step."))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You are not allowed to do this."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Lead is now “%(state)s”.") % {"state": lead.get_state_display()})
        if name == "convert" and hasattr(lead, "opportunity"):
            return redirect("opportunities:opportunity-detail", pk=lead.opportunity.pk)
    return redirect("leads:lead-detail", pk=pk)


@login_required
def lead_import(request):
    if not request.user.has_perm("leads.add_leadimport"):
        raise PermissionDenied
    form = LeadImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            lead_import = services.lead_import_start(
                user=request.user,
                filename=upload.name,
                content=upload.read(),
                valid_only=form.cleaned_data["valid_only"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            return redirect("leads:import-detail", pk=lead_import.pk)
    imports = selectors.lead_import_visible(request.user).defer("content").select_related("created_by")[:10]
    return render(request, "leads/import_form.html", {"form": form, "imports": imports})


@login_required
def lead_import_detail(request, pk):
    lead_import = get_object_or_404(selectors.lead_import_visible(request.user).defer("content"), pk=pk)
    template = "leads/_import_status.html" if request.headers.get("HX-Request") else "leads/import_detail.html"
    return render(request, template, {"imp": lead_import, "report": lead_import.report[:500]})


@login_required
@require_POST
def lead_import_valid_rows(request, pk):
    lead_import = get_object_or_404(selectors.lead_import_visible(request.user), pk=pk)
    try:
        new = services.lead_import_valid_rows(lead_import=lead_import, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("leads:import-detail", pk=pk)
    return redirect("leads:import-detail", pk=new.pk)


@login_required
def customer_list(request):
    filterset = CustomerFilter(request.GET or None, queryset=selectors.customer_list(request.user), request=request)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return render(
        request,
        "leads/customer_list.html",
        {
            "filter": filterset,
            "page": page_of(request, qs),
            "querystring": _querystring_without_page(request),
            "can_add": request.user.has_perm("leads.add_customer"),
        },
    )


@login_required
def customer_detail(request, pk):
    customer = get_object_or_404(selectors.customer_list(request.user), pk=pk)
    return render(
        request,
        "leads/customer_detail.html",
        {
            "customer": customer,
            "contacts": selectors.contact_visible(request.user).filter(customer=customer),
            "leads": selectors.lead_list(request.user).filter(customer=customer)[:CUSTOMER_ROWS],
            "can_edit": request.user.has_perm("leads.change_customer", customer),
            "can_add_contact": request.user.has_perm("leads.add_contact")
            and request.user.has_perm("leads.change_customer", customer),
            # what the downstream apps hold for this customer: opportunities, contracts, projects, invoices
            "panels": panels.panels_for("customer.360", subject=customer, user=request.user),
        },
    )


@login_required
def contact_form(request, customer_pk=None, pk=None):
    """Add a contact to a customer, or change one: the services decide who may."""
    contact = (
        get_object_or_404(selectors.contact_visible(request.user).select_related("customer"), pk=pk) if pk else None
    )
    customer = contact.customer if contact else get_object_or_404(selectors.customer_list(request.user), pk=customer_pk)
    allowed = (
        request.user.has_perm("leads.change_contact", contact)
        if contact
        else request.user.has_perm("leads.add_contact") and request.user.has_perm("leads.change_customer", customer)
    )
    if not allowed:
        raise PermissionDenied
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "customer": customer}
        try:
            if contact:
                services.contact_update(contact=contact, user=request.user, data=data)
            else:
                services.contact_create(user=request.user, data=data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("leads:customer-detail", pk=customer.pk)
    return render(request, "leads/contact_form.html", {"form": form, "contact": contact, "customer": customer})


@login_required
def customer_form(request, pk=None):
    customer = get_object_or_404(selectors.customer_visible(request.user), pk=pk) if pk else None
    allowed = (
        request.user.has_perm("leads.change_customer", customer)
        if customer
        else request.user.has_perm("leads.add_customer")
    )
    if not allowed:
        raise PermissionDenied
    form = CustomerForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        try:
            if customer:
                customer = services.customer_update(customer=customer, user=request.user, data=form.cleaned_data)
            else:
                customer = services.customer_create(user=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Customer saved."))
            return redirect("leads:customer-detail", pk=customer.pk)
    return render(request, "leads/customer_form.html", {"form": form, "customer": customer})
