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

from contracts.models import PaymentMilestone, PaymentMilestoneState
from ltc_portal.core.fsm import TransitionRefused, lock, log_created, run_effect, run_transition
from ltc_portal.core.money import quantize

from ..models import Invoice, InvoiceCounter, InvoiceState, Receipt, ReceiptAllocation
from ..rules import is_finance_user
from .costs import require_open_period

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
    amount = data.pop("amount", None) or remaining
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
    invoice.tax_amount = quantize(invoice.amount * invoice.tax_rate_percent / 100)
    invoice.total = invoice.amount + invoice.tax_amount
    invoice.full_clean(exclude=["state"])
    invoice.save()
    log_created(invoice, user=user)
    return invoice


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


def _outstanding(invoice: Invoice) -> Decimal:
    return invoice.total - (invoice.allocations.aggregate(t=Sum("amount"))["t"] or Decimal(0))


def _allocate(receipt: Receipt, items: list[dict], user: User) -> list[ReceiptAllocation]:
    """Apply ``items`` ({invoice, amount}) of a locked receipt; refused as a whole (400) when one is
    wrong."""
    already = receipt.allocations.aggregate(t=Sum("amount"))["t"] or Decimal(0)
    left = receipt.amount - already
    errors, made, touched = [], [], []
    for i, item in enumerate(items):
        invoice = lock(item["invoice"])
        amount = quantize(item["amount"])
        label = {"n": i + 1, "inv": invoice}
        if invoice.contract.opportunity.customer_id != receipt.customer_id:
            errors.append(_("Allocation %(n)s: %(inv)s is not this customer's invoice.") % label)
        elif invoice.currency != receipt.currency:
            errors.append(_("Allocation %(n)s: %(inv)s is in %(cur)s.") % {**label, "cur": invoice.currency})
        elif invoice.state not in PAYABLE_STATES:
            errors.append(
                _("Allocation %(n)s: %(inv)s is %(state)s.") % {**label, "state": invoice.get_state_display()}
            )
        elif amount <= 0:
            errors.append(_("Allocation %(n)s: give a positive amount.") % label)
        elif amount > _outstanding(invoice):
            errors.append(
                _("Allocation %(n)s: %(amount)s is more than %(inv)s's outstanding %(out)s.")
                % {**label, "amount": amount, "out": _outstanding(invoice)}
            )
        elif amount > left:
            errors.append(
                _("Allocation %(n)s: %(amount)s is more than is left on the receipt (%(left)s).")
                % {**label, "amount": amount, "left": left}
            )
        else:
            left -= amount
            made.append(
                ReceiptAllocation.objects.create(receipt=receipt, invoice=invoice, amount=amount, date=receipt.date)
            )
            touched.append(invoice)
    if errors:
        raise ValidationError({"allocations": errors})
    for invoice in {inv.pk: inv for inv in touched}.values():
        step = "pay" if _outstanding(invoice) == 0 else "pay_partly"
        run_effect(invoice, step, user=user, reason=_("Receipt %(ref)s") % {"ref": receipt.reference})
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
    _allocate(receipt, items, user)
    return receipt


@transaction.atomic
def receipt_allocate(*, receipt: Receipt, user: User, allocations: list[dict]) -> Receipt:
    """Allocate more of a receipt's credit to the customer's invoices."""
    _require_finance(user, _("Only finance allocates receipts."))
    receipt = lock(receipt)
    require_open_period(day=receipt.date)
    _allocate(receipt, allocations, user)
    return receipt
