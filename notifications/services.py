"""The one door of notifications: raise them (from the domain events and the overdue sweep), mark
them read, and a person's e-mail setting. Only the recipient reads or marks a notification.

Raising is set-based and never twice: rows go in with ``INSERT … ON CONFLICT DO NOTHING`` on
(recipient, key), so a handler that runs again or a sweep run twice adds nothing. The e-mails are
sent after commit by ``notifications.tasks.send_notification_emails``, which claims the rows it mails."""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Cast, Concat, JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _

from delivery.models import OPEN_ISSUE_STATES, ProjectIssue
from finance.models import Invoice, InvoiceState
from finance.selectors import with_outstanding
from ltc_portal.core.outbox import enqueue

from . import sql
from .models import Kind, Notification, NotificationSettings

#: the e-mail job of new notifications (notifications/tasks.py)
EMAIL_TASK = "notifications.tasks.send_notification_emails"

#: the columns a set-based raise fills from its query, in this order
COLUMNS = ("recipient_id", "kind", "params", "url", "subject_type_id", "subject_id", "key")
#: notifications per INSERT (keeps its parameters well under every database's limit)
CHUNK = 500


@dataclass
class Note:
    """One notification to raise: for ``recipient_id``, of ``kind``, about ``subject``, with a ``key``
    naming the event (unique per person)."""

    recipient_id: int
    kind: str
    key: str
    params: dict = field(default_factory=dict)
    url: str = ""
    subject: object = None


def _queue_emails() -> None:
    """The e-mail job, through the outbox (a broker that is down: beat's sweep mails them anyway)."""
    enqueue(EMAIL_TASK)


def notify(*, notes: list[Note], emailed: bool = False) -> int:
    """Raise these notifications (those already raised for the same person and event are skipped).
    ``emailed``: another part of the portal already e-mails this event (overdue reminders, the
    accounting's cost alert), so no second e-mail goes out. Returns how many were new."""
    notes = [n for n in notes if n.recipient_id]
    if not notes:
        return 0
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    as_json = Notification._meta.get_field("params")
    table = Notification._meta.db_table
    made = 0
    with connection.cursor() as cursor:
        for start in range(0, len(notes), CHUNK):
            chunk = notes[start : start + CHUNK]
            values, params = [], []
            for n in chunk:
                ct = ContentType.objects.get_for_model(type(n.subject)).pk if n.subject is not None else None
                values.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s)")
                params += [
                    n.recipient_id,
                    n.kind,
                    as_json.get_db_prep_save(n.params, connection),
                    n.url[:500],
                    ct,
                    getattr(n.subject, "pk", None),
                    n.key[:120],
                    now,
                    now if emailed else None,
                ]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(COLUMNS)}, created_at, emailed_at) "  # noqa: S608 - names are ours
                f"VALUES {', '.join(values)} ON CONFLICT (recipient_id, key) DO NOTHING",
                params,
            )
            made += max(cursor.rowcount, 0)
    if made and not emailed:
        _queue_emails()
    return made


def notify_from_query(*, queryset: QuerySet, recipients: QuerySet | None = None, emailed: bool = False) -> int:
    """Raise one notification per row of ``queryset`` in one ``INSERT … SELECT … ON CONFLICT DO
    NOTHING``. ``queryset`` is a ``values_list`` of seven annotations that fill ``COLUMNS`` in that
    order (``params`` a ``JSONObject``); or, with ``recipients`` (a queryset of users), of the six
    after ``recipient_id``, raised for every one of those people. Returns how many were new."""
    names = list(getattr(queryset, "_fields", None) or ())
    wanted = len(COLUMNS) - (1 if recipients is not None else 0)
    if len(names) != wanted:
        raise TypeError(f"notify_from_query needs a values_list of {wanted} names, one per column")
    sql, params = queryset.query.sql_with_params()
    qn = connection.ops.quote_name
    picked = [f"s.{qn(n)}" for n in names]
    source = f"({sql}) s"
    if recipients is not None:
        people = recipients.order_by().annotate(note_person=F("pk")).values_list("note_person")
        people_sql, people_params = people.query.sql_with_params()
        picked.insert(0, f"p.{qn('note_person')}")
        source = f"{source} CROSS JOIN ({people_sql}) p"
        params = (*params, *people_params)
    table = Notification._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    insert = (
        f"INSERT INTO {table} ({', '.join(COLUMNS)}, created_at, emailed_at) "  # noqa: S608 - names are ours
        f"SELECT {', '.join(picked)}, %s, %s FROM {source} WHERE 1 = 1 "
        "ON CONFLICT (recipient_id, key) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(insert, [now, now if emailed else None, *params])
        made = cursor.rowcount
    if made and not emailed:
        _queue_emails()
    return max(made, 0)


def notification_read(*, notification: Notification, user) -> Notification:
    """Mark one of your notifications read (reading it again changes nothing)."""
    if notification.recipient_id != getattr(user, "pk", None):
        raise PermissionDenied(_("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_read_all(*, user) -> int:
    """Mark every unread notification of yours read; how many were."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Sign in first."))
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def notification_settings_update(*, user, email: bool) -> NotificationSettings:
    """Turn your notification e-mails on or off (the in-app list always holds everything)."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Sign in first."))
    settings, _created = NotificationSettings.objects.update_or_create(user=user, defaults={"email": bool(email)})
    return settings


# Building blocks of set-based raises, and the overdue sweep -------------------------------------------


@transaction.atomic
def notify_overdue(*, day) -> dict:
    """Tell the owner of every open issue past its due date (once per issue and due date) and the sales
    owner of every invoice past its due date (once per invoice). Two statements, whatever the number
    of rows; safe to run twice. The overdue reminders (finance) already e-mail the invoices."""
    issues = ProjectIssue.objects.filter(state__in=OPEN_ISSUE_STATES, due_date__lt=day).annotate(
        note_recipient=F("owner_id"),
        kind=Value(Kind.ISSUE_OVERDUE),
        note_params=JSONObject(title=F("title"), project=F("project__name"), due=Cast("due_date", CharField())),
        note_url=sql.url_of("delivery:project-detail", "project_id"),
        note_type=Value(sql.content_type_id(ProjectIssue)),
        note_subject=F("pk"),
        note_key=Concat(Value("issue:"), Cast("pk", CharField()), Value(":overdue:"), Cast("due_date", CharField())),
    )
    invoices = with_outstanding(
        Invoice.objects.filter(state__in=[InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID], due_date__lt=day)
    ).annotate(
        note_recipient=F("contract__opportunity__owner_id"),
        kind=Value(Kind.INVOICE_OVERDUE),
        note_params=JSONObject(
            number=F("number"),
            customer=F("contract__opportunity__customer__name"),
            due=Cast("due_date", CharField()),
            open=Cast("outstanding", CharField()),
            currency=F("currency"),
        ),
        note_url=sql.url_of("contracts:contract-detail", "contract_id"),
        note_type=Value(sql.content_type_id(Invoice)),
        note_subject=F("pk"),
        note_key=Concat(Value("invoice:"), Cast("pk", CharField()), Value(":overdue")),
    )
    return {
        "issues": notify_from_query(queryset=issues.values_list(*sql.NOTE_FIELDS)),
        "invoices": notify_from_query(queryset=invoices.values_list(*sql.NOTE_FIELDS), emailed=True),
    }
