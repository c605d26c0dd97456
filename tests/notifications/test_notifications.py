"""Notifications: each event tells the right people once (never the one who did it), the e-mail goes
out after commit once per notification and never to a person who turned e-mail off, the overdue
sweep is idempotent, and a person reads and marks only their own (page and API)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from delivery import services as delivery
from finance import services as finance
from finance.models import VarianceAlert
from ltc_portal.controls import services as gates
from ltc_portal.core.fsm import history
from notifications import services
from notifications.models import Kind, Notification
from notifications.tasks import notify_overdue, send_notification_emails
from performance import services as performance
from performance.models import Appraisal
from tests.finance.test_accounting import day, entry, project_in_build, run
from tests.opportunities.factories import Cast, OpportunityFactory, pass_ati

TODAY = timezone.localdate()


@pytest.fixture
def cast(make_user):
    c = Cast(make_user, prefix="n")
    for i, person in enumerate(vars(c).values()):
        person.email = f"person{i}@example.com"
        person.save()
    return c


def notes(user, kind=None):
    qs = Notification.objects.filter(recipient=user)
    return list(qs.filter(kind=kind) if kind else qs)


def test_a_gate_request_tells_its_deciders_and_the_decision_tells_the_requester(cast, make_user):
    from ltc_portal.core.events import Event

    other_director = make_user("n-director-2", roles=["sales_director"])
    opp = OpportunityFactory(owner=cast.owner)
    review = gates.gate_request(code="ATI", subject=opp, user=cast.owner, comment="Worth it")
    waiting = Notification.objects.filter(kind=Kind.GATE_WAITING)
    assert {n.recipient for n in waiting} == {cast.director, other_director}
    assert notes(cast.owner) == []  # the requester is not told to decide their own request
    note = notes(cast.director, Kind.GATE_WAITING)[0]
    assert note.subject_id == review.pk and note.url == reverse("controls:my-decisions")
    assert (
        note.message
        == f"ATI on “{opp}” waits for your decision (requested by {cast.owner.get_full_name() or cast.owner.username})."
    )

    gates.gate_decide(review=review, user=cast.director, decision="reject", comment="No budget yet")
    decided = notes(cast.owner, Kind.GATE_DECIDED)
    assert len(decided) == 1
    from notifications.handlers import gate_decided

    review.refresh_from_db()
    gate_decided(Event(subject=review, transition="reject", user=cast.director, reason="No budget yet"))
    assert len(notes(cast.owner, Kind.GATE_DECIDED)) == 1  # a retried handler tells nobody twice
    assert "was rejected by" in decided[0].message and "No budget yet" in decided[0].message
    assert decided[0].url == reverse("opportunities:opportunity-detail", args=[opp.pk])
    # handled again (a retried handler), nobody is told twice
    from notifications.handlers import gate_requested

    gate_requested(Event(subject=review, transition="open", user=cast.owner))
    assert Notification.objects.filter(kind=Kind.GATE_WAITING).count() == 2


def test_the_message_is_in_the_readers_language(cast, api):
    opp = OpportunityFactory(owner=cast.owner)
    review = gates.gate_request(code="ATI", subject=opp, user=cast.owner)
    gates.gate_decide(review=review, user=cast.director, decision="approve")
    body = api.as_user(cast.owner).get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["count"] == 1
    message = body["results"][0]["message"]
    assert "批准" in message and "ATI" in message, message


def test_the_e_mail_goes_once_after_commit_and_never_to_who_turned_it_off(
    cast, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    quiet = make_user("n-director-quiet", roles=["sales_director"], email="quiet@example.com")
    services.notification_settings_update(user=quiet, email=False)
    opp = OpportunityFactory(owner=cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        gates.gate_request(code="ATI", subject=opp, user=cast.owner)
    assert [m.to for m in mailoutbox] == [[cast.director.email]]
    assert "waits for your decision" in mailoutbox[0].body and "/gates/my-decisions/" in mailoutbox[0].body
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0  # the quiet one is done, unmailed
    assert len(notes(quiet)) == 1  # but they have it in the portal
    assert send_notification_emails() == 0  # a second run (beat, a retry) mails nothing
    assert len(mailoutbox) == 1


class FailingMailServer:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_a_mail_server_that_is_down_gives_the_notifications_back_for_the_next_run(cast, settings, mailoutbox):
    opp = OpportunityFactory(owner=cast.owner)
    gates.gate_request(code="ATI", subject=opp, user=cast.owner)  # on_commit not run: nothing mailed yet
    settings.EMAIL_BACKEND = "tests.notifications.test_notifications.FailingMailServer"
    assert send_notification_emails() == 0
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_notification_emails() == 1
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


@pytest.fixture
def project(cast):
    return pass_ati(OpportunityFactory(owner=cast.owner), cast).project


def issue_data(owner, due):
    return {"title": "Rack space missing", "source": "customer", "severity": "major", "owner": owner, "due_date": due}


def test_an_issue_tells_its_owner_when_given_and_when_reassigned(cast, project, make_user):
    engineer = make_user("n-engineer", roles=["delivery"])
    mine = delivery.issue_create(project=project, user=cast.pm, data=issue_data(cast.pm, TODAY))
    assert notes(cast.pm, Kind.ISSUE_ASSIGNED) == []  # the PM gave it to themselves
    issue = delivery.issue_create(project=project, user=cast.pm, data=issue_data(engineer, TODAY))
    [note] = notes(engineer, Kind.ISSUE_ASSIGNED)
    assert "Rack space missing" in note.message and note.url.startswith(f"/projects/{project.pk}/")
    delivery.issue_update(issue=mine, user=cast.pm, data={"owner": engineer})
    assert len(notes(engineer, Kind.ISSUE_ASSIGNED)) == 2
    assert [e.transition for e in history(mine)][-1] == "reassign"
    delivery.issue_update(issue=issue, user=cast.pm, data={"title": "Rack space missing (B3)"})
    assert len(notes(engineer, Kind.ISSUE_ASSIGNED)) == 2  # a change that is no reassignment tells nobody
    # given away and back again: the engineer is told again (a new assignment), once
    other = make_user("n-engineer-2", roles=["delivery"])
    delivery.issue_update(issue=issue, user=cast.pm, data={"owner": other})
    delivery.issue_update(issue=issue, user=cast.pm, data={"owner": engineer})
    assert len(notes(other, Kind.ISSUE_ASSIGNED)) == 1 and len(notes(engineer, Kind.ISSUE_ASSIGNED)) == 3
    # the handler run again for that same step (a retried event) tells nobody twice
    from ltc_portal.core.events import Event
    from notifications.handlers import issue_assigned

    issue.refresh_from_db()
    issue_assigned(Event(subject=issue, transition="reassign", user=cast.pm))
    assert len(notes(engineer, Kind.ISSUE_ASSIGNED)) == 3


def test_the_overdue_sweep_tells_once_whatever_how_often_it_runs(cast, make_user, django_capture_on_commit_callbacks):
    project = project_in_build(cast)
    engineer = make_user("n-engineer-2", roles=["delivery"])
    late = delivery.issue_create(
        project=project, user=cast.pm, data=issue_data(engineer, TODAY + datetime.timedelta(days=3))
    )
    delivery.issue_create(project=project, user=cast.pm, data=issue_data(engineer, TODAY + datetime.timedelta(days=9)))
    type(late).objects.filter(pk=late.pk).update(due_date=TODAY - datetime.timedelta(days=2))  # time passed
    advance = project.contract.payment_milestones.get(trigger="on_signing")
    invoice = finance.invoice_create(user=cast.finance, data={"payment_milestone": advance})
    invoice = finance.invoice_transition(
        invoice=invoice, name="issue", user=cast.finance, issue_date=TODAY - datetime.timedelta(days=40)
    )
    with CaptureQueriesContext(connection) as queries:
        assert notify_overdue() == {"issues": 1, "invoices": 1}
    assert len(queries) <= 8
    assert notify_overdue() == {"issues": 0, "invoices": 0}
    [issue_note] = notes(engineer, Kind.ISSUE_OVERDUE)
    assert "overdue" in issue_note.message
    [invoice_note] = notes(cast.owner, Kind.INVOICE_OVERDUE)
    assert invoice.number in invoice_note.message and f"{invoice.total:,.2f}" in invoice_note.message
    assert invoice_note.url == reverse("contracts:contract-detail", args=[project.contract.pk])
    assert invoice_note.emailed_at is not None  # the overdue reminder mails it, not a second e-mail
    assert issue_note.emailed_at is None  # mailed after commit by the e-mail job


def test_a_cost_alert_tells_the_pm_and_finance_once_however_often_the_period_runs(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    project = project_in_build(cast, budget_total=Decimal("100000.00"))
    delivery.milestone_create(project=project, user=cast.pm, data={"name": "Later", "planned_end": day(9)})
    entry(project, cast.finance, day(6), "labour", "60000.00")
    with django_capture_on_commit_callbacks(execute=True):
        run()
    alert = VarianceAlert.objects.get(project=project)
    for person in (cast.pm, cast.finance):
        [note] = notes(person, Kind.VARIANCE_ALERT)
        assert note.subject_id == alert.pk and project.name in note.message and note.emailed_at is not None
    run()
    assert Notification.objects.filter(kind=Kind.VARIANCE_ALERT).count() == 2
    assert len(mailoutbox) == 1  # the accounting's own cost-alert e-mail, nothing more


def test_publishing_a_cycle_and_deciding_an_appeal_tell_the_people(
    make_user, django_capture_on_commit_callbacks, mailoutbox
):
    from tests.performance.test_incentives import published as published_fixture

    data = published_fixture.__wrapped__(make_user, django_capture_on_commit_callbacks)
    x, y, hr = data["x"], data["y"], data["hr"]
    for person in (x, y):
        [note] = notes(person, Kind.APPRAISAL_PUBLISHED)
        assert f"grade {Appraisal.objects.get(cycle=data['cycle'], employee=person).final_grade}" in note.message
    mine = Appraisal.objects.get(cycle=data["cycle"], employee=y)
    performance.appraisal_transition(appraisal=mine, name="appeal", user=y, reason="I led the cut-over")
    new = "C" if mine.final_grade != "C" else "B"
    performance.appeal_decide(appeal=mine.appeal_record, user=hr, decision="Evidence accepted", new_grade=new)
    [note] = notes(y, Kind.APPEAL_DECIDED)
    assert note.message == f"Your appeal on {data['cycle'].name} was adjusted. Your grade is now {new}."
    # the handlers run again (a retried event): nobody is told twice
    from ltc_portal.core.events import Event
    from notifications.handlers import appeal_decided, cycle_published

    cycle_published(Event(subject=data["cycle"], transition="publish", user=hr))
    appeal_decided(Event(subject=mine, transition="finalise", user=hr, data={"appeal": mine.appeal_record.pk}))
    assert len(notes(x, Kind.APPRAISAL_PUBLISHED)) == 1 and len(notes(y, Kind.APPEAL_DECIDED)) == 1
    # and each is one e-mail to its person
    send_notification_emails()
    mailed = {(m.to[0], m.subject) for m in mailoutbox}
    assert {to for to, _subject in mailed} >= {x.email, y.email}
    assert sum(1 for m in mailoutbox if m.to == [y.email] and "appeal" in m.body.lower()) == 1
    assert sum(1 for m in mailoutbox if m.to == [x.email]) == 1


# Reading and marking: page and API ----------------------------------------------------------------


def raise_for(user, n, kind=Kind.ISSUE_OVERDUE):
    return services.notify(
        notes=[
            services.Note(
                recipient_id=user.pk, kind=kind, key=f"test:{user.pk}:{i}", params={"title": f"T{i}"}, url="/"
            )
            for i in range(n)
        ]
    )


def test_the_api_names_the_subject_in_its_own_words(cast, api):
    review = gates.gate_request(code="ATI", subject=OpportunityFactory(owner=cast.owner), user=cast.owner)
    [note] = api.as_user(cast.director).get("/api/v1/notifications/").json()["results"]
    assert (note["subject_type"], note["subject_id"]) == ("gate_review", review.pk)  # snake_case, as gate-reviews'


def test_the_api_lists_and_marks_only_your_own(cast, api):
    raise_for(cast.pm, 3)
    raise_for(cast.owner, 1)
    client = api.as_user(cast.pm)
    body = client.get("/api/v1/notifications/?unread=true").json()
    assert body["count"] == 3
    first = body["results"][0]
    assert set(first) >= {"kind", "message", "url", "subject_type", "subject_id", "created_at", "read_at"}
    r = client.post(f"/api/v1/notifications/{first['id']}/read/")
    assert r.status_code == 200 and r.json()["read_at"]
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 2
    theirs = Notification.objects.get(recipient=cast.owner)
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert client.get("/api/v1/notifications/?unread=maybe").status_code == 400
    assert api.as_user(cast.owner).get("/api/v1/notifications/").json()["count"] == 1


def test_the_list_endpoint_and_the_page_cost_the_same_queries_for_one_or_many(cast, api, web):
    raise_for(cast.pm, 1)

    def count(fetch):
        with CaptureQueriesContext(connection) as q:
            assert fetch().status_code == 200
        return len(q)

    client = api.as_user(cast.pm)
    page = web.as_user(cast.pm)
    few = (count(lambda: client.get("/api/v1/notifications/")), count(lambda: page.get(reverse("notifications:list"))))
    raise_for(cast.pm, 30, kind=Kind.GATE_DECIDED)
    many = (count(lambda: client.get("/api/v1/notifications/")), count(lambda: page.get(reverse("notifications:list"))))
    assert few == many


def test_the_page_shows_the_badge_opens_marks_read_and_turns_e_mail_off(cast, web):
    raise_for(cast.pm, 2)
    page = web.as_user(cast.pm)
    html = page.get(reverse("notifications:list")).content.decode()
    assert 'id="notification-badge"' in html and ">2</span>" in html
    note = Notification.objects.filter(recipient=cast.pm).first()
    r = page.post(reverse("notifications:open", args=[note.pk]))
    assert r.status_code == 302 and r.url == "/"
    note.refresh_from_db()
    assert note.read_at is not None
    other = Notification.objects.filter(recipient=cast.pm, read_at__isnull=True).get()
    r = page.post(reverse("notifications:open", args=[other.pk]), {"stay": "1", "next": "https://evil.example/"})
    assert r.url == reverse("notifications:list")  # never off-site
    theirs = raise_for(cast.owner, 1) and Notification.objects.get(recipient=cast.owner)
    assert page.post(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    page.post(reverse("notifications:settings"), {})
    assert cast.pm.notification_settings.email is False
    html = page.get(reverse("notifications:list")).content.decode()
    assert 'id="email-switch" name="email" checked' not in html
    assert page.get(reverse("notifications:read-all")).status_code == 405
    raise_for(cast.pm, 3, kind=Kind.GATE_DECIDED)
    r = page.post(reverse("notifications:read-all"), follow=True)
    assert r.redirect_chain[-1][0] == reverse("notifications:list")
    assert not Notification.objects.filter(recipient=cast.pm, read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=cast.owner).read_at is None  # only one's own
    bell = r.content.decode().split('id="notification-badge"')[1].split("</a>")[0]
    assert "text-bg-danger" not in bell  # the bell shows no count any more


def test_nobody_reads_or_marks_anothers_notification_through_the_service(cast):
    from django.core.exceptions import PermissionDenied

    raise_for(cast.owner, 1)
    note = Notification.objects.get(recipient=cast.owner)
    with pytest.raises(PermissionDenied):
        services.notification_read(notification=note, user=cast.pm)
    assert Notification.objects.get(pk=note.pk).read_at is None
