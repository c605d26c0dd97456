"""Reads of delivery projects for pages, the API and the gates: who sees which project and record,
the PM cockpit (with the panels downstream apps contribute), and the latest DR2 review per change."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import ContractState, PaymentMilestone
from ltc_portal.controls.models import GateReview
from ltc_portal.core import panels
from ltc_portal.core.fsm import describe_transitions
from ltc_portal.core.roles import Role, people, user_display, user_roles

from .authority import has_authority
from .models import (
    DR2,
    OPEN_ISSUE_STATES,
    ChangeRequest,
    ChangeState,
    Delegation,
    DelegationScope,
    MeetingAction,
    Milestone,
    Project,
    RiskState,
    TeamMember,
)
from .rules import PROJECT_READERS, authority_grantable, change_raisable, project_open, project_writable

TOP_RISKS = 5
LIST_LIMIT = 10
RECENT = 3


def project_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Project.objects.all() if qs is None else qs
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser or (user_roles(user) & PROJECT_READERS):
        return qs
    member_of = TeamMember.objects.filter(user=user).values("project_id")
    return qs.filter(Q(pm=user) | Q(opportunity__owner=user) | Q(pk__in=member_of))


def project_list(user) -> QuerySet:
    return project_visible(user).select_related("opportunity", "opportunity__customer", "pm", "contract")


def project_records(user, model, qs: QuerySet | None = None) -> QuerySet:
    """The records of ``model`` (anything with a ``project``) on the projects the user may see."""
    qs = model.objects.all() if qs is None else qs
    return qs.filter(project__in=project_visible(user)).select_related("project")


def milestone_records(user) -> QuerySet:
    """The milestones the user reads, each with ``linked_payment``: the id of the contract payment its
    acceptance makes due (or None)."""
    linked = PaymentMilestone.objects.filter(milestone=OuterRef("pk")).order_by("pk").values("pk")[:1]
    return project_records(user, Milestone).annotate(linked_payment=Subquery(linked))


def project_contract(project: Project, user):
    """The project's contract (signed), else the opportunity's live draft; None if the user may not
    read it."""
    contract = project.contract
    if contract is None:
        contract = project.opportunity.contracts.exclude(state=ContractState.TERMINATED).first()
    if contract is not None and not user.has_perm("contracts.view_contract", contract):
        return None
    return contract


def dr2_reviews(changes) -> dict:
    """The latest DR2 review of each change, in one query."""
    if not changes:
        return {}
    latest = {}
    ct = ContentType.objects.get_for_model(ChangeRequest)
    for review in GateReview.objects.filter(
        gate__code=DR2, content_type=ct, object_id__in=[c.pk for c in changes]
    ).order_by("created_at", "id"):
        latest[review.object_id] = review
    return latest


def project_cockpit(project: Project, user) -> dict:
    """What the PM watches on the project page, in a constant number of queries: budget panels
    from finance (through ``panels``), top risks, open and overdue issues, milestones, team and
    delegations, pending changes with their DR2 review, recent meetings and quality checks, and what
    the user may do (the same guards the services apply)."""
    today = timezone.localdate()
    # one read of the delegations serves the list below and every authority question (delivery.authority)
    prefetch_related_objects(
        [project], Prefetch("delegations", queryset=Delegation.objects.select_related("grantee", "revoked_by"))
    )
    writable = project_writable.allows(project, user)
    grantable = authority_grantable.allows(project, user)
    delegations = list(project.delegations.all())
    for d in delegations:
        d.is_active = d.active_on(today)
    team = list(project.team.select_related("user").order_by("role", "user__username"))
    open_issues = project.issues.filter(state__in=OPEN_ISSUE_STATES).select_related("owner").order_by("due_date", "id")
    changes = list(
        project.change_requests.filter(state=ChangeState.DRAFT)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:LIST_LIMIT]
    )
    reviews = dr2_reviews(changes)
    for c in changes:
        c.dr2 = reviews.get(c.pk)
    open_project = project_open.allows(project)
    return {
        "today": today,
        "can_write": writable,
        "can_grant": grantable,
        "can_accept": open_project
        and has_authority(project=project, user=user, scope=DelegationScope.ACCEPT_MILESTONE),
        "can_waive": open_project and user.has_perm("delivery.waive_milestone"),
        "can_raise_change": change_raisable.allows(project, user),
        "team": team,
        "delegations_active": [d for d in delegations if d.is_active],
        "delegations_past": [d for d in delegations if not d.is_active],
        "milestones": list(project.milestones.select_related("acceptance").order_by("planned_end", "id")),
        "top_risks": list(
            project.risks.exclude(state=RiskState.CLOSED)
            .select_related("owner")
            .order_by("-exposure", "id")[:TOP_RISKS]
        ),
        "risk_count": project.risks.exclude(state=RiskState.CLOSED).count(),
        "open_issues": list(open_issues[:LIST_LIMIT]),
        "open_issue_count": open_issues.count(),
        "overdue_issue_count": open_issues.filter(due_date__lt=today).count(),
        "pending_changes": changes,
        "meetings": list(
            project.meetings.prefetch_related(
                Prefetch("actions", queryset=MeetingAction.objects.select_related("owner"))
            ).order_by("-date", "-id")[:RECENT]
        ),
        "quality_checks": list(
            project.quality_checks.select_related("inspector", "milestone")
            .prefetch_related("defects")
            .order_by("-date", "-id")[:RECENT]
        ),
        "transitions": describe_transitions(project, user, names={"start_implementation"}),
        "cockpit_panels": panels.panels_for("project.cockpit", subject=project, user=user),
    }


def customer_projects_panel(customer, user) -> dict | None:
    """The customer's page: their delivery projects the user reads, newest first (one query)."""
    theirs = project_visible(user).filter(opportunity__customer=customer)
    rows = list(theirs.select_related("pm").order_by("-created_at", "-id")[: panels.RECORD_ROWS + 1])
    return panels.record_panel(
        total=theirs.count,
        id="customer-projects",
        title=_("Projects"),
        columns=[(_("Project"), False), (_("Phase"), False), (_("Project manager"), False)],
        rows=rows,
        row=lambda p: (
            p.get_absolute_url(),
            [
                panels.cell(p.name),
                panels.cell(p.get_state_display(), badge=p.state),
                panels.cell(user_display(p.pm) or "—"),
            ],
        ),
    )


def record_people(project, current=None) -> QuerySet:
    """Whom a record of the project may name (a risk or issue owner, an inspector, an action owner):
    active people who may work on projects (TEAM_MEMBER_ROLES), the project's PM and team, and whoever
    the record names now."""
    match = Q(groups__name__in=list(settings.TEAM_MEMBER_ROLES))
    if project is not None:
        match |= Q(pk=project.pm_id) | Q(pk__in=project.team.values("user_id"))
    if current is not None:
        match |= Q(pk=current)
    return people().filter(match).distinct()


def team_role_refusal() -> str:
    """Why someone cannot join a project team: the roles TEAM_MEMBER_ROLES lets in, in words."""
    allowed = set(settings.TEAM_MEMBER_ROLES)
    names = ", ".join(str(label) for value, label in Role.choices if value in allowed)
    return _("Only people with one of these roles join a project team: %(roles)s.") % {"roles": names}
