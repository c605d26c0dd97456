"""The notification e-mails on a real Celery worker through Redis, and their beat schedule."""

import pytest
from django.conf import settings
from django.core import mail

from ltc_portal.controls import services as gates
from notifications.models import Notification
from tests.celery_utils import real_worker, wait_for
from tests.opportunities.factories import Cast, OpportunityFactory


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_gate_request_is_mailed_by_a_real_worker_once(make_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    cast = Cast(make_user, prefix="nw")
    cast.director.email = "director@example.com"
    cast.director.save()
    with real_worker():
        gates.gate_request(code="ATI", subject=OpportunityFactory(owner=cast.owner), user=cast.owner)
        assert wait_for(lambda: len(mail.outbox) == 1, timeout=30), "the worker sent no e-mail"
        note = Notification.objects.get(recipient=cast.director)
        assert note.emailed_at is not None
    assert [m.to for m in mail.outbox] == [["director@example.com"]]


def test_beat_sweeps_the_overdue_each_morning_and_the_unsent_mail_every_five_minutes():
    schedule = settings.CELERY_BEAT_SCHEDULE
    overdue = schedule["overdue-notifications"]
    assert overdue["task"] == "notifications.tasks.notify_overdue"
    assert overdue["schedule"].hour == {7} and overdue["schedule"].minute == {0}
    emails = schedule["notification-emails"]
    assert emails["task"] == "notifications.tasks.send_notification_emails"
    assert emails["schedule"].minute == set(range(0, 60, 5))
