"""Browser pages for opportunities and quotes: the pipeline board, the opportunity page with its
gates and quotes, and the quote editor. Thin: forms validate, services write, selectors read."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ltc_portal.controls import registry
from ltc_portal.controls.selectors import gates_for, next_gates
from ltc_portal.core.fsm import TransitionRefused, UnknownTransition, describe_transitions, history
from ltc_portal.core.pages import form_errors_from, refusal_text

from . import selectors, services
from .forms import (
    EstimateLineFormSet,
    OpportunityForm,
    PipelineFilterForm,
    QuoteForm,
    QuoteLineFormSet,
    TransitionForm,
    formset_rows,
)
from .models import OPEN_OPPORTUNITY_STATES, Opportunity, OpportunityState, QuoteState, margin_floor

PAGE_SIZE = 25
CHART_COLOURS = ("#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997")
LINES_PREFIX, ESTIMATE_PREFIX = "lines", "estimate"


def _require_view_perm(user):
    if not user.has_perm("opportunities.view_opportunity"):
        raise PermissionDenied


# Pipeline and list -----------------------------------------------------------------------------


def _forecast_chart(forecast: list[dict]) -> dict:
    no_date = _("No close date")
    months = sorted({row["month"] for row in forecast if row["month"]})
    if any(row["month"] is None for row in forecast):
        months.append(None)
    currencies = sorted({row["currency"] for row in forecast})
    values = {(row["month"], row["currency"]): row["weighted_value"] for row in forecast}
    return {
        "type": "bar",
        "data": {
            "labels": [m or no_date for m in months],
            "datasets": [
                {
                    "label": _("Weighted value (%(currency)s)") % {"currency": cur},
                    "data": [float(values.get((m, cur), 0)) for m in months],
                    "backgroundColor": CHART_COLOURS[i % len(CHART_COLOURS)],
                    "yAxisID": f"y{i}",
                }
                for i, cur in enumerate(currencies)
            ],
        },
        "options": {
            "responsive": True,
            # never two currencies on one axis: each has its own, named after it (the sales side has no
            # exchange rates; the cash forecast in finance is the base-currency view)
            "scales": {
                f"y{i}": {
                    "beginAtZero": True,
                    "position": "left" if i % 2 == 0 else "right",
                    "title": {"display": True, "text": cur},
                    "grid": {"drawOnChartArea": i == 0},
                }
                for i, cur in enumerate(currencies)
            },
            "plugins": {"legend": {"display": len(currencies) > 1}},
        },
    }


@login_required
def opportunity_list_page(request):
    """The pipeline board: one column per open stage, then the weighted forecast by month."""
    _require_view_perm(request.user)
    owners, customers = selectors.pipeline_choices(request.user)
    filters = PipelineFilterForm(request.GET or None, owners=owners, customers=customers)
    where = filters.where()
    stages = selectors.pipeline_by_stage(request.user, where=where)
    for stage in stages:
        stage["money"] = [
            {"currency": cur, "total": total, "weighted": stage["weighted"].get(cur, 0)}
            for cur, total in sorted(stage["totals"].items())
        ]
    forecast = selectors.weighted_forecast(request.user, Opportunity.objects.filter(where))
    return render(
        request,
        "opportunities/opportunity_list.html",
        {
            "stages": stages,
            "forecast": forecast,
            "forecast_chart": _forecast_chart(forecast),
            "filters": filters,
            "filtered": bool(where),
            "can_add": request.user.has_perm("opportunities.add_opportunity"),
        },
    )


@login_required
def opportunity_all(request):
    """Every opportunity the user sees, open or closed, paginated; filter by state and search."""
    _require_view_perm(request.user)
    qs = selectors.opportunity_list(request.user)
    state = request.GET.get("state", "")
    if state in OpportunityState.values:
        qs = qs.filter(state=state)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(customer__name__icontains=q))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "opportunities/opportunity_all.html",
        {
            "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
            "querystring": params.urlencode(),
            "states": OpportunityState.choices,
            "state": state,
            "q": q,
            "can_add": request.user.has_perm("opportunities.add_opportunity"),
        },
    )


# One opportunity -------------------------------------------------------------------------------


def _project_of(opportunity, user):
    """The opportunity's delivery project if it has one the user may see, else None."""
    try:
        project = opportunity.project
    except ObjectDoesNotExist:
        return None
    st = registry.subject_types().get("project")
    if st is None or not st.visible(user).filter(pk=project.pk).exists():
        return None
    return project


def _url_or_none(obj):
    try:
        return obj.get_absolute_url()
    except NoReverseMatch:  # the page of the record does not exist (yet)
        return None


@login_required
def opportunity_detail(request, pk):
    opportunity = get_object_or_404(selectors.opportunity_list(request.user), pk=pk)
    user = request.user
    project = _project_of(opportunity, user)
    can_change = user.has_perm("opportunities.change_opportunity", opportunity)
    project_gates, project_later = next_gates(gates_for(project, user)) if project else ([], [])
    return render(
        request,
        "opportunities/opportunity_detail.html",
        {
            "opportunity": opportunity,
            "transitions": describe_transitions(opportunity, user),
            "history": history(opportunity),
            "quotes": selectors.quote_visible(user).filter(opportunity=opportunity).order_by("-version"),
            "gates": gates_for(opportunity, user),
            "project": project,
            "project_url": _url_or_none(project) if project else None,
            "project_gates": project_gates,
            "project_later": project_later,
            "can_edit": can_change and opportunity.is_open,
            "can_quote": can_change and opportunity.is_open and opportunity.state != OpportunityState.CONTRACTING,
            # the contracts app adds the reverse accessor; the opportunity page only lists and links them
            "contracts": list(opportunity.contracts.all()),
            "can_draft_contract": can_change
            and opportunity.state == OpportunityState.CONTRACTING
            and not opportunity.contracts.exclude(state="terminated").exists(),
            "min_margin": margin_floor(),
            "can_read_lead": opportunity.lead_id is not None and user.has_perm("leads.view_lead", opportunity.lead),
        },
    )


@login_required
def opportunity_create(request):
    if not request.user.has_perm("opportunities.add_opportunity"):
        raise PermissionDenied
    form = OpportunityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if data.get("owner") is None:
            data.pop("owner", None)
        try:
            opportunity = services.opportunity_create(user=request.user, data=data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Opportunity created."))
            return redirect("opportunities:opportunity-detail", pk=opportunity.pk)
    return render(request, "opportunities/opportunity_form.html", {"form": form, "creating": True})


@login_required
def opportunity_edit(request, pk):
    opportunity = get_object_or_404(selectors.opportunity_list(request.user), pk=pk)
    if not request.user.has_perm("opportunities.change_opportunity", opportunity):
        raise PermissionDenied
    if not opportunity.is_open:
        messages.error(
            request,
            _("This opportunity is %(state)s; it can no longer be edited.")
            % {"state": opportunity.get_state_display()},
        )
        return redirect("opportunities:opportunity-detail", pk=pk)
    # the form validates a copy: the page keeps showing the saved record while the input has errors
    form = OpportunityForm(request.POST or None, instance=copy.copy(opportunity), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if data.get("owner") is None:
            data.pop("owner", None)
        try:
            services.opportunity_update(opportunity=opportunity, user=request.user, data=data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal_text(exc))
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect("opportunities:opportunity-detail", pk=pk)
    return render(
        request, "opportunities/opportunity_form.html", {"form": form, "opportunity": opportunity, "creating": False}
    )


def _run_transition(request, func, obj, name, noun_done):
    form = TransitionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        obj = func(obj, name=name, user=request.user, reason=reason)
    except TransitionRefused as exc:
        messages.error(request, refusal_text(exc))
    except UnknownTransition:
        messages.error(request, _("No such step."))
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, noun_done % {"state": obj.get_state_display()})


@login_required
@require_POST
def opportunity_transition(request, pk, name):
    opportunity = get_object_or_404(selectors.opportunity_list(request.user), pk=pk)
    _run_transition(
        request,
        lambda o, **kw: services.opportunity_transition(opportunity=o, **kw),
        opportunity,
        name,
        _("Opportunity is now “%(state)s”."),
    )
    return redirect("opportunities:opportunity-detail", pk=pk)


# Quotes ----------------------------------------------------------------------------------------


def _line_initial(quote) -> tuple[list[dict], list[dict]]:
    if quote is None:
        return [], []
    lines = [
        {
            "description": li.description,
            "category": li.category,
            "quantity": li.quantity,
            "unit_price": li.unit_price,
            "discount_percent": li.discount_percent,
            "unit_cost": li.unit_cost,
        }
        for li in quote.lines.all()
    ]
    estimates = [{"category": e.category, "amount": e.amount, "note": e.note} for e in quote.estimate_lines.all()]
    return lines, estimates


def _quote_forms(request, *, header_initial, lines_initial, estimates_initial):
    data = request.POST if request.method == "POST" else None
    return (
        QuoteForm(data, initial=header_initial),
        QuoteLineFormSet(data, initial=lines_initial, prefix=LINES_PREFIX),
        EstimateLineFormSet(data, initial=estimates_initial, prefix=ESTIMATE_PREFIX),
    )


def _quote_data(form, lines, estimates) -> dict:
    return {**form.cleaned_data, "lines": formset_rows(lines), "estimate_lines": formset_rows(estimates)}


def _quote_form_page(request, *, opportunity, quote, form, lines, estimates, based_on=None):
    return render(
        request,
        "opportunities/quote_form.html",
        {
            "opportunity": opportunity,
            "quote": quote,
            "form": form,
            "lines": lines,
            "estimates": estimates,
            "based_on": based_on,
            "currency": quote.currency if quote else opportunity.currency,
            "min_margin": margin_floor(),
        },
    )


def _saved_message(request, quote):
    def money(value):
        return number_format(value, 2, force_grouping=True)

    text = _(
        "Version %(v)s saved: revenue %(revenue)s %(cur)s, cost %(cost)s %(cur)s, gross margin %(margin)s %(cur)s."
    ) % {
        "v": quote.version,
        "revenue": money(quote.revenue),
        "cost": money(quote.cost),
        "margin": money(quote.gross_margin),
        "cur": quote.currency,
    }
    if quote.margin_percent is not None:
        text += " " + _("Margin %(pct)s%%.") % {"pct": quote.margin_percent}
    messages.success(request, text)


@login_required
def quote_create(request, pk):
    """A new version of the quote; its lines start as a copy of the latest version's."""
    opportunity = get_object_or_404(selectors.opportunity_list(request.user), pk=pk)
    if not request.user.has_perm("opportunities.change_opportunity", opportunity):
        raise PermissionDenied
    latest = selectors.quote_list(request.user).filter(opportunity=opportunity).order_by("-version").first()
    header = (
        {"payment_terms": latest.payment_terms, "valid_until": latest.valid_until, "notes": latest.notes}
        if latest
        else {}
    )
    lines_initial, estimates_initial = _line_initial(latest)
    form, lines, estimates = _quote_forms(
        request, header_initial=header, lines_initial=lines_initial, estimates_initial=estimates_initial
    )
    if request.method == "POST" and all([form.is_valid(), lines.is_valid(), estimates.is_valid()]):
        try:
            quote = services.quote_create(
                opportunity=opportunity, user=request.user, data=_quote_data(form, lines, estimates)
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except (TransitionRefused, PermissionDenied) as exc:
            form.add_error(None, refusal_text(exc))
        else:
            _saved_message(request, quote)
            return redirect("opportunities:quote-detail", pk=quote.pk)
    return _quote_form_page(
        request, opportunity=opportunity, quote=None, form=form, lines=lines, estimates=estimates, based_on=latest
    )


@login_required
def quote_edit(request, pk):
    quote = get_object_or_404(selectors.quote_list(request.user), pk=pk)
    if not request.user.has_perm("opportunities.change_quote", quote):
        raise PermissionDenied
    if quote.frozen or quote.state != QuoteState.DRAFT:
        messages.error(
            request,
            _("Version %(v)s is %(state)s and can no longer change: make a new version.")
            % {"v": quote.version, "state": quote.get_state_display()},
        )
        return redirect("opportunities:quote-detail", pk=pk)
    lines_initial, estimates_initial = _line_initial(quote)
    form, lines, estimates = _quote_forms(
        request,
        header_initial={"payment_terms": quote.payment_terms, "valid_until": quote.valid_until, "notes": quote.notes},
        lines_initial=lines_initial,
        estimates_initial=estimates_initial,
    )
    if request.method == "POST" and all([form.is_valid(), lines.is_valid(), estimates.is_valid()]):
        try:
            quote = services.quote_update(quote=quote, user=request.user, data=_quote_data(form, lines, estimates))
        except ValidationError as exc:
            form_errors_from(form, exc)
        except TransitionRefused as exc:
            messages.error(request, refusal_text(exc))
            return redirect("opportunities:quote-detail", pk=pk)
        except PermissionDenied as exc:
            form.add_error(None, refusal_text(exc))
        else:
            _saved_message(request, quote)
            return redirect("opportunities:quote-detail", pk=pk)
    return _quote_form_page(
        request, opportunity=quote.opportunity, quote=quote, form=form, lines=lines, estimates=estimates
    )


@login_required
def quote_detail(request, pk):
    quote = get_object_or_404(selectors.quote_list(request.user), pk=pk)
    user = request.user
    can_change = user.has_perm("opportunities.change_quote", quote)
    opportunity = quote.opportunity
    return render(
        request,
        "opportunities/quote_detail.html",
        {
            "quote": quote,
            "opportunity": opportunity,
            "lines": list(quote.lines.all()),
            "estimate_lines": list(quote.estimate_lines.all()),
            "transitions": describe_transitions(quote, user),
            "history": history(quote),
            "can_edit": can_change and quote.state == QuoteState.DRAFT and not quote.frozen,
            "can_new_version": can_change
            and opportunity.state in OPEN_OPPORTUNITY_STATES
            and opportunity.state != OpportunityState.CONTRACTING,
            "below_min_margin": quote.below_margin,
            "min_margin": margin_floor(),
        },
    )


@login_required
@require_POST
def quote_transition(request, pk, name):
    quote = get_object_or_404(selectors.quote_list(request.user), pk=pk)
    _run_transition(
        request, lambda q, **kw: services.quote_transition(quote=q, **kw), quote, name, _("Quote is now “%(state)s”.")
    )
    return redirect("opportunities:quote-detail", pk=pk)
