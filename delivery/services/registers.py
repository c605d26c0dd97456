"""Every write on the project's registers (DOMAIN.md §6): risks, issues (ITR), quality checks with
the defects they found, and meetings with the actions they gave.

Who: whoever reads the project reads its registers; its PM and the PMO write them, and the owner of
an issue works it (delivery/rules.py); nothing is added or changed once the project is closed or
cancelled (``rules.project_writable``). State changes run through ``run_transition`` (locked,
checked, logged), never by setting ``state``.
Quality checks and meetings are records of what happened: they are not edited after creation (a new
check corrects an old one); only their defects are closed and their actions marked done.
"""

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ltc_portal.core.fsm import (
    TransitionRefused,
    lock,
    log_change,
    log_created,
    log_created_many,
    log_step,
    run_transition,
)
from ltc_portal.core.services import assign_fields

from ..models import (
    Defect,
    IssueSource,
    IssueState,
    Meeting,
    MeetingAction,
    Project,
    ProjectIssue,
    QualityCheck,
    Risk,
    RiskState,
)
from ..rules import issue_workable, project_writable
from ..selectors import record_people

RISK_FIELDS = ("category", "description", "probability", "impact", "owner", "response", "plan", "trigger")
ISSUE_FIELDS = ("title", "description", "source", "severity", "owner", "due_date", "resolution", "risk")
RAISED_ISSUE_FIELDS = ("title", "description", "severity", "owner", "due_date")
QUALITY_CHECK_FIELDS = ("milestone", "subject", "date", "result", "inspector", "notes")
DEFECT_FIELDS = ("description", "severity", "rework")
MEETING_FIELDS = ("date", "kind", "attendees", "decisions")
ACTION_FIELDS = ("description", "owner", "due_date")


# Shared checks ----------------------------------------------------------------------------------


def _writable(project: Project, user: User) -> Project:
    project_writable.require(project, user)
    return project


def _check_people(data: dict, *fields: str, project: Project, record=None):
    """People named on a record (owner, inspector) must be active and may work on projects
    (TEAM_MEMBER_ROLES) or be on the project's team (``record_people``, what the pages' pickers
    offer); whoever the record names now stays allowed. One query, whatever the number of fields."""
    errors, named = {}, {}
    for f in fields:
        if f not in data:
            continue
        person = data[f]
        if person is None or not person.is_active:
            errors[f] = [_("Choose an active user.")]
        else:
            named[f] = person
    if named:
        allowed = set(record_people(project).filter(pk__in={p.pk for p in named.values()}).values_list("pk", flat=True))
        for f, person in named.items():
            current = getattr(record, f"{f}_id", None) if record is not None else None
            if person.pk not in allowed and person.pk != current:
                errors[f] = [_("Choose someone who works on projects or is on this project's team.")]
    if errors:
        raise ValidationError(errors)


def _check_same_project(project: Project, data: dict, *fields: str):
    errors = {}
    for f in fields:
        other = data.get(f)
        if other is not None and other.project_id != project.pk:
            errors[f] = [_("It must belong to the same project.")]
    if errors:
        raise ValidationError(errors)


# Risks ----------------------------------------------------------------------------------------


@transaction.atomic
def risk_create(*, project: Project, user: User, data: dict) -> Risk:
    """A new risk in ``open``; its exposure is probability × impact (computed on save)."""
    project = _writable(lock(project), user)
    data = dict(data)
    _check_people(data, "owner", project=project)
    risk = Risk(project=project, created_by=user, updated_by=user)
    assign_fields(risk, data, RISK_FIELDS)
    risk.full_clean()
    risk.save()
    log_created(risk, user=user)
    return risk


@transaction.atomic
def risk_update(*, risk: Risk, user: User, data: dict) -> Risk:
    """Change a risk that is not closed (its assessment, owner, response, plan, trigger)."""
    risk = lock(risk)
    project_writable.require(risk.project, user)
    if risk.state == RiskState.CLOSED:
        raise TransitionRefused(
            _("This risk is closed; it can no longer be edited."),
            [_("The record is in state “%(state)s”.") % {"state": risk.get_state_display()}],
        )
    data = dict(data)
    _check_people(data, "owner", project=risk.project, record=risk)
    assign_fields(risk, data, RISK_FIELDS)
    risk.updated_by = user
    risk.full_clean()
    risk.save()
    return risk


@transaction.atomic
def risk_transition(*, risk: Risk, name: str, user: User, reason: str = "", raise_issue: dict | None = None) -> Risk:
    """``mitigate``, ``occur`` or ``close`` a risk. When it occurs, ``raise_issue`` ({title, severity,
    owner, due_date[, description]}) opens an internal issue linked to the risk, in the same transaction."""
    project_writable.require(risk.project, user)
    if raise_issue:
        if name != "occur":
            raise ValidationError({"raise_issue": [_("An issue is raised only when the risk occurs.")]})
        unknown = set(raise_issue) - set(RAISED_ISSUE_FIELDS)
        if unknown:
            raise ValidationError(
                {
                    "raise_issue": [
                        _("These fields cannot be set here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
                    ]
                }
            )
    risk = run_transition(risk, name, user=user, reason=reason)
    if raise_issue:
        try:
            issue_create(
                project=risk.project,
                user=user,
                data={**dict(raise_issue), "source": IssueSource.INTERNAL, "risk": risk},
            )
        except ValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            raise ValidationError({"raise_issue": [f"{k}: {m}" for k, msgs in detail.items() for m in msgs]}) from exc
    return risk


def risks_raise_by_portal(*, items: list[dict], reason: str) -> list[Risk]:
    """Risks the portal raises itself (the monthly accounting's variance alerts), in bulk: on open
    projects only, each logged as opened by the portal with ``reason``. ``items`` are Risk fields
    (project, category, description, probability, impact, owner, response, plan, trigger)."""
    risks = []
    for item in items:
        if item["project"].is_finished:
            continue
        risk = Risk(**item)
        risk.exposure = risk.probability * risk.impact
        risk.clean_fields(exclude=["project", "owner"])  # no query per risk: the portal built them
        risks.append(risk)
    created = Risk.objects.bulk_create(risks)
    log_created_many(created, user=None, reason=reason)
    return created


# Issues (ITR) -------------------------------------------------------------------------------------


@transaction.atomic
def issue_create(*, project: Project, user: User, data: dict) -> ProjectIssue:
    """A new issue in ``open`` with its severity, owner and due date (optionally raised by a risk of
    the same project)."""
    project = _writable(lock(project), user)
    data = dict(data)
    _check_people(data, "owner", project=project)
    _check_same_project(project, data, "risk")
    issue = ProjectIssue(project=project, created_by=user, updated_by=user)
    assign_fields(issue, data, ISSUE_FIELDS)
    issue.full_clean()
    issue.save()
    log_created(issue, user=user, data={"risk_id": issue.risk_id} if issue.risk_id else None)
    return issue


@transaction.atomic
def issue_update(*, issue: ProjectIssue, user: User, data: dict) -> ProjectIssue:
    """Change an issue that is not closed (a closed one is reopened first, with a reason)."""
    issue = lock(issue)
    project_writable.require(issue.project, user)
    if issue.state == IssueState.CLOSED:
        raise TransitionRefused(
            _("This issue is closed; reopen it to change it."),
            [_("The record is in state “%(state)s”.") % {"state": issue.get_state_display()}],
        )
    data = dict(data)
    _check_people(data, "owner", project=issue.project, record=issue)
    _check_same_project(issue.project, data, "risk")
    owner_before = issue.owner_id
    assign_fields(issue, data, ISSUE_FIELDS)
    issue.updated_by = user
    issue.full_clean()
    issue.save()
    if issue.owner_id != owner_before:
        log_change(issue, "reassign", user=user, data={"from": owner_before, "to": issue.owner_id})
    return issue


@transaction.atomic
def issue_transition(
    *, issue: ProjectIssue, name: str, user: User, reason: str = "", resolution: str | None = None
) -> ProjectIssue:
    """``start``, ``resolve`` (needs a resolution: already on the issue or given here) and ``close``
    by the issue's owner, the PM or the PMO; ``reopen`` (needs a reason) by the PM or the PMO."""
    issue_workable.require(issue, user)

    def record_resolution(locked: ProjectIssue) -> dict:
        if resolution is not None and resolution.strip():
            locked.resolution = resolution.strip()
        if not locked.resolution.strip():
            raise ValidationError({"resolution": [_("Record how the issue was resolved first.")]})
        return {}

    return run_transition(
        issue, name, user=user, reason=reason, prepare=record_resolution if name == "resolve" else None
    )


# Quality ------------------------------------------------------------------------------------------


@transaction.atomic
def quality_check_create(*, project: Project, user: User, data: dict) -> QualityCheck:
    """Record an inspection, its result and the defects it found ({description, severity, rework}).
    A quality check is not edited afterwards: a new check corrects an old one; defects are closed
    one by one (``defect_close``)."""
    project = _writable(lock(project), user)
    data = dict(data)
    defects = data.pop("defects", None) or []
    _check_people(data, "inspector", project=project)
    _check_same_project(project, data, "milestone")
    qc = QualityCheck(project=project, created_by=user, updated_by=user)
    assign_fields(qc, data, QUALITY_CHECK_FIELDS)
    qc.full_clean()
    qc.save()
    built = []
    for d in defects:
        d = dict(d)
        unknown = set(d) - set(DEFECT_FIELDS)
        if unknown:
            raise ValidationError(
                {
                    "defects": [
                        _("These fields cannot be set here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
                    ]
                }
            )
        defect = Defect(quality_check=qc, created_by=user, updated_by=user, **d)
        defect.full_clean(exclude=["quality_check"])
        built.append(defect)
    Defect.objects.bulk_create(built)
    return qc


@transaction.atomic
def defect_close(*, defect: Defect, user: User) -> Defect:
    """The defect is fixed: record when (logged as ``close``)."""
    defect = lock(defect)
    project_writable.require(defect.quality_check.project, user)
    if defect.closed_at is not None:
        raise TransitionRefused(
            _("This defect is already closed."),
            [_("Closed on %(date)s.") % {"date": timezone.localtime(defect.closed_at).date()}],
        )
    defect.closed_at = timezone.now()
    defect.updated_by = user
    defect.save(update_fields=["closed_at", "updated_by", "updated_at"])
    log_step(defect, "close", source="open", target="closed", user=user)
    return defect


# Meetings ------------------------------------------------------------------------------------------


@transaction.atomic
def meeting_create(*, project: Project, user: User, data: dict) -> Meeting:
    """Record a meeting, its decisions and the actions it gave ({description, owner, due_date}).
    A meeting is not edited afterwards; its actions are marked done one by one."""
    project = _writable(lock(project), user)
    data = dict(data)
    actions = data.pop("actions", None) or []
    meeting = Meeting(project=project, created_by=user, updated_by=user)
    assign_fields(meeting, data, MEETING_FIELDS)
    meeting.full_clean()
    meeting.save()
    actions = [dict(a) for a in actions]
    for a in actions:
        unknown = set(a) - set(ACTION_FIELDS)
        if unknown:
            raise ValidationError(
                {
                    "actions": [
                        _("These fields cannot be set here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
                    ]
                }
            )
    owners = {str(i): a.get("owner") for i, a in enumerate(actions)}  # every action has one (None is refused)
    try:
        _check_people(owners, *owners, project=project)  # every action's owner in one query
    except ValidationError as exc:
        raise ValidationError(
            {"actions": [_("Action owners must be active people who work on projects or are on this project's team.")]}
        ) from exc
    built = []
    for a in actions:
        action = MeetingAction(meeting=meeting, created_by=user, updated_by=user, **a)
        # the people were checked above (one query for all): no lookup per action and person
        action.full_clean(exclude=["meeting", "owner", "created_by", "updated_by"])
        built.append(action)
    MeetingAction.objects.bulk_create(built)
    return meeting


@transaction.atomic
def meeting_action_done(*, action: MeetingAction, user: User) -> MeetingAction:
    """The action was carried out (logged as ``done``)."""
    action = lock(action)
    project_writable.require(action.meeting.project, user)
    if action.done:
        raise TransitionRefused(_("This action is already done."))
    action.done = True
    action.updated_by = user
    action.save(update_fields=["done", "updated_by", "updated_at"])
    log_step(action, "done", source="open", target="done", user=user)
    return action
