"""Overdue reminders (DOMAIN.md §5.3): at 1, 15 and 30 days overdue (setting OVERDUE_REMINDER_DAYS),
each level once per invoice (recorded), e-mailed to the opportunity's owner (sales) and finance after
commit. A constant number of queries per level, whatever the number of invoices."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from ltc_portal.core.events import mail_after_commit
from ltc_portal.core.roles import Role

from .models import Invoice, InvoiceReminder, InvoiceState


@transaction.atomic
def send_overdue_reminders(day: datetime.date) -> list[InvoiceReminder]:
    finance_emails = set(
        get_user_model()
        .objects.filter(groups__name=Role.FINANCE, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    made, messages = [], []
    for level in sorted(settings.OVERDUE_REMINDER_DAYS):
        due = (
            Invoice.objects.filter(
                state__in=[InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID],
                due_date__lte=day - datetime.timedelta(days=level),
            )
            .exclude(reminders__level=level)
            .select_related("contract__opportunity__owner", "contract__opportunity__customer")
        )
        batch = []
        for invoice in due:
            owner = invoice.contract.opportunity.owner
            recipients = sorted(finance_emails | ({owner.email} if owner.email else set()))
            batch.append(InvoiceReminder(invoice=invoice, level=level, recipients=recipients))
            if recipients:
                days = (day - invoice.due_date).days
                messages.append(
                    (
                        str(
                            _("Invoice %(number)s is %(days)s days overdue") % {"number": invoice.number, "days": days}
                        ),
                        str(
                            _("%(customer)s: %(total)s %(cur)s due on %(due)s (contract %(contract)s).")
                            % {
                                "customer": invoice.contract.opportunity.customer.name,
                                "total": invoice.total,
                                "cur": invoice.currency,
                                "due": invoice.due_date,
                                "contract": invoice.contract.number,
                            }
                        ),
                        settings.DEFAULT_FROM_EMAIL,
                        recipients,
                    )
                )
        made.extend(InvoiceReminder.objects.bulk_create(batch, ignore_conflicts=True))
    mail_after_commit(messages)
    return made
