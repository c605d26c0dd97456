from django.db.models import QuerySet

from opportunities.selectors import opportunity_visible

from .models import Contract, PaymentMilestone


def contract_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Contract.objects.all() if qs is None else qs
    return qs.filter(opportunity__in=opportunity_visible(user))


def contract_list(user) -> QuerySet:
    return (
        contract_visible(user)
        .select_related("opportunity", "opportunity__customer")
        .prefetch_related("payment_milestones", "amendments")
    )


def payment_milestone_list(user) -> QuerySet:
    return PaymentMilestone.objects.filter(contract__in=contract_visible(user)).select_related("contract")
