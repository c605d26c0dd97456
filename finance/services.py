"""Every write on budgets."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from delivery.models import Project
from ltc_portal.core.fsm import TransitionRefused, lock, record_transition, run_transition
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
