"""Browser pages for delivery projects: "my projects", the project page (six-phase strip, pre-sales
record, budgets, the gate strip, history) with the PM's cockpit (team, delegations, milestones,
budget vs estimate, risks, issues, changes, meetings, quality, next steps), its edit form and the
pages of the delivery records. Thin: forms validate, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from ltc_portal.controls.selectors import gates_for, latest_review
from ltc_portal.core import panels
from ltc_portal.core.forms import TransitionForm
from ltc_portal.core.fsm import TransitionRefused, UnknownTransition, describe_transitions, history
from ltc_portal.core.pages import form_errors_from, refusal_text
from opportunities.models import OpportunityState

from . import selectors, services
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
    DR2,
    PHASES,
    ChangeRequest,
    ChangeState,
    Defect,
    Delegation,
    Meeting,
    MeetingAction,
    Milestone,
    Project,
    ProjectIssue,
    QualityCheck,
    Risk,
    TeamMember,
)
from .rules import authority_grantable, change_raisable, project_open, project_writable

PAGE_SIZE = 25


def phase_strip(project) -> list[dict]:
    """The six phases with the current one and the ones behind it marked (none current once cancelled)."""
    current = PHASES.index(project.state) if project.state in PHASES else -1
    return [
        {"code": p.value, "label": str(p.label), "current": i == current, "done": i < current}
        for i, p in enumerate(PHASES)
    ]


@login_required
def project_list(request):
    user = request.user
    qs = (
        selectors.project_list(user)
        .annotate(mine=Case(When(pm=user, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("mine", "-created_at", "-pk")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "delivery/project_list.html", {"page": page})


@login_required
def project_detail(request, pk):
    user = request.user
    project = _project_for(
        user, pk, Project.objects.select_related("opportunity__owner", "opportunity__customer", "pm", "contract__quote")
    )
    opportunity = project.opportunity
    contract = selectors.project_contract(project, user)
    cockpit = selectors.project_cockpit(project, user)
    writable = cockpit["can_write"]
    return render(
        request,
        "delivery/project_detail.html",
        {
            "project": project,
            "opportunity": opportunity,
            "contract": contract,
            "phases": phase_strip(project),
            "can_edit": writable,
            "can_draft_contract": (
                contract is None
                and opportunity.state == OpportunityState.CONTRACTING
                and user.has_perm("contracts.add_contract")
                and user.has_perm("opportunities.change_opportunity", opportunity)
            ),
            "gates": gates_for(project, user),
            "history": history(project),
            "side_panels": panels.panels_for("project.side", subject=project, user=user),
            **cockpit,
            "member_form": TeamMemberForm(project=project, prefix="member") if writable else None,
            "delegation_form": DelegationForm(project=project, prefix="delegation") if cockpit["can_grant"] else None,
        },
    )


@login_required
def project_edit(request, pk):
    user = request.user
    project = get_object_or_404(selectors.project_list(user), pk=pk)
    refusal = project_writable.refusal(project, user)
    if isinstance(refusal, PermissionDenied):
        raise refusal
    if refusal is not None:
        messages.error(request, refusal_text(refusal))
        return redirect(project)
    title = project.name  # the form writes its input onto the instance while validating
    form = ProjectForm(
        request.POST or None, instance=project, can_assign_pm=user.has_perm("delivery.assign_pm", project)
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields}
        try:
            project = services.project_update(project=project, user=user, data=data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        except (PermissionDenied, TransitionRefused) as exc:
            form.add_error(None, refusal_text(exc))
        else:
            messages.success(request, _("Project saved."))
            return redirect(project)
    return render(request, "delivery/project_form.html", {"form": form, "project": project, "title": title})


def _visible_projects(user):
    """The projects the user reads (team members included: a delegate acts on them)."""
    return selectors.project_visible(user)


def _project_for(user, pk, qs=None):
    qs = Project.objects.all() if qs is None else qs
    return get_object_or_404(qs.filter(pk__in=_visible_projects(user).values("pk")), pk=pk)


@login_required
@require_POST
def project_transition(request, pk, name):
    project = _project_for(request.user, pk)
    reason_form = TransitionForm(request.POST)
    reason = reason_form.cleaned_data["reason"] if reason_form.is_valid() else ""
    try:
        project = services.project_transition(project=project, name=name, user=request.user, reason=reason)
    except (ValidationError, TransitionRefused, UnknownTransition, PermissionDenied) as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, _("The project is now “%(state)s”.") % {"state": project.get_state_display()})
    return redirect("delivery:project-detail", pk=pk)


# The records: one description per kind, one create view, one edit view --------------------------

RECORDS = {
    "member": {
        "model": TeamMember,
        "form": TeamMemberForm,
        "title": _lazy("Add a team member"),
        "guard": project_writable,
        "create": services.team_member_add,
        "done": _lazy("Team member added."),
    },
    "delegation": {
        "model": Delegation,
        "form": DelegationForm,
        "title": _lazy("Grant authority"),
        "guard": authority_grantable,
        "create": services.delegation_grant,
        "done": _lazy("Authority granted."),
    },
    "milestone": {
        "model": Milestone,
        "form": MilestoneForm,
        "title": _lazy("Milestone"),
        "guard": project_writable,
        "create": services.milestone_create,
        "done": _lazy("Milestone saved."),
        "update": lambda rec, user, data: services.milestone_update(milestone=rec, user=user, data=data),
        "step": lambda rec, **kw: services.milestone_transition(milestone=rec, **kw),
    },
    "risk": {
        "model": Risk,
        "form": RiskForm,
        "title": _lazy("Risk"),
        "guard": project_writable,
        "create": services.risk_create,
        "done": _lazy("Risk saved."),
        "update": lambda rec, user, data: services.risk_update(risk=rec, user=user, data=data),
        "step": lambda rec, **kw: services.risk_transition(risk=rec, **kw),
    },
    "issue": {
        "model": ProjectIssue,
        "form": IssueForm,
        "title": _lazy("Issue"),
        "guard": project_writable,
        "create": services.issue_create,
        "done": _lazy("Issue saved."),
        "update": lambda rec, user, data: services.issue_update(issue=rec, user=user, data=data),
        "step": lambda rec, **kw: services.issue_transition(issue=rec, **kw),
    },
    "change": {
        "model": ChangeRequest,
        "form": ChangeRequestForm,
        "title": _lazy("Change request"),
        "guard": change_raisable,
        "create": services.change_request_create,
        "done": _lazy("Change request saved."),
        "update": lambda rec, user, data: services.change_request_update(change=rec, user=user, data=data),
        "step": lambda rec, **kw: services.change_request_transition(change=rec, **kw),
    },
    "quality": {
        "model": QualityCheck,
        "form": QualityCheckForm,
        "title": _lazy("Record a quality check"),
        "guard": project_writable,
        "create": services.quality_check_create,
        "done": _lazy("Quality check recorded."),
        "rows": ("defects", DefectFormSet, _lazy("Defects found")),
    },
    "meeting": {
        "model": Meeting,
        "form": MeetingForm,
        "title": _lazy("Record a meeting"),
        "guard": project_writable,
        "create": services.meeting_create,
        "done": _lazy("Meeting recorded."),
        "rows": ("actions", ActionFormSet, _lazy("Actions")),
    },
}


def _record_page(request, project, spec, form, formset, record=None, extra=None):
    context = {
        "project": project,
        "form": form,
        "formset": formset,
        "title": spec["title"],
        "record": record,
        "rows_label": spec["rows"][2] if "rows" in spec else "",
    }
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
    refusal = spec["guard"].refusal(project, user)
    if isinstance(refusal, PermissionDenied):
        raise refusal
    if refusal is not None:  # the project is finished: the same words the API answers with
        messages.error(request, refusal_text(refusal))
        return redirect(project)
    form = spec["form"](
        request.POST or None, project=project, prefix=kind if kind in ("member", "delegation") else None
    )
    formset = spec["rows"][1](request.POST or None, prefix=spec["rows"][0]) if "rows" in spec else None
    record = _save(request, spec, form, formset, lambda data: spec["create"](project=project, user=user, data=data))
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
    editor = user.has_perm(f"delivery.change_{spec['model']._meta.model_name}", record) or (
        kind == "change" and record.created_by_id == user.pk
    )
    # the owner of an issue works it (its steps) on this page without editing it
    worker = kind == "issue" and user.has_perm("delivery.work_projectissue", record)
    if not (editor or worker):
        raise PermissionDenied(_("Only the project's PM or the PMO change its records."))
    read_only = not editor or not project_open.allows(project)
    if request.method == "POST" and read_only:
        refusal = project_open.refusal(project) or PermissionDenied(
            _("Only the project's PM or the PMO change its records.")
        )
        messages.error(request, refusal_text(refusal))
        return redirect(project)
    form = spec["form"](request.POST or None, instance=record, project=project)
    if read_only:
        for field in form.fields.values():
            field.disabled = True
    saved = _save(request, spec, form, None, lambda data: spec["update"](record, user, data))
    if saved is not None:
        messages.success(request, str(spec["done"]))
        return redirect("delivery:change-detail", pk=saved.pk) if kind == "change" else redirect(project)
    record.refresh_from_db()  # the form wrote its input onto the instance while validating
    extra = {
        "transitions": describe_transitions(record, user) if "step" in spec else [],
        "step_url": f"delivery:{kind}-transition",
        "history": history(record),
        "kind": kind,
        "read_only": read_only,
    }
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
    step = spec.get("step") or _not_found()
    try:
        record = step(record, name=name, user=user, reason=reason, **kwargs)
    except (ValidationError, TransitionRefused, UnknownTransition, PermissionDenied) as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(
            request, _("“%(record)s” is now “%(state)s”.") % {"record": record, "state": record.get_state_display()}
        )
    if kind == "change":
        return redirect("delivery:change-detail", pk=record.pk)
    if kind in ("risk", "issue") and request.POST.get("next") == "edit":
        return redirect(f"delivery:{kind}-edit", pk=record.pk)
    return redirect(record.project)


SMALL_STEPS = {
    "delegation": (
        Delegation.objects.all(),
        "project",
        lambda rec: rec.project_id,
        lambda rec, user: services.delegation_revoke(delegation=rec, user=user),
        _lazy("Authority revoked."),
    ),
    "defect": (
        Defect.objects.select_related("quality_check"),
        "quality_check__project",
        lambda rec: rec.quality_check.project_id,
        lambda rec, user: services.defect_close(defect=rec, user=user),
        _lazy("Defect closed."),
    ),
    "action": (
        MeetingAction.objects.select_related("meeting"),
        "meeting__project",
        lambda rec: rec.meeting.project_id,
        lambda rec, user: services.meeting_action_done(action=rec, user=user),
        _lazy("Action done."),
    ),
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
    editable = (
        change.state == ChangeState.DRAFT
        and project_open.allows(change.project)
        and (change.created_by_id == user.pk or user.has_perm("delivery.change_project", change.project))
    )
    return render(
        request,
        "delivery/change_detail.html",
        {
            "change": change,
            "project": change.project,
            "gates": gates_for(change, user),
            "dr2": latest_review(change, DR2),
            "transitions": describe_transitions(change, user),
            "history": history(change),
            "can_edit": editable,
        },
    )
