"""Notification jobs: the e-mails of new notifications, and the daily sweep of what fell overdue.

``send_notification_emails`` claims the rows it mails (``SELECT … FOR UPDATE SKIP LOCKED``, then
``emailed_at`` set in the same transaction), so two workers, or a retry, never mail one twice; a mail
server that fails gives the rows back for the next run. It is queued after the commit that raised
them and also run every few minutes by beat, so a broker that was down loses no e-mail."""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from ltc_portal.core.events import mutes_mail

from . import services
from .kinds import render, subject_line
from .models import Notification

logger = logging.getLogger("ltc_portal.mail")

#: notifications mailed per run (the next run takes the rest)
EMAIL_BATCH = 500
#: notifications older than this are no longer mailed (a person back after a long outage reads them in-app)
EMAIL_MAX_AGE = datetime.timedelta(days=2)


def _wants_email(prefix: str = "") -> Q:
    """The one rule of who is e-mailed: an active person with an address who has not turned e-mail off
    (``prefix`` reaches the person from another model, e.g. a notification's ``recipient__``)."""
    return (
        Q(**{f"{prefix}is_active": True})
        & ~Q(**{f"{prefix}email": ""})
        & ~Q(**{f"{prefix}notification_settings__email": False})
    )


def _email_wanted() -> Q:
    return _wants_email("recipient__")


@mutes_mail
def e_mail_turned_off(addresses: set[str]) -> set[str]:
    """Of the portal's people among ``addresses``, those none of whom wants e-mail: the overdue-invoice
    reminders and the cost alerts finance mails itself heed the setting too (two queries)."""
    people = get_user_model().objects.filter(email__in=addresses)
    return set(people.values_list("email", flat=True)) - set(
        people.filter(_wants_email()).values_list("email", flat=True)
    )


@shared_task(acks_late=True)
def send_notification_emails() -> int:
    """Mail the notifications not mailed yet (those of people with e-mail off or no address are marked
    done without mail). Returns how many e-mails went out."""
    since = timezone.now() - EMAIL_MAX_AGE
    with transaction.atomic():
        claimed = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(emailed_at__isnull=True, created_at__gte=since)
            .order_by("created_at", "id")
            .values_list("pk", flat=True)[:EMAIL_BATCH]
        )
        if not claimed:
            return 0
        Notification.objects.filter(pk__in=claimed).update(emailed_at=timezone.now())
        to_mail = list(
            Notification.objects.filter(pk__in=claimed)
            .filter(_email_wanted())
            .select_related("recipient")
            .order_by("created_at", "id")
        )
    if not to_mail:
        return 0
    base = settings.PORTAL_URL.rstrip("/")
    inbox = base + reverse("notifications:list")
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for n in to_mail:
            body = render(n.kind, n.params)
            if n.url:
                body += "\n\n" + base + n.url
            body += "\n\n" + translation.gettext(
                "You receive this e-mail because of a notification in the LTC portal. "
                "Turn these e-mails off on your notifications page: %(url)s"
            ) % {"url": inbox}
            messages.append(
                EmailMessage(
                    subject=str(subject_line(n.kind)),
                    body=body,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[n.recipient.email],
                )
            )
    try:
        sent = get_connection(fail_silently=False).send_messages(messages) or 0
    except Exception:  # noqa: BLE001 - give the rows back for the next run
        logger.exception("Could not send %s notification e-mail(s); they are retried", len(messages))
        Notification.objects.filter(pk__in=[n.pk for n in to_mail]).update(emailed_at=None)
        return 0
    return sent


@shared_task(acks_late=True)
def notify_overdue() -> dict:
    """The daily sweep (beat): see ``services.notify_overdue``."""
    return services.notify_overdue(day=timezone.localdate())
