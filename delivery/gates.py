"""Checklist predicates of the delivery reviews in pre-sales (DTRB, DRA, DTRC, DRB), the checks
delivery adds to the sales gates (ATB needs DRA and DTRB; ATC needs DRB and DTRC), and the project
as a gate subject (requested by its PM)."""

from django.utils.translation import gettext_lazy as _

from contracts.models import ContractState
from ltc_portal.controls import registry
from ltc_portal.controls.selectors import is_approved
from ltc_portal.core.fsm import check
from opportunities.selectors import latest_quote

from .authority import has_authority
from .models import (
    DR2,
    DRA,
    DRB,
    DTRB,
    DTRC,
    OPEN_ISSUE_STATES,
    ChangeRequest,
    Defect,
    DelegationScope,
    MilestoneState,
    Project,
    ProjectState,
    Severity,
)
from .selectors import project_records, project_visible


def _projects_in(state):
    return lambda: Project.objects.filter(state=state)


@check(
    _("The project must be in analyze (pre-sales, before ATB)."),
    passed=_("Project in analyze."),
)
def in_analyze(project):
    return project.state == ProjectState.ANALYZE


@check(
    _("The project must be in plan (after ATB, before the contract)."),
    passed=_("Project in plan."),
)
def in_plan(project):
    return project.state == ProjectState.PLAN


@check(
    _("Record the technical solution."),
    passed=_("Technical solution recorded."),
)
def technical_solution(project):
    return bool(project.technical_solution.strip())


@check(
    _("Record the delivery approach."),
    passed=_("Delivery approach recorded."),
)
def delivery_approach(project):
    return bool(project.delivery_approach.strip())


@check(
    _("The opportunity needs a quote with a cost estimate (概算)."),
    passed=_("Cost estimate (概算) recorded on the quote."),
)
def cost_estimate(project):
    q = latest_quote(project.opportunity)
    return bool(q and q.estimate_lines.exists())


@check(
    _("Record the key risks."),
    passed=_("Key risks recorded."),
)
def key_risks(project):
    return bool(project.key_risks.strip())


@check(
    _("Record the final scope."),
    passed=_("Final scope recorded."),
)
def final_scope(project):
    return bool(project.final_scope.strip())


@check(
    _("Record the delivery plan draft."),
    passed=_("Delivery plan draft recorded."),
)
def delivery_plan(project):
    return bool(project.delivery_plan.strip())


@check(
    _("Assign the project manager."),
    passed=_("Project manager assigned."),
)
def pm_assigned(project):
    return project.pm_id is not None


def _reviews_approved(opp, codes) -> list[str]:
    project = getattr(opp, "project", None)
    if project is None:
        return [str(_("The opportunity has no delivery project yet (it opens when ATI is approved)."))]
    return [
        str(_("%(code)s must be approved on the delivery project.") % {"code": c})
        for c in codes
        if not is_approved(project, c)
    ]


@check(
    _("DRA and DTRB must be approved on the delivery project."),
    passed=_("DRA and DTRB approved."),
)
def dra_dtrb_approved(opp):
    return _reviews_approved(opp, (DTRB, DRA))


@check(
    _("DRB and DTRC must be approved on the delivery project."),
    passed=_("DRB and DTRC approved."),
)
def drb_dtrc_approved(opp):
    return _reviews_approved(opp, (DTRC, DRB))


# DR1, DR3, DR4 on the project ----------------------------------------------------------------------


@check(
    _("The contract must be signed and handed over (合同交底)."),
    passed=_("Contract signed and handed over."),
)
def contract_handed_over(project):
    return project.contract is not None and project.contract.state in (
        ContractState.HANDED_OVER,
        ContractState.FULFILLED,
        ContractState.CLOSED,
    )


@check(
    lambda p: (
        _("Accept or waive every milestone first: %(names)s.")
        % {"names": ", ".join(p.milestones.filter(state=MilestoneState.PLANNED).values_list("name", flat=True)[:10])}
        if p.milestones.exists()
        else _("Record the project's milestones first.")
    ),
    passed=_("Every milestone accepted or waived."),
)
def milestones_done(project):
    return project.milestones.exists() and not project.milestones.filter(state=MilestoneState.PLANNED).exists()


@check(
    _("Resolve the open critical issues first."),
    passed=_("No open critical issue."),
)
def no_open_critical_issue(project):
    return not project.issues.filter(severity=Severity.CRITICAL, state__in=OPEN_ISSUE_STATES).exists()


@check(
    _("Every quality check must have passed or have its defects closed."),
    passed=_("Quality checks passed or their defects closed."),
)
def quality_passed(project):
    return not Defect.objects.filter(quality_check__project=project, closed_at__isnull=True).exists() and not (
        project.quality_checks.filter(result="failed").exclude(defects__isnull=False).exists()
    )


@check(
    _("Record the final acceptance: date, who signed for the customer, and the document reference."),
    passed=_("Final acceptance signed."),
)
def final_acceptance(project):
    return bool(
        project.final_acceptance_date and project.final_acceptance_by.strip() and project.final_acceptance_ref.strip()
    )


@check(
    _("Record the lessons learned."),
    passed=_("Lessons learned recorded."),
)
def lessons_learned(project):
    return bool(project.lessons_learned.strip())


# DR2 on change requests ------------------------------------------------------------------------------


@check(
    _("State the impact on scope, schedule and cost, and the reason."),
    passed=_("Impacts on scope, schedule and cost stated."),
)
def impacts_stated(change):
    return bool(change.scope_impact.strip() and change.reason.strip())


def has_change_authority(change, user) -> bool:
    """The project's PM within the PM's limit, or a team member holding an active approve_change
    delegation that covers the cost impact (delivery.authority)."""
    return has_authority(
        project=change.project, user=user, scope=DelegationScope.APPROVE_CHANGE, amount=change.cost_impact
    )


def change_authority_candidates(change) -> list:
    """The project's PM and every grantee of an approve_change delegation on it (``has_change_authority``
    says which of them covers this change today)."""
    project = change.project
    people = {d.grantee_id: d.grantee for d in project.delegations.select_related("grantee")
              if d.scope == DelegationScope.APPROVE_CHANGE}  # fmt: skip
    if project.pm_id:
        people[project.pm_id] = project.pm
    return list(people.values())


def dr2_routing(definition, change, roles):
    """DR2: the PM's change authority within the PM's limit, finance above it."""
    if definition.code != DR2:
        return roles
    return ["change_authority"] if abs(change.cost_impact) <= change.project.pm_change_limit else ["finance"]


def can_request(project, user) -> bool:
    return bool(user and user.is_authenticated and project.pm_id == user.pk)


def can_request_change(change, user) -> bool:
    """The person who raised the change, or the project's PM."""
    return bool(user and user.is_authenticated and (change.created_by_id == user.pk or change.project.pm_id == user.pk))


def register():
    # the pre-sales reviews run no step: the projects in the phase they review wait at them
    for code, state in (
        (DTRB, ProjectState.ANALYZE),
        (DRA, ProjectState.ANALYZE),
        (DTRC, ProjectState.PLAN),
        (DRB, ProjectState.PLAN),
    ):
        registry.uses_gate(code, waiting=_projects_in(state))
    registry.uses_gate(DR2)
    registry.register_subject(
        "project", Project, can_request=can_request, requester=_("the project's PM"), visible=project_visible
    )
    registry.register_subject(
        "change_request",
        ChangeRequest,
        can_request=can_request_change,
        requester=_("whoever raised the change, or the project's PM"),
        visible=lambda user: project_records(user, ChangeRequest),
        prefetch=lambda: ChangeRequest.objects.select_related("project").prefetch_related("project__delegations"),
    )
    registry.register_subject_role(
        "change_authority",
        _("PM's change authority (PM or delegate)"),
        has_change_authority,
        candidates=change_authority_candidates,
    )
    registry.register_roles_rule(dr2_routing)
    for key, c in {
        "project.in_analyze": in_analyze,
        "project.in_plan": in_plan,
        "project.pm_assigned": pm_assigned,
        "project.technical_solution": technical_solution,
        "project.delivery_approach": delivery_approach,
        "project.cost_estimate": cost_estimate,
        "project.key_risks": key_risks,
        "project.final_scope": final_scope,
        "project.delivery_plan": delivery_plan,
        "delivery.dra_dtrb_approved": dra_dtrb_approved,
        "delivery.drb_dtrc_approved": drb_dtrc_approved,
        "project.contract_handed_over": contract_handed_over,
        "project.milestones_done": milestones_done,
        "project.no_open_critical_issue": no_open_critical_issue,
        "project.quality_passed": quality_passed,
        "project.final_acceptance": final_acceptance,
        "project.lessons_learned": lessons_learned,
        "change.impacts_stated": impacts_stated,
    }.items():
        registry.register_check(key, c)
