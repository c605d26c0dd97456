from django.db.models import QuerySet

from ltc_portal.core.roles import Role, has_role, sees_everything

from .models import Opportunity


def opportunity_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Opportunity.objects.all() if qs is None else qs
    if sees_everything(user):
        return qs
    if has_role(user, Role.SALES):
        return qs.filter(owner=user)
    return qs.none()


def opportunity_list(user) -> QuerySet:
    return opportunity_visible(user).select_related("customer", "owner", "lead")
