"""Checklist predicates of the delivery reviews in pre-sales (DTRB, DRA, DTRC, DRB), the checks
delivery adds to the sales gates (ATB needs DRA and DTRB; ATC needs DRB and DTRC), and the project
as a gate subject (requested by its PM)."""

from django.utils.translation import gettext_lazy as _

from ltc_portal.controls import registry
from ltc_portal.controls.services import is_approved
from ltc_portal.core.fsm import check
from opportunities.gates import latest_quote

from .models import Project, ProjectState
from .selectors import project_visible


@check(_("The project must be in analyze (pre-sales, before ATB)."))
def in_analyze(project):
    """Project in analyze."""
    return project.state == ProjectState.ANALYZE


@check(_("The project must be in plan (after ATB, before the contract)."))
def in_plan(project):
    """Project in plan."""
    return project.state == ProjectState.PLAN


@check(_("Record the technical solution."))
def technical_solution(project):
    """Technical solution recorded."""
    return bool(project.technical_solution.strip())


@check(_("Record the delivery approach."))
def delivery_approach(project):
    """Delivery approach recorded."""
    return bool(project.delivery_approach.strip())


@check(_("The opportunity needs a quote with a cost estimate (概算)."))
def cost_estimate(project):
    """Cost estimate (概算) recorded on the quote."""
    q = latest_quote(project.opportunity)
    return bool(q and q.estimate_lines.exists())


@check(_("Record the key risks."))
def key_risks(project):
    """Key risks recorded."""
    return bool(project.key_risks.strip())


@check(_("Record the final scope."))
def final_scope(project):
    """Final scope recorded."""
    return bool(project.final_scope.strip())


@check(_("Record the delivery plan draft."))
def delivery_plan(project):
    """Delivery plan draft recorded."""
    return bool(project.delivery_plan.strip())


@check(_("Assign the project manager."))
def pm_assigned(project):
    """Project manager assigned."""
    return project.pm_id is not None


def _reviews_approved(opp, codes) -> list[str]:
    project = getattr(opp, "project", None)
    if project is None:
        return [str(_("The opportunity has no delivery project yet (it opens when ATI is approved)."))]
    return [str(_("%(code)s must be approved on the delivery project.") % {"code": c})
            for c in codes if not is_approved(project, c)]


@check(_("DRA and DTRB must be approved on the delivery project."))
def dra_dtrb_approved(opp):
    """DRA and DTRB approved."""
    return _reviews_approved(opp, ("DTRB", "DRA"))


@check(_("DRB and DTRC must be approved on the delivery project."))
def drb_dtrc_approved(opp):
    """DRB and DTRC approved."""
    return _reviews_approved(opp, ("DTRC", "DRB"))


def can_request(project, user) -> bool:
    return bool(user and user.is_authenticated and project.pm_id == user.pk)


def register():
    registry.register_subject("project", Project, can_request=can_request, requester=_("the project's PM"),
                              visible=project_visible)
    for key, c in {
        "project.in_analyze": in_analyze, "project.in_plan": in_plan, "project.pm_assigned": pm_assigned,
        "project.technical_solution": technical_solution, "project.delivery_approach": delivery_approach,
        "project.cost_estimate": cost_estimate, "project.key_risks": key_risks,
        "project.final_scope": final_scope, "project.delivery_plan": delivery_plan,
        "delivery.dra_dtrb_approved": dra_dtrb_approved, "delivery.drb_dtrc_approved": drb_dtrc_approved,
    }.items():
        registry.register_check(key, c)
