from django.db.models import Q, QuerySet

from ltc_portal.core.roles import Role, user_roles

from .models import Project, TeamMember

ALL_READERS = {Role.PMO, Role.FINANCE, Role.EXECUTIVE, Role.SOLUTION, Role.SALES_DIRECTOR}


def project_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Project.objects.all() if qs is None else qs
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser or (user_roles(user) & ALL_READERS):
        return qs
    member_of = TeamMember.objects.filter(user=user).values("project_id")
    return qs.filter(Q(pm=user) | Q(opportunity__owner=user) | Q(pk__in=member_of))


def project_list(user) -> QuerySet:
    return project_visible(user).select_related("opportunity", "opportunity__customer", "pm", "contract")


def project_records(user, model, qs: QuerySet | None = None) -> QuerySet:
    """The records of ``model`` (anything with a ``project``) on the projects the user may see."""
    qs = model.objects.all() if qs is None else qs
    return qs.filter(project__in=project_visible(user)).select_related("project")
