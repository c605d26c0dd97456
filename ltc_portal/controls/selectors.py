from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Q, QuerySet

from ltc_portal.core.roles import user_roles

from . import registry
from .models import GateReview, ReviewState


def subjects_prefetch() -> GenericPrefetch:
    """Load the reviews' subjects with what each subject type needs in lists (e.g. a change request's
    project and its delegations, which decide who holds the change authority)."""
    return GenericPrefetch("subject", [(st.prefetch or st.model._default_manager.all)()
                                       for st in registry.subject_types().values()])


def reviews_waiting_for(user) -> list[GateReview]:
    """Pending reviews that one of the user's roles must still decide, oldest first. The requester
    and anyone who already decided the review are left out (they may not decide it)."""
    roles = set(user_roles(user))
    subject_roles = registry.subject_roles()
    qs = (GateReview.objects.filter(state=ReviewState.PENDING).exclude(requested_by=user)
          .exclude(decisions__decided_by=user)
          .select_related("gate", "requested_by", "content_type")
          .prefetch_related("decisions__decided_by", subjects_prefetch())
          .order_by("created_at", "id"))
    waiting = []
    for review in qs:
        open_roles = set(review.required_roles) - {d.role for d in review.decisions.all()}
        if open_roles & roles or any(subject_roles[r][1](review.subject, user) for r in open_roles & set(subject_roles)):
            waiting.append(review)
    return waiting


def review_visible(user, qs: QuerySet | None = None) -> QuerySet:
    """Reviews on subjects the user may see (each subject type says which), and those they requested."""
    qs = GateReview.objects.all() if qs is None else qs
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    match = Q(requested_by=user)
    for st in registry.subject_types().values():
        match |= Q(content_type=ContentType.objects.get_for_model(st.model), object_id__in=st.visible(user).values("pk"))
    return qs.filter(match)
