"""Every write on budgets."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from delivery.models import Project
from ltc_portal.core.fsm import TransitionRefused, apply_transition, lock, record_transition, run_transition
from ltc_portal.core.money import quantize

from .models import Budget, BudgetLine, BudgetState


def _write_lines(budget, lines):
    budget.lines.all().delete()
    built = []
    for data in lines:
        line = BudgetLine(budget=budget, **{k: v for k, v in data.items() if k in ("category", "amount", "note")})
        line.full_clean(exclude=["budget"])
        built.append(line)
    BudgetLine.objects.bulk_create(built)
    budget.total = quantize(sum((li.amount for li in built), start=quantize(0)))


@transaction.atomic
def budget_create(*, project: Project, user, data: dict) -> Budget:
    """A new budget version (draft) in the project currency."""
    project = lock(project)
    if not user.has_perm("delivery.change_project", project):
        raise PermissionDenied(_("Only the project's PM or the PMO draft its budget."))
    data = dict(data)
    currency = data.pop("currency", project.currency)
    if currency != project.currency:
        raise ValidationError({"currency": [_("A budget is in the project currency (%(cur)s).")
                                            % {"cur": project.currency}]})
    if project.budgets.filter(state__in=[BudgetState.DRAFT]).exists():
        raise TransitionRefused(_("The project already has a draft budget: change or submit it."))
    version = (project.budgets.aggregate(v=Max("version"))["v"] or 0) + 1
    budget = Budget(project=project, version=version, currency=currency, note=data.get("note", ""),
                    created_by=user, updated_by=user)
    budget.save()
    _write_lines(budget, data.get("lines") or [])
    budget.save(update_fields=["total"])
    record_transition(budget, "open", "", BudgetState.DRAFT, user)
    return budget


@transaction.atomic
def budget_update(*, budget: Budget, user, data: dict) -> Budget:
    """Change a draft version; a submitted or approved version is never edited."""
    budget = lock(budget)
    if not user.has_perm("finance.change_budget", budget):
        raise PermissionDenied(_("Only the project's PM or the PMO change its budget."))
    if budget.state != BudgetState.DRAFT:
        raise TransitionRefused(_("Budget version %(v)s is %(state)s and is never edited: make a new version.")
                                % {"v": budget.version, "state": budget.get_state_display()})
    if "currency" in data and data["currency"] != budget.currency:
        raise ValidationError({"currency": [_("A budget is in the project currency (%(cur)s).")
                                            % {"cur": budget.currency}]})
    if "note" in data:
        budget.note = data["note"]
    if "lines" in data:
        _write_lines(budget, data["lines"])
    budget.updated_by = user
    budget.save()
    return budget


def budget_transition(budget: Budget, name: str, *, user, reason: str = "") -> Budget:
    return run_transition(budget, name, user=user, reason=reason)


def budget_current(project: Project) -> Budget | None:
    """The project's current budget: its latest approved version."""
    return project.budgets.filter(state=BudgetState.APPROVED).order_by("-version").first()


@transaction.atomic
def budget_approve_submitted(*, project: Project, user, reason: str = "") -> Budget | None:
    """DR1 approved: the latest submitted version becomes the approved (current) budget."""
    budget = project.budgets.filter(state=BudgetState.SUBMITTED).order_by("-version").first()
    if budget is None:
        return None
    return apply_transition(lock(budget), "approve", user, reason=reason)


@transaction.atomic
def budget_version_for_change(*, change, user) -> Budget:
    """An approved change with a cost impact: the next version (submitted) is the current budget with
    the impact applied — a line for an increase; a saving taken from the largest lines, never below
    zero."""
    project = change.project
    base = budget_current(project) or project.budgets.order_by("-version").first()
    lines = [{"category": li.category, "amount": li.amount, "note": li.note} for li in (base.lines.all() if base else [])]
    note = _("Change #%(id)s: %(title)s") % {"id": change.pk, "title": change.title}
    if change.cost_impact > 0:
        lines.append({"category": "other", "amount": quantize(change.cost_impact), "note": note[:200]})
    else:
        saving = -change.cost_impact
        for line in sorted(lines, key=lambda li: li["amount"], reverse=True):
            cut = min(saving, line["amount"])
            line["amount"] -= cut
            saving -= cut
            if not saving:
                break
    version = (project.budgets.aggregate(v=Max("version"))["v"] or 0) + 1
    budget = Budget.objects.create(project=project, version=version, currency=project.currency, note=note,
                                   created_by=user, updated_by=user)
    _write_lines(budget, lines)
    budget.save(update_fields=["total"])
    record_transition(budget, "open", "", BudgetState.DRAFT, user, reason=note)
    return apply_transition(budget, "submit", user, reason=note)
