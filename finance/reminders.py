"""Overdue reminders (DOMAIN.md §5.3): at 1, 15 and 30 days overdue (setting OVERDUE_REMINDER_DAYS),
each level once per invoice (recorded), e-mailed to the opportunity's owner (sales) and finance after
commit. A constant number of queries per level, whatever the number of invoices.

Two runs at once (a beat tick and a run by hand) never mail twice: a run first claims its reminder
rows with one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` and mails only the invoices it claimed."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ltc_portal.core.events import mail_after_commit, mail_wanted
from ltc_portal.core.money import money_text
from ltc_portal.core.roles import Role

from .models import Invoice, InvoiceReminder, InvoiceState
from .selectors import with_outstanding

#: rows claimed per INSERT (keeps the statement's parameters well under every database's limit)
CLAIM_CHUNK = 500


def _claim(level: int, invoice_ids: list[int], recipients: dict[int, list[str]]) -> set[int]:
    """Insert the reminders of ``level`` not yet recorded; the ids of the invoices this run claimed."""
    table = InvoiceReminder._meta.db_table
    claimed: set[int] = set()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    as_json = InvoiceReminder._meta.get_field("recipients")
    with connection.cursor() as cursor:
        for start in range(0, len(invoice_ids), CLAIM_CHUNK):
            chunk = invoice_ids[start : start + CLAIM_CHUNK]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            params = []
            for pk in chunk:
                params += [pk, level, now, as_json.get_db_prep_value(recipients[pk], connection)]
            cursor.execute(
                f"INSERT INTO {table} (invoice_id, level, sent_at, recipients) VALUES {values} "
                "ON CONFLICT (invoice_id, level) DO NOTHING RETURNING invoice_id",
                params,
            )
            claimed.update(row[0] for row in cursor.fetchall())
    return claimed


@transaction.atomic
def send_overdue_reminders(day: datetime.date) -> list[InvoiceReminder]:
    finance_emails = set(
        get_user_model()
        .objects.filter(groups__name=Role.FINANCE, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    claimed_rows, messages = [], []
    for level in sorted(settings.OVERDUE_REMINDER_DAYS):
        due = list(
            with_outstanding(
                Invoice.objects.filter(
                    state__in=[InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID],
                    due_date__lte=day - datetime.timedelta(days=level),
                ).exclude(reminders__level=level)
            )
            .select_related("contract__opportunity__owner", "contract__opportunity__customer")
            .order_by("pk")
        )
        recipients = {}
        # those who turned the portal's e-mails off are not written to (one query for the level)
        wanted = mail_wanted(finance_emails | {inv.contract.opportunity.owner.email for inv in due})
        for invoice in due:
            owner = invoice.contract.opportunity.owner
            recipients[invoice.pk] = sorted((finance_emails | {owner.email}) & wanted)
        claimed = _claim(level, [inv.pk for inv in due], recipients)
        for invoice in due:
            if invoice.pk not in claimed:
                continue  # another run claimed it a moment ago and mails it
            claimed_rows.append((invoice.pk, level))
            if not recipients[invoice.pk]:
                continue
            messages.append(
                (
                    str(
                        _("Invoice %(number)s is %(days)s days overdue")
                        % {"number": invoice.number, "days": (day - invoice.due_date).days}
                    ),
                    str(
                        _(
                            "%(customer)s: %(outstanding)s %(cur)s of %(total)s outstanding, due on %(due)s "
                            "(contract %(contract)s)."
                        )
                        % {
                            "customer": invoice.contract.opportunity.customer.name,
                            "outstanding": money_text(invoice.outstanding),
                            "total": money_text(invoice.total),
                            "cur": invoice.currency,
                            "due": invoice.due_date,
                            "contract": invoice.contract.number,
                        }
                    ),
                    settings.DEFAULT_FROM_EMAIL,
                    recipients[invoice.pk],
                )
            )
    mail_after_commit(messages)
    if not claimed_rows:
        return []
    levels = {}
    for pk, level in claimed_rows:
        levels.setdefault(level, []).append(pk)
    made = []
    for level, pks in levels.items():
        made += list(InvoiceReminder.objects.filter(level=level, invoice_id__in=pks).order_by("invoice_id"))
    return made
