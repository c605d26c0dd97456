from decimal import Decimal

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ltc_portal.core import panels
from ltc_portal.core.money import money_text
from opportunities.selectors import opportunity_visible, reads_every_opportunity

from .models import Contract, ContractAmendment, PaymentMilestone

MONEY = DecimalField(max_digits=18, decimal_places=2)


def contract_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Contract.objects.all() if qs is None else qs
    # every contract hangs off an opportunity: whoever reads them all reads every contract (no semi-join)
    return qs if reads_every_opportunity(user) else qs.filter(opportunity__in=opportunity_visible(user))


def contract_list(user) -> QuerySet:
    return (
        contract_visible(user)
        .select_related("opportunity", "opportunity__customer")
        .prefetch_related("payment_milestones", "amendments")
    )


def payment_milestone_list(user) -> QuerySet:
    return PaymentMilestone.objects.filter(contract__in=contract_visible(user)).select_related("contract")


def customer_contracts_panel(customer, user) -> dict | None:
    """The customer's page: their contracts the user reads with the current value (signed value plus
    amendments), newest first (one query)."""
    amended = (
        ContractAmendment.objects.filter(contract=OuterRef("pk"))
        .order_by()
        .values("contract")
        .annotate(t=Sum("value_change"))
        .values("t")
    )
    theirs = contract_visible(user).filter(opportunity__customer=customer)
    rows = list(
        theirs.annotate(
            amended=Coalesce(Subquery(amended, output_field=MONEY), Value(Decimal(0), output_field=MONEY))
        ).order_by("-created_at", "-id")[: panels.RECORD_ROWS + 1]
    )
    return panels.record_panel(
        total=theirs.count,
        id="customer-contracts",
        title=_("Contracts"),
        columns=[(_("Contract"), False), (_("State"), False), (_("Current value"), True), (_("Signed on"), False)],
        rows=rows,
        row=lambda c: (
            reverse("contracts:contract-detail", args=[c.pk]),
            [
                panels.cell(c.number),
                panels.cell(c.get_state_display(), badge=c.state),
                panels.cell(money_text(c.value + c.amended, c.currency), end=True),
                panels.cell(c.signed_date.isoformat() if c.signed_date else "—"),
            ],
        ),
    )
