"""Finance's part of a project's end, for the tests that take a project through DR4: every payment
milestone invoiced in full and the final accounts (决算) prepared."""

from django.utils import timezone

from finance import services as finance


def invoice_every_payment(project, cast, when=None):
    """Issue an invoice for what is left on each due payment milestone of the project's contract (those
    invoiced in full already are left as they are)."""
    when = when or timezone.localdate()
    invoices = []
    for payment in project.contract.payment_milestones.filter(state="due"):
        invoiced = sum(i.amount for i in payment.invoices.exclude(state="void"))
        if invoiced >= payment.amount:
            continue
        invoice = finance.invoice_create(user=cast.finance, data={"payment_milestone": payment})
        invoices.append(finance.invoice_transition(invoice=invoice, name="issue", user=cast.finance, issue_date=when))
    return invoices


def prepare_final_accounts(project, cast, explanation="Delivered on budget; the variances are explained below."):
    final = finance.final_account_create(project=project, user=cast.finance, data={"explanation": explanation})
    return finance.final_account_transition(final=final, name="prepare", user=cast.finance)
