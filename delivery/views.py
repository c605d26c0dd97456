"""Browser pages for delivery projects in pre-sales: "my projects", the project page (six-phase
strip, pre-sales record, budgets, the DTRB/DRA/DTRC/DRB gate strip, history) and its edit form.
Thin: forms validate, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from contracts.models import ContractState
from ltc_portal.controls.services import gates_for
from ltc_portal.core.fsm import TransitionRefused, history
from opportunities.models import OpportunityState

from . import selectors, services
from .forms import ProjectForm
from .models import PHASES, ProjectState

PAGE_SIZE = 25
FINISHED = (ProjectState.CLOSED, ProjectState.CANCELLED)


def _form_errors_from(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def phase_strip(project) -> list[dict]:
    """The six phases with the current one and the ones behind it marked (none current once cancelled)."""
    current = PHASES.index(project.state) if project.state in PHASES else -1
    return [{"code": p.value, "label": str(p.label), "current": i == current, "done": i < current}
            for i, p in enumerate(PHASES)]


@login_required
def project_list(request):
    user = request.user
    qs = (selectors.project_list(user)
          .annotate(mine=Case(When(pm=user, then=Value(0)), default=Value(1), output_field=IntegerField()))
          .order_by("mine", "-created_at", "-pk"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "delivery/project_list.html", {"page": page})


def _contract_of(project, user):
    contract = project.contract
    if contract is None:
        contract = project.opportunity.contracts.exclude(state=ContractState.TERMINATED).first()
    if contract is not None and not user.has_perm("contracts.view_contract", contract):
        return None
    return contract


@login_required
def project_detail(request, pk):
    user = request.user
    project = get_object_or_404(selectors.project_list(user).select_related("opportunity__owner"), pk=pk)
    opportunity = project.opportunity
    contract = _contract_of(project, user)
    budgets = list(project.budgets.order_by("-version"))
    can_change = user.has_perm("delivery.change_project", project) and project.state not in FINISHED
    return render(request, "delivery/project_detail.html", {
        "project": project, "opportunity": opportunity, "contract": contract,
        "phases": phase_strip(project), "budgets": budgets,
        "can_edit": can_change,
        "can_add_budget": can_change and not any(b.state == "draft" for b in budgets),
        "can_draft_contract": (contract is None and opportunity.state == OpportunityState.CONTRACTING
                               and user.has_perm("contracts.add_contract")
                               and user.has_perm("opportunities.change_opportunity", opportunity)),
        "gates": gates_for(project, user),
        "history": history(project),
    })


@login_required
def project_edit(request, pk):
    user = request.user
    project = get_object_or_404(selectors.project_list(user), pk=pk)
    if not user.has_perm("delivery.change_project", project):
        raise PermissionDenied(_("Only the project's PM or the PMO change this project."))
    if project.state in FINISHED:
        messages.error(request, _("This project is %(state)s.") % {"state": project.get_state_display()})
        return redirect(project)
    title = project.name  # the form writes its input onto the instance while validating
    form = ProjectForm(request.POST or None, instance=project, can_assign_pm=user.has_perm("delivery.assign_pm", project))
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields}
        try:
            project = services.project_update(project=project, user=user, data=data)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        except (PermissionDenied, TransitionRefused) as exc:
            form.add_error(None, getattr(exc, "detail", None) or str(exc) or _("You are not allowed to do this."))
        else:
            messages.success(request, _("Project saved."))
            return redirect(project)
    return render(request, "delivery/project_form.html", {"form": form, "project": project, "title": title})
