"""Browser pages for budgets (预算): draft a version for a project, edit it while it is a draft, and
its page with lines, total, submit and history. Thin: forms validate, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from delivery.selectors import project_list
from ltc_portal.core.forms import TransitionForm
from ltc_portal.core.fsm import TransitionRefused, UnknownTransition, describe_transitions, history
from ltc_portal.core.pages import form_errors_from, refusal_text

from . import selectors, services
from .forms import BudgetForm, BudgetLineFormSet, line_initial
from .models import BudgetState

LINE_PREFIX = "lines"


def _not_editable(budget) -> str:
    return _("Budget version %(v)s is %(state)s and is never edited: make a new version.") % {
        "v": budget.version,
        "state": budget.get_state_display(),
    }


@login_required
def budget_create(request):
    raw = request.GET.get("project", "")
    if not raw.isdigit():
        raise Http404(_("Choose the project the budget is for."))
    project = get_object_or_404(project_list(request.user), pk=int(raw))
    if not request.user.has_perm("delivery.change_project", project):
        raise PermissionDenied(_("Only the project's PM or the PMO draft its budget."))
    draft = project.budgets.filter(state=BudgetState.DRAFT).first()
    if draft is not None:
        messages.info(
            request,
            _("The project already has a draft budget (version %(v)s): change or submit it.") % {"v": draft.version},
        )
        return redirect("finance:budget-edit", pk=draft.pk)
    latest = project.budgets.order_by("-version").prefetch_related("lines").first()
    form = BudgetForm(request.POST or None)
    # a new version starts from the latest one's lines
    formset = BudgetLineFormSet(
        request.POST or None, prefix=LINE_PREFIX, initial=line_initial(latest.lines.all()) if latest else None
    )
    if request.method == "POST":
        valid = form.is_valid()
        if formset.is_valid() and valid:
            try:
                budget = services.budget_create(
                    project=project,
                    user=request.user,
                    data={"note": form.cleaned_data["note"], "lines": formset.lines()},
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            except (TransitionRefused, PermissionDenied) as exc:
                form.add_error(None, refusal_text(exc))
            else:
                messages.success(request, _("Budget version %(v)s drafted.") % {"v": budget.version})
                return redirect("finance:budget-detail", pk=budget.pk)
    return render(
        request,
        "finance/budget_form.html",
        {
            "form": form,
            "formset": formset,
            "project": project,
            "currency": project.currency,
            "creating": True,
            "based_on": latest,
        },
    )


@login_required
def budget_edit(request, pk):
    budget = get_object_or_404(selectors.budget_list(request.user), pk=pk)
    if not request.user.has_perm("finance.change_budget", budget):
        raise PermissionDenied(_("Only the project's PM or the PMO change its budget."))
    if budget.state != BudgetState.DRAFT:
        messages.error(request, _not_editable(budget))
        return redirect("finance:budget-detail", pk=budget.pk)
    form = BudgetForm(request.POST or None, initial={"note": budget.note})
    formset = BudgetLineFormSet(request.POST or None, prefix=LINE_PREFIX, initial=line_initial(budget.lines.all()))
    if request.method == "POST":
        valid = form.is_valid()
        if formset.is_valid() and valid:
            try:
                services.budget_update(
                    budget=budget, user=request.user, data={"note": form.cleaned_data["note"], "lines": formset.lines()}
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            except (TransitionRefused, PermissionDenied) as exc:
                messages.error(request, refusal_text(exc))
                return redirect("finance:budget-detail", pk=budget.pk)
            else:
                messages.success(request, _("Budget saved."))
                return redirect("finance:budget-detail", pk=budget.pk)
    return render(
        request,
        "finance/budget_form.html",
        {
            "form": form,
            "formset": formset,
            "project": budget.project,
            "currency": budget.currency,
            "budget": budget,
            "creating": False,
        },
    )


@login_required
def budget_detail(request, pk):
    budget = get_object_or_404(selectors.budget_list(request.user), pk=pk)
    return render(
        request,
        "finance/budget_detail.html",
        {
            "budget": budget,
            "project": budget.project,
            "lines": list(budget.lines.all()),
            "transitions": describe_transitions(budget, request.user),
            "history": history(budget),
            "can_edit": budget.state == BudgetState.DRAFT and request.user.has_perm("finance.change_budget", budget),
        },
    )


@login_required
@require_POST
def budget_transition(request, pk, name):
    budget = get_object_or_404(selectors.budget_list(request.user), pk=pk)
    form = TransitionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        budget = services.budget_transition(budget=budget, name=name, user=request.user, reason=reason)
    except (TransitionRefused, UnknownTransition, PermissionDenied, ValidationError) as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(
            request,
            _("Budget version %(v)s is now “%(state)s”.") % {"v": budget.version, "state": budget.get_state_display()},
        )
    return redirect("finance:budget-detail", pk=pk)
