"""Invoices and receipts (DOMAIN.md §5.3): finance invoices due payment milestones, issues them
(numbered at issue, one gap-free sequence per year), voids (nothing paid) or writes them off, and
records receipts allocated to a customer's issued invoices in the same currency.

- An invoice is for a due payment milestone, never for more than the milestone in total (void
  invoices aside). Net amount, tax = net × rate (to the cent, half up), total = net + tax.
- ``issue`` takes the number from the year's counter row, locked with ``select_for_update`` (two
  finance users issuing at once get consecutive numbers, no gap, no twin); due date = issue date +
  the contract's payment term.
- A receipt's allocations never exceed the receipt nor any invoice's outstanding amount; what is not
  allocated stays on the receipt as the customer's credit. Allocating moves the invoice to
  ``partially_paid`` or ``paid`` (logged).
"""

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from contracts.models import PaymentMilestone, PaymentMilestoneState
from ltc_portal.core.fsm import TransitionRefused, lock, log_created, run_effect, run_transition, said
from ltc_portal.core.money import fit, quantize

from ..models import Invoice, InvoiceCounter, InvoiceState, Receipt, ReceiptAllocation
from ..rules import is_finance_user
from ..selectors import in_closed_period, invoiced_per_milestone, paid_per_invoice, period_of
from .costs import require_open_period

TAX_AMOUNT, TOTAL = Invoice._meta.get_field("tax_amount"), Invoice._meta.get_field("total")
PAYABLE_STATES = (InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID)


def _require_finance(user: User, what: str) -> None:
    if not is_finance_user(user):
        raise PermissionDenied(what)


def _invoiced_total(milestone: PaymentMilestone) -> Decimal:
    """What is invoiced on the milestone so far (void invoices count for nothing)."""
    return milestone.invoices.exclude(state=InvoiceState.VOID).aggregate(t=Sum("amount"))["t"] or Decimal(0)


@transaction.atomic
def invoice_create(*, user: User, data: dict) -> Invoice:
    """A draft invoice of a due payment milestone (finance): the milestone's remaining amount unless
    ``amount`` says less; ``tax_rate_percent`` (default 0); optional ``issue_date`` for the issue."""
    _require_finance(user, _("Only finance drafts invoices."))
    data = dict(data)
    milestone = (
        PaymentMilestone.objects.select_for_update().select_related("contract").get(pk=data.pop("payment_milestone").pk)
    )
    if milestone.state != PaymentMilestoneState.DUE:
        raise TransitionRefused(
            _("Only a due payment milestone is invoiced."),
            [_("“%(name)s” is %(state)s.") % {"name": milestone.name, "state": milestone.get_state_display()}],
        )
    remaining = milestone.amount - _invoiced_total(milestone)
    amount = data.pop("amount", None)
    if amount is None:
        amount = remaining
    if amount <= 0:
        raise ValidationError({"amount": [_("An invoice is for a positive amount.")]})
    if amount > remaining:
        raise ValidationError(
            {
                "amount": [
                    _("%(amount)s is more than is left to invoice on this milestone (%(left)s %(cur)s).")
                    % {"amount": amount, "left": remaining, "cur": milestone.contract.currency}
                ]
            }
        )
    unknown = set(data) - {"tax_rate_percent", "issue_date"}
    if unknown:
        raise ValidationError({f: [_("This field cannot be set here.")] for f in sorted(unknown)})
    invoice = Invoice(
        contract=milestone.contract,
        payment_milestone=milestone,
        amount=amount,
        currency=milestone.contract.currency,
        created_by=user,
        updated_by=user,
        **data,
    )
    invoice.tax_amount = fit(invoice.amount * invoice.tax_rate_percent / 100, TAX_AMOUNT, key="tax_rate_percent")
    invoice.total = fit(invoice.amount + invoice.tax_amount, TOTAL, key="tax_rate_percent")
    invoice.full_clean(exclude=["state"])
    invoice.save()
    _recount_invoiced(milestone)
    log_created(invoice, user=user)
    return invoice


def _recount_invoiced(milestone: PaymentMilestone) -> None:
    """The milestone's invoiced amount, recounted from its invoices (one UPDATE; the milestone is locked)."""
    PaymentMilestone.objects.filter(pk=milestone.pk).update(invoiced_amount=invoiced_per_milestone())


def _next_number(year: int) -> str:
    counter, _created = InvoiceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"INV-{year:04d}-{counter.last:06d}"


@transaction.atomic
def invoice_transition(
    *, invoice: Invoice, name: str, user: User, reason: str = "", issue_date: datetime.date | None = None
) -> Invoice:
    """``issue`` (number, issue date — today unless given — and due date), ``void`` (reason; nothing
    paid; the number is kept) and ``write_off`` (reason). Finance only."""
    _require_finance(user, _("Only finance issues, voids and writes off invoices."))
    if name == "void":  # what it invoiced is free to invoice again
        PaymentMilestone.objects.select_for_update().get(pk=invoice.payment_milestone_id)
        voided = run_transition(invoice, name, user=user, reason=reason)
        _recount_invoiced(voided.payment_milestone)
        return voided
    if name != "issue":
        return run_transition(invoice, name, user=user, reason=reason)

    def number(locked: Invoice) -> dict:
        day = issue_date or locked.issue_date or timezone.localdate()
        require_open_period(day=day)
        locked.issue_date = day
        locked.due_date = day + datetime.timedelta(days=locked.contract.payment_term_days)
        locked.number = _next_number(day.year)
        return {"number": locked.number}

    return run_transition(invoice, "issue", user=user, reason=reason, prepare=number)


def _allocate(receipt: Receipt, items: list[dict], user: User, on: datetime.date) -> list[ReceiptAllocation]:
    """Apply ``items`` ({invoice, amount}) of a locked receipt; refused as a whole (400) when one is
    wrong. An allocation is dated ``on`` (the receipt's date when the receipt is recorded, the day of
    the allocation when credit is applied later), and never before the invoice's issue date: the
    money settles the invoice from that day, in that day's period (which must be open)."""
    already = receipt.allocations.aggregate(t=Sum("amount"))["t"] or Decimal(0)
    left = receipt.amount - already
    # the invoices are locked in one order (by id), so two allocations at once cannot deadlock
    wanted = {item["invoice"].pk for item in items}
    locked = {inv.pk: inv for inv in Invoice.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
    paid = {pk: inv.paid_amount for pk, inv in locked.items()}  # kept with every allocation (below)
    customers = dict(Invoice.objects.filter(pk__in=wanted).values_list("pk", "contract__opportunity__customer_id"))
    errors, made, touched = [], [], {}
    for i, item in enumerate(items):
        invoice = locked[item["invoice"].pk]
        amount = quantize(item["amount"])
        outstanding = invoice.total - paid.get(invoice.pk, Decimal(0))
        day = max(on, invoice.issue_date) if invoice.issue_date else on
        label = {"n": i + 1, "inv": invoice}
        if customers[invoice.pk] != receipt.customer_id:
            errors.append(_("Allocation %(n)s: %(inv)s is not this customer's invoice.") % label)
        elif invoice.currency != receipt.currency:
            errors.append(_("Allocation %(n)s: %(inv)s is in %(cur)s.") % {**label, "cur": invoice.currency})
        elif invoice.state not in PAYABLE_STATES:
            errors.append(
                _("Allocation %(n)s: %(inv)s is %(state)s.") % {**label, "state": invoice.get_state_display()}
            )
        elif amount <= 0:
            errors.append(_("Allocation %(n)s: give a positive amount.") % label)
        elif amount > outstanding:
            errors.append(
                _("Allocation %(n)s: %(amount)s is more than %(inv)s's outstanding %(out)s.")
                % {**label, "amount": amount, "out": outstanding}
            )
        elif amount > left:
            errors.append(
                _("Allocation %(n)s: %(amount)s is more than is left on the receipt (%(left)s).")
                % {**label, "amount": amount, "left": left}
            )
        elif in_closed_period(day):
            errors.append(
                _("Allocation %(n)s: it would be dated %(day)s, in closed period %(period)s.")
                % {**label, "day": day, "period": period_of(day)}
            )
        else:
            left -= amount
            paid[invoice.pk] = paid.get(invoice.pk, Decimal(0)) + amount
            made.append(ReceiptAllocation(receipt=receipt, invoice=invoice, amount=amount, date=day))
            touched[invoice.pk] = invoice
    if errors:
        raise ValidationError({"allocations": errors})
    made = ReceiptAllocation.objects.bulk_create(made)
    # each invoice's paid amount is its allocations' sum, recounted from them in one UPDATE
    Invoice.objects.filter(pk__in=touched).update(paid_amount=paid_per_invoice())
    for invoice in touched.values():
        step = "pay" if invoice.total == paid[invoice.pk] else "pay_partly"
        run_effect(invoice, step, user=user, reason=said(gettext_noop("Receipt %(ref)s"), ref=receipt.reference))
    return made


@transaction.atomic
def receipt_create(*, user: User, data: dict) -> Receipt:
    """Record money received (finance), dated in an open period, and allocate it (``allocations``:
    [{invoice, amount}]); the rest is the customer's credit."""
    _require_finance(user, _("Only finance records receipts."))
    data = dict(data)
    items = data.pop("allocations", None) or []
    receipt = Receipt(created_by=user, updated_by=user, **data)
    receipt.currency = (receipt.currency or "").upper()
    receipt.full_clean()
    require_open_period(day=receipt.date)
    receipt.save()
    _allocate(receipt, items, user, receipt.date)
    log_created(receipt, user=user)  # published: integrators hear of it (receipt.recorded)
    return receipt


@transaction.atomic
def receipt_allocate(
    *, receipt: Receipt, user: User, allocations: list[dict], date: datetime.date | None = None
) -> Receipt:
    """Allocate more of a receipt's credit to the customer's invoices, dated ``date`` (today unless
    given; never before the receipt). The receipt's own period may be closed by now: the credit is
    applied in the allocation's period."""
    _require_finance(user, _("Only finance allocates receipts."))
    receipt = lock(receipt)
    if date is not None and date > timezone.localdate():
        raise ValidationError({"date": [_("An allocation is dated today or earlier, not in the future.")]})
    on = max(date or timezone.localdate(), receipt.date)
    _allocate(receipt, allocations, user, on)
    return receipt
