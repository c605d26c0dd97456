"""Which events notify whom (issue 10 §2, API.md "notifications"). Each handler runs in the step's
transaction, after the step is saved and logged; the rows it writes are unique per person and event,
and their e-mails go out after commit.

- a gate review requested → everyone who may decide it (its deciding roles' holders, not the requester);
- a review approved or rejected → its requester;
- an issue created with, or given to, an owner → that owner (not when they did it themselves);
- the monthly accounting succeeded → the PM and finance, for each cost alert it raised (finance's job
  already e-mails the alert, so these are in-app only);
- a cycle published → each person whose appraisal it published; an appeal decided → the appellant.
Overdue issues and invoices are found by the daily sweep (``notifications.tasks``)."""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, F, Max, Value
from django.db.models.functions import Cast, Coalesce, Concat, JSONObject
from django.urls import NoReverseMatch, reverse

from delivery.models import ProjectIssue
from finance.models import AccountingRun, VarianceAlert
from ltc_portal.controls import registry
from ltc_portal.controls.models import GateReview
from ltc_portal.core.events import CREATED, Event, on
from ltc_portal.core.models import TransitionLog
from ltc_portal.core.roles import Role, user_display
from performance.models import Appeal, Appraisal, AppraisalCycle, AppraisalState

from . import services, sql
from .models import Kind
from .services import Note

#: the page of a review's subject, by model label
SUBJECT_PAGES = {
    "opportunities.opportunity": "opportunities:opportunity-detail",
    "delivery.project": "delivery:project-detail",
    "delivery.changerequest": "delivery:change-detail",
    "contracts.contract": "contracts:contract-detail",
}


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _subject_url(subject) -> str:
    name = SUBJECT_PAGES.get(subject._meta.label_lower)
    return _url(name, subject.pk) if name else ""


def _deciders(review: GateReview) -> set[int]:
    """The people who may decide the review: holders of its group roles and of its subject roles."""
    subject_roles = registry.subject_roles()
    groups = [r for r in review.required_roles if r not in subject_roles]
    people = set(
        get_user_model()
        .objects.filter(groups__name__in=groups, is_active=True)
        .values_list("pk", flat=True)
    ) if groups else set()  # fmt: skip
    for role in review.required_roles:
        if role in subject_roles:
            people |= {u.pk for u in registry.subject_role_holders(role, review.subject)}
    people.discard(review.requested_by_id)
    return people


@on(GateReview, CREATED)
def gate_requested(event: Event) -> None:
    review = event.subject
    params = {"gate": review.gate.code, "subject": str(review.subject), "by": user_display(review.requested_by)}
    services.notify(
        notes=[
            Note(
                recipient_id=pk,
                kind=Kind.GATE_WAITING,
                key=f"gatereview:{review.pk}:waiting",
                params=params,
                url=_url("controls:my-decisions"),
                subject=review,
            )
            for pk in sorted(_deciders(review))
        ]
    )


@on(GateReview, "approve", "reject")
def gate_decided(event: Event) -> None:
    review = event.subject
    if event.user is not None and event.user.pk == review.requested_by_id:
        return
    services.notify(
        notes=[
            Note(
                recipient_id=review.requested_by_id,
                kind=Kind.GATE_DECIDED,
                key=f"gatereview:{review.pk}:decided",
                params={
                    "gate": review.gate.code,
                    "subject": str(review.subject),
                    "outcome": "approved" if event.transition == "approve" else "rejected",
                    "by": user_display(event.user) if event.user else "",
                    "comment": event.reason,
                },
                url=_subject_url(review.subject),
                subject=review,
            )
        ]
    )


def _issue_note(issue: ProjectIssue) -> Note:
    # one note per assignment: the step's own log row (written before its event) names it, so an issue
    # given back to an earlier owner tells them again, and a handler run twice for one step tells once
    step = TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(ProjectIssue), object_id=issue.pk
    ).aggregate(last=Max("pk"))["last"]
    return Note(
        recipient_id=issue.owner_id,
        kind=Kind.ISSUE_ASSIGNED,
        key=f"issue:{issue.pk}:assigned:{issue.owner_id}:{step}",
        params={"title": issue.title, "project": str(issue.project), "due": issue.due_date.isoformat()},
        url=_url("delivery:project-detail", issue.project_id) + "#issues",
        subject=issue,
    )


@on(ProjectIssue, CREATED, "reassign")
def issue_assigned(event: Event) -> None:
    issue = event.subject
    if event.user is not None and event.user.pk == issue.owner_id:
        return
    services.notify(notes=[_issue_note(issue)])


@on(AccountingRun, "succeed")
def cost_alerts(event: Event) -> None:
    """In-app notes of the cost alerts the run raised (once per alert and person: a re-run raises no
    alert, so it adds none, and it reads none of the period's earlier alerts), to the project's PM and
    to finance. The accounting e-mails them itself."""
    run = event.subject
    alerts = VarianceAlert.objects.filter(period_id=run.period_id)
    if run.started_at is not None:  # alerts are raised inside the run, after it started
        alerts = alerts.filter(created_at__gte=run.started_at)
    common = {
        "kind": Value(Kind.VARIANCE_ALERT),
        "note_params": JSONObject(
            project=F("project__name"),
            period=F("period__period"),
            cv=Cast("cost_variance_percent", CharField()),
            cpi=Cast("cpi", CharField()),
        ),
        "note_url": sql.url_of("delivery:project-detail", "project_id"),
        "note_type": Value(sql.content_type_id(VarianceAlert)),
        "note_subject": F("pk"),
        "note_key": Concat(Value("variancealert:"), Cast("pk", CharField())),
    }
    names = ["kind", "note_params", "note_url", "note_type", "note_subject", "note_key"]
    pm_rows = alerts.filter(project__pm__isnull=False).annotate(note_recipient=F("project__pm_id"), **common)
    services.notify_from_query(queryset=pm_rows.values_list("note_recipient", *names), emailed=True)
    finance = get_user_model().objects.filter(groups__name=Role.FINANCE, is_active=True)
    services.notify_from_query(queryset=alerts.annotate(**common).values_list(*names), recipients=finance, emailed=True)


@on(AppraisalCycle, "publish")
def cycle_published(event: Event) -> None:
    cycle = event.subject
    # the cycle's step is published before its scored appraisals are moved, in the same transaction
    rows = (
        Appraisal.objects.filter(cycle=cycle, state__in=[AppraisalState.SCORED, AppraisalState.PUBLISHED])
        .annotate(
            note_recipient=F("employee_id"),
            kind=Value(Kind.APPRAISAL_PUBLISHED),
            note_params=JSONObject(cycle=F("cycle__name"), grade=Coalesce("final_grade", Value(""))),
            note_url=Value(_url("performance:mine")),
            note_type=Value(sql.content_type_id(Appraisal)),
            note_subject=F("pk"),
            note_key=Concat(Value("appraisal:"), Cast("pk", CharField()), Value(":published")),
        )
        .values_list(*sql.NOTE_FIELDS)
    )
    services.notify_from_query(queryset=rows)


@on(Appraisal, "finalise")
def appeal_decided(event: Event) -> None:
    appeal_id = (event.data or {}).get("appeal")
    if not appeal_id:
        return
    appeal = Appeal.objects.select_related("appraisal__cycle").get(pk=appeal_id)
    services.notify(
        notes=[
            Note(
                recipient_id=appeal.appraisal.employee_id,
                kind=Kind.APPEAL_DECIDED,
                key=f"appeal:{appeal.pk}:decided",
                params={
                    "cycle": appeal.appraisal.cycle.name,
                    "outcome": appeal.state,
                    "grade": appeal.new_grade,
                },
                url=_url("performance:mine"),
                subject=appeal,
            )
        ]
    )
