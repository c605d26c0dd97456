"""The steps integrators hear of: each raises its event's deliveries, in the step's transaction (they
are posted once it commits).

A body's ``data`` speaks the API's names (API.md): a record's id under its resource's singular name
(``review``, ``contract``, ``invoice``, ``receipt``, ``project``; as ``review`` in a subject's gates),
its links under their field names, codes and states as the API gives them (``subject_type`` is
``opportunity`` | ``project`` | ``change_request``, never a model name), money as a decimal string beside
its currency, dates ISO 8601. tests/integrations/test_webhook_bodies.py holds each event to it."""

from contracts.models import Contract
from delivery.models import Project
from finance.models import Invoice, Receipt
from ltc_portal.controls.models import GateReview
from ltc_portal.core.events import CREATED, Event, on

from . import services
from .models import Event as Hook


def _money(value) -> str | None:
    return None if value is None else str(value)


def _date(value) -> str | None:
    return value.isoformat() if value else None


@on(GateReview, "approve", "reject")
def gate_decided(event: Event) -> None:
    review = event.subject
    services.event_raise(
        event=Hook.GATE_DECIDED,
        data={
            "review": review.pk,
            "gate": review.gate.code,
            "subject_type": review.gate.subject_type,
            "subject_id": review.object_id,
            "state": review.state,
            "decided_by": event.user.username if event.user else None,
            "comment": event.reason,
        },
    )


@on(Contract, "sign")
def contract_signed(event: Event) -> None:
    contract = event.subject
    services.event_raise(
        event=Hook.CONTRACT_SIGNED,
        data={
            "contract": contract.pk,
            "number": contract.number,
            "opportunity": contract.opportunity_id,
            "value": _money(contract.value),
            "currency": contract.currency,
            "signed_date": _date(contract.signed_date),
        },
    )


@on(Invoice, "issue")
def invoice_issued(event: Event) -> None:
    invoice = event.subject
    services.event_raise(
        event=Hook.INVOICE_ISSUED,
        data={
            "invoice": invoice.pk,
            "number": invoice.number,
            "contract": invoice.contract_id,
            "payment_milestone": invoice.payment_milestone_id,
            "amount": _money(invoice.amount),
            "tax_rate_percent": _money(invoice.tax_rate_percent),
            "tax_amount": _money(invoice.tax_amount),
            "total": _money(invoice.total),
            "currency": invoice.currency,
            "issue_date": _date(invoice.issue_date),
            "due_date": _date(invoice.due_date),
        },
    )


@on(Receipt, CREATED)
def receipt_recorded(event: Event) -> None:
    receipt = event.subject
    services.event_raise(
        event=Hook.RECEIPT_RECORDED,
        data={
            "receipt": receipt.pk,
            "customer": receipt.customer_id,
            "amount": _money(receipt.amount),
            "currency": receipt.currency,
            "date": _date(receipt.date),
            "payer": receipt.payer,
            "reference": receipt.reference,
            "allocations": [
                {"invoice": a.invoice_id, "amount": _money(a.amount), "date": _date(a.date)}
                for a in receipt.allocations.order_by("pk")
            ],
        },
    )


@on(Project, "dr4")
def project_closed(event: Event) -> None:
    project = event.subject
    services.event_raise(
        event=Hook.PROJECT_CLOSED,
        data={
            "project": project.pk,
            "name": project.name,
            "opportunity": project.opportunity_id,
            "contract": project.contract_id,
            "state": project.state,
            "final_acceptance_date": _date(project.final_acceptance_date),
            "final_acceptance_by": project.final_acceptance_by,
            "final_acceptance_ref": project.final_acceptance_ref,
        },
    )
