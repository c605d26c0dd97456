"""How contracts follow their invoices (domain events from finance, named by label so that contracts
imports nothing downstream; same transaction): a handed-over contract whose payment milestones are all
due and invoiced is fulfilled; a fulfilled one whose invoices are all paid, void or written off is
closed. A contract handed over after its invoicing is fulfilled then."""

from ltc_portal.core.events import Event, on

from .models import Contract
from .services import contract_follow_invoices


@on("finance.Invoice", "issue", "pay", "void", "write_off")
def invoice_moved(event: Event) -> None:
    contract_follow_invoices(contract=event.subject.contract, user=event.user)


@on(Contract, "hand_over")
def handed_over(event: Event) -> None:
    contract_follow_invoices(contract=event.subject, user=event.user)
