"""Browser pages for delivery projects: "my projects", the project page (six-phase strip, pre-sales
record, budgets, the gate strip, history) with the PM's cockpit (team, delegations, milestones,
budget vs estimate, risks, issues, changes, meetings, quality, next steps), its edit form and the
pages of the delivery records. Thin: forms validate, services write."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from contracts.models import ContractState
from finance import services as finance_services
from ltc_portal.controls.models import GateReview
from ltc_portal.controls.services import gates_for, latest_review
from ltc_portal.core.forms import TransitionForm
from ltc_portal.core.fsm import TransitionRefused, UnknownTransition, describe_transitions, history
from ltc_portal.core.pages import form_errors_from, refusal_text
from opportunities.models import OpportunityState

from . import selectors, services
from . import services_registers as registers
from .forms import (
    AcceptanceForm,
    ActionFormSet,
    ChangeRequestForm,
    DefectFormSet,
    DelegationForm,
    IssueForm,
    MeetingForm,
    MilestoneForm,
    ProjectForm,
    QualityCheckForm,
    RiskForm,
    TeamMemberForm,
)
from .models import (
    OPEN_ISSUE_STATES,
    PHASES,
    ChangeRequest,
    ChangeState,
    Defect,
    Delegation,
    DelegationScope,
    Meeting,
    MeetingAction,
    Milestone,
    Project,
    ProjectIssue,
    ProjectState,
    QualityCheck,
    Risk,
    RiskState,
    TeamMember,
)

PAGE_SIZE = 25
FINISHED = (ProjectState.CLOSED, ProjectState.CANCELLED)


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
    project = _project_for(user, pk, Project.objects.select_related(
        "opportunity__owner", "opportunity__customer", "pm", "contract__quote"))
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
        **cockpit(project, user),
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
            form_errors_from(form, exc)
        except (PermissionDenied, TransitionRefused) as exc:
            form.add_error(None, getattr(exc, "detail", None) or str(exc) or _("You are not allowed to do this."))
        else:
            messages.success(request, _("Project saved."))
            return redirect(project)
    return render(request, "delivery/project_form.html", {"form": form, "project": project, "title": title})


# The PM cockpit ------------------------------------------------------------------------------------

TOP_RISKS = 5
LIST_LIMIT = 10
RECENT = 3


def _visible_projects(user):
    """The projects the user reads (team members included: a delegate acts on them)."""
    return selectors.project_visible(user)


def _project_for(user, pk, qs=None):
    qs = Project.objects.all() if qs is None else qs
    return get_object_or_404(qs.filter(pk__in=_visible_projects(user).values("pk")), pk=pk)


def _may_accept(project, user) -> bool:
    try:
        services.authority_check(project=project, user=user, scope=DelegationScope.ACCEPT_MILESTONE)
    except PermissionDenied:
        return False
    return True


def _dr2_reviews(changes) -> dict:
    """The latest DR2 review of each change, in one query (what controls.latest_review gives one by one)."""
    if not changes:
        return {}
    latest = {}
    for review in (GateReview.objects.filter(gate__code="DR2", content_type=ContentType.objects.get_for_model(ChangeRequest),
                                             object_id__in=[c.pk for c in changes]).order_by("created_at", "id")):
        latest[review.object_id] = review
    return latest


def _budget_vs_estimate(project, contract) -> dict:
    budget = finance_services.budget_current(project)
    quote = getattr(contract, "quote", None) if contract is not None else None
    estimate = quote.cost if quote is not None else None
    row = {"budget": budget, "estimate": estimate, "variance": None, "percent": None}
    if budget is not None and estimate is not None:
        row["variance"] = budget.total - estimate
        if estimate:
            row["percent"] = (row["variance"] * 100 / estimate).quantize(Decimal("0.1"))
    return row


def cockpit(project, user) -> dict:
    """What the PM watches on the project page, in a constant number of queries."""
    today = timezone.localdate()
    writer = user.has_perm("delivery.change_project", project) and project.state not in FINISHED
    grants = project.pm_id == user.pk or user.has_perm("delivery.assign_pm", project)
    delegations = list(project.delegations.select_related("grantee", "revoked_by"))
    for d in delegations:
        d.is_active = d.active_on(today)
    open_issues = (project.issues.filter(state__in=OPEN_ISSUE_STATES).select_related("owner")
                   .order_by("due_date", "id"))
    changes = list(project.change_requests.filter(state=ChangeState.DRAFT).select_related("created_by")
                   .order_by("-created_at", "-id")[:LIST_LIMIT])
    reviews = _dr2_reviews(changes)
    for c in changes:
        c.dr2 = reviews.get(c.pk)
    return {
        "today": today,
        "can_write": writer,
        "can_grant": grants and project.state not in FINISHED,
        "can_accept": project.state not in FINISHED and _may_accept(project, user),
        "can_waive": user.has_perm("delivery.waive_milestone") and project.state not in FINISHED,
        "can_raise_change": project.state in (ProjectState.BUILD, ProjectState.IMPLEMENT, ProjectState.HANDOVER) and (
            writer or any(m.user_id == user.pk for m in project.team.all())),
        "team": list(project.team.select_related("user").order_by("role", "user__username")),
        "delegations_active": [d for d in delegations if d.is_active],
        "delegations_past": [d for d in delegations if not d.is_active],
        "milestones": list(project.milestones.select_related("acceptance").order_by("planned_end", "id")),
        "budget_row": _budget_vs_estimate(project, project.contract),
        "top_risks": list(project.risks.exclude(state=RiskState.CLOSED).select_related("owner")
                          .order_by("-exposure", "id")[:TOP_RISKS]),
        "risk_count": project.risks.exclude(state=RiskState.CLOSED).count(),
        "open_issues": list(open_issues[:LIST_LIMIT]),
        "open_issue_count": open_issues.count(),
        "overdue_issue_count": open_issues.filter(due_date__lt=today).count(),
        "pending_changes": changes,
        "meetings": list(project.meetings.prefetch_related(
            Prefetch("actions", queryset=MeetingAction.objects.select_related("owner")))
            .order_by("-date", "-id")[:RECENT]),
        "quality_checks": list(project.quality_checks.select_related("inspector", "milestone")
                               .prefetch_related("defects").order_by("-date", "-id")[:RECENT]),
        "transitions": [t for t in describe_transitions(project, user) if t.name == "start_implementation"],
        "member_form": TeamMemberForm(project=project, prefix="member") if writer else None,
        "delegation_form": DelegationForm(project=project, prefix="delegation") if grants else None,
    }


@login_required
@require_POST
def project_transition(request, pk, name):
    project = _project_for(request.user, pk)
    reason_form = TransitionForm(request.POST)
    reason = reason_form.cleaned_data["reason"] if reason_form.is_valid() else ""
    try:
        project = services.project_transition(project, name, user=request.user, reason=reason)
    except (ValidationError, TransitionRefused, UnknownTransition, PermissionDenied) as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, _("The project is now “%(state)s”.") % {"state": project.get_state_display()})
    return redirect("delivery:project-detail", pk=pk)


# The records: one description per kind, one create view, one edit view --------------------------

def _writer(user, project):
    return user.has_perm("delivery.change_project", project) and project.state not in FINISHED


def _granter(user, project):
    return (project.pm_id == user.pk or user.has_perm("delivery.assign_pm", project)) and project.state not in FINISHED


def _raiser(user, project):
    return user.has_perm("delivery.change_project", project) or project.team.filter(user=user).exists()


RECORDS = {
    "member": {"model": TeamMember, "form": TeamMemberForm, "title": _lazy("Add a team member"),
               "may": _writer, "create": services.team_member_add, "done": _lazy("Team member added.")},
    "delegation": {"model": Delegation, "form": DelegationForm, "title": _lazy("Grant authority"),
                   "may": _granter, "create": services.delegation_grant, "done": _lazy("Authority granted.")},
    "milestone": {"model": Milestone, "form": MilestoneForm, "title": _lazy("Milestone"), "may": _writer,
                  "create": services.milestone_create, "done": _lazy("Milestone saved."),
                  "update": lambda rec, user, data: services.milestone_update(milestone=rec, user=user, data=data)},
    "risk": {"model": Risk, "form": RiskForm, "title": _lazy("Risk"), "may": _writer,
             "create": registers.risk_create, "done": _lazy("Risk saved."),
             "update": lambda rec, user, data: registers.risk_update(risk=rec, user=user, data=data),
             "step": registers.risk_transition},
    "issue": {"model": ProjectIssue, "form": IssueForm, "title": _lazy("Issue"), "may": _writer,
              "create": registers.issue_create, "done": _lazy("Issue saved."),
              "update": lambda rec, user, data: registers.issue_update(issue=rec, user=user, data=data),
              "step": registers.issue_transition},
    "change": {"model": ChangeRequest, "form": ChangeRequestForm, "title": _lazy("Change request"),
               "may": _raiser, "create": services.change_request_create, "done": _lazy("Change request saved."),
               "update": lambda rec, user, data: services.change_request_update(change=rec, user=user, data=data),
               "step": services.change_request_transition},
    "quality": {"model": QualityCheck, "form": QualityCheckForm, "title": _lazy("Record a quality check"),
                "may": _writer, "create": registers.quality_check_create, "done": _lazy("Quality check recorded."),
                "rows": ("defects", DefectFormSet, _lazy("Defects found"))},
    "meeting": {"model": Meeting, "form": MeetingForm, "title": _lazy("Record a meeting"), "may": _writer,
                "create": registers.meeting_create, "done": _lazy("Meeting recorded."),
                "rows": ("actions", ActionFormSet, _lazy("Actions"))},
}


def _record_page(request, project, spec, form, formset, record=None, extra=None):
    context = {"project": project, "form": form, "formset": formset, "title": spec["title"], "record": record,
               "rows_label": spec["rows"][2] if "rows" in spec else ""}
    context.update(extra or {})
    return render(request, "delivery/record_form.html", context)


def _save(request, spec, form, formset, write):
    """Validate, call the service, and turn its refusals into form errors. The record or None."""
    if request.method != "POST" or not form.is_valid() or (formset is not None and not formset.is_valid()):
        return None
    data = form.service_data()
    if formset is not None:
        data[spec["rows"][0]] = formset.rows()
    try:
        return write(data)
    except ValidationError as exc:
        form_errors_from(form, exc)
    except (PermissionDenied, TransitionRefused) as exc:
        form.add_error(None, refusal_text(exc))
    return None


@login_required
def record_create(request, pk, kind):
    spec = RECORDS.get(kind) or _not_found()
    user = request.user
    project = _project_for(user, pk)
    if not spec["may"](user, project):
        raise PermissionDenied(_("You may not add this record to this project."))
    form = spec["form"](request.POST or None, project=project, prefix=kind if kind in ("member", "delegation") else None)
    formset = spec["rows"][1](request.POST or None, prefix=spec["rows"][0]) if "rows" in spec else None
    record = _save(request, spec, form, formset,
                   lambda data: spec["create"](project=project, user=user, data=data))
    if record is not None:
        messages.success(request, str(spec["done"]))
        if kind == "change":
            return redirect("delivery:change-detail", pk=record.pk)
        return redirect(project)
    if request.method == "POST" and kind in ("member", "delegation"):
        messages.error(request, _("Please correct the errors below."))
    return _record_page(request, project, spec, form, formset)


def _not_found():
    raise Http404


def _record_for(user, kind, rid):
    spec = RECORDS.get(kind) or _not_found()
    qs = spec["model"].objects.filter(project__in=_visible_projects(user)).select_related("project")
    return spec, get_object_or_404(qs, pk=rid)


@login_required
def record_edit(request, pk, kind):
    user = request.user
    spec, record = _record_for(user, kind, pk)
    if "update" not in spec:
        raise Http404
    project = record.project
    if not (user.has_perm(f"delivery.change_{spec['model']._meta.model_name}", record)
            or (kind == "change" and record.created_by_id == user.pk)):
        raise PermissionDenied(_("Only the project's PM or the PMO change its records."))
    form = spec["form"](request.POST or None, instance=record, project=project)
    saved = _save(request, spec, form, None, lambda data: spec["update"](record, user, data))
    if saved is not None:
        messages.success(request, str(spec["done"]))
        return redirect("delivery:change-detail", pk=saved.pk) if kind == "change" else redirect(project)
    record.refresh_from_db()  # the form wrote its input onto the instance while validating
    extra = {"transitions": describe_transitions(record, user) if "step" in spec else [],
             "step_url": f"delivery:{kind}-transition", "history": history(record), "kind": kind}
    return _record_page(request, project, spec, form, None, record=record, extra=extra)


@login_required
@require_POST
def record_transition(request, pk, name, kind):
    """A step of a risk, an issue, a change or a milestone (accept with its certificate, waive)."""
    user = request.user
    spec, record = _record_for(user, kind, pk)
    reason = (request.POST.get("reason") or "").strip()
    kwargs = {}
    if kind == "issue" and name == "resolve":
        kwargs["resolution"] = request.POST.get("resolution") or None
    if kind == "milestone" and name == "accept":
        accept = AcceptanceForm(request.POST)
        if not accept.is_valid():
            messages.error(request, _("The acceptance needs who signed it, its date and its document reference."))
            return redirect(record.project)
        kwargs = accept.cleaned_data
    step = spec.get("step") or (services.milestone_transition if kind == "milestone" else _not_found())
    try:
        record = step(record, name, user=user, reason=reason, **kwargs)
    except (ValidationError, TransitionRefused, UnknownTransition, PermissionDenied) as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, _("“%(record)s” is now “%(state)s”.") % {"record": record,
                                                                          "state": record.get_state_display()})
    if kind == "change":
        return redirect("delivery:change-detail", pk=record.pk)
    if kind in ("risk", "issue") and request.POST.get("next") == "edit":
        return redirect(f"delivery:{kind}-edit", pk=record.pk)
    return redirect(record.project)


SMALL_STEPS = {
    "delegation": (Delegation.objects.all(), "project", lambda rec: rec.project_id,
                   lambda rec, user: services.delegation_revoke(delegation=rec, user=user), _lazy("Authority revoked.")),
    "defect": (Defect.objects.select_related("quality_check"), "quality_check__project",
               lambda rec: rec.quality_check.project_id,
               lambda rec, user: registers.defect_close(defect=rec, user=user), _lazy("Defect closed.")),
    "action": (MeetingAction.objects.select_related("meeting"), "meeting__project", lambda rec: rec.meeting.project_id,
               lambda rec, user: registers.meeting_action_done(action=rec, user=user), _lazy("Action done.")),
}


@login_required
@require_POST
def record_step(request, pk, kind):
    """Revoke a delegation, close a defect, mark a meeting action done."""
    qs, path, project_of, run, done = SMALL_STEPS[kind]
    record = get_object_or_404(qs.filter(**{f"{path}__in": _visible_projects(request.user)}), pk=pk)
    try:
        run(record, request.user)
    except (ValidationError, TransitionRefused, PermissionDenied) as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, str(done))
    return redirect("delivery:project-detail", pk=project_of(record))


@login_required
def change_detail(request, pk):
    user = request.user
    _spec, change = _record_for(user, "change", pk)
    change = ChangeRequest.objects.select_related("project", "created_by").get(pk=change.pk)
    editable = change.state == ChangeState.DRAFT and (change.created_by_id == user.pk
                                                     or user.has_perm("delivery.change_project", change.project))
    return render(request, "delivery/change_detail.html", {
        "change": change, "project": change.project, "gates": gates_for(change, user),
        "dr2": latest_review(change, "DR2"), "transitions": describe_transitions(change, user),
        "history": history(change), "can_edit": editable})
