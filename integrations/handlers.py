"""The steps integrators hear of: each raises its event's deliveries, in the step's transaction (they
are posted once it commits)."""

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
            "gate_review": review.pk,
            "gate": review.gate.code,
            "subject_type": review.content_type.model,
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
            "amount": _money(invoice.amount),
            "tax_rate_percent": _money(invoice.tax_rate_percent),
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
            "reference": receipt.reference,
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
            "final_acceptance_date": _date(project.final_acceptance_date),
        },
    )
