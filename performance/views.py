"""Browser pages of performance: "My performance" (each person's published appraisals, with a chart by
dimension, acknowledge or appeal; a PM's team) and HR's workspace (cycles and their steps with the
scoring progress, the calibration table against the grade caps, the appeals queue). Thin: services
write; refusals are messages in the services' words."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ltc_portal.core.fsm import describe_transitions
from ltc_portal.core.pages import run_then_redirect

from . import selectors, services
from .models import GRADES, AppealState, AppraisalCycle, CycleState, Dimension
from .rules import is_hr_user


def _run(request, action, done: str, back: str):
    return run_then_redirect(request, action, done=done, back=back)


def _by_dimension(appraisal) -> dict:
    """The mean indicator score per dimension (measured ones), for the chart."""
    sums: dict[str, list] = {}
    for r in appraisal.results:
        if r["measured"]:
            acc = sums.setdefault(r.get("dimension", ""), [Decimal(0), 0])
            acc[0] += Decimal(r["score"])
            acc[1] += 1
    labels = [str(label) for code, label in Dimension.choices if code in sums]
    data = [float(sums[code][0] / sums[code][1]) for code, _label in Dimension.choices if code in sums]
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": [{"label": str(_("Score by dimension")), "data": data}]},
        "options": {
            "responsive": True,
            "scales": {"y": {"min": 0, "max": 100}},
            "plugins": {"legend": {"display": False}},
        },
    }


@login_required
def my_performance(request):
    mine = list(selectors.appraisal_list(request.user).filter(employee=request.user).order_by("-cycle__end"))
    for appraisal in mine:
        appraisal.chart = _by_dimension(appraisal)
        appraisal.chart_id = f"appraisal-chart-{appraisal.pk}"
        appraisal.steps = [t for t in describe_transitions(appraisal, request.user) if t.allowed]
    team = list(
        selectors.appraisal_list(request.user)
        .exclude(employee=request.user)
        .order_by("-cycle__end", "employee__username")[:200]
    )
    return render(request, "performance/my_performance.html", {"mine": mine, "team": team})


@login_required
@require_POST
def appraisal_step(request, pk, name):
    appraisal = get_object_or_404(selectors.appraisal_list(request.user), pk=pk)
    return _run(
        request,
        lambda: services.appraisal_transition(
            appraisal=appraisal, name=name, user=request.user, reason=request.POST.get("reason", "")[:4000]
        ),
        _("Appraisal updated."),
        reverse("performance:mine"),
    )


def _require_hr(request):
    if not is_hr_user(request.user):
        raise PermissionDenied(_("The performance workspace is for HR."))


@login_required
def workspace(request):
    _require_hr(request)
    cycles = list(AppraisalCycle.objects.order_by("-end", "-id")[:12])
    raw = request.GET.get("cycle", "")
    chosen = next((c for c in cycles if str(c.pk) == raw), cycles[0] if cycles else None)
    for cycle in cycles:
        cycle.steps = [t for t in describe_transitions(cycle, request.user) if t.name != "scoring_failed"]
    context = {"cycles": cycles, "cycle": chosen, "grades": GRADES}
    if chosen is not None:
        appraisals = list(chosen.appraisals.select_related("employee").order_by("-score", "employee__username"))
        distribution = selectors.cycle_distribution(chosen)
        total = sum(distribution.values()) or 1
        caps = chosen.grade_caps or {}
        context.update(
            appraisals=appraisals,
            calibrating=chosen.state == CycleState.CALIBRATING,
            rows=[
                {"grade": g, "n": distribution[g], "share": round(100 * distribution[g] / total, 1), "cap": caps.get(g)}
                for g in GRADES
            ],
            chart={
                "type": "bar",
                "data": {
                    "labels": list(GRADES),
                    "datasets": [
                        {
                            "label": str(_("People (%)")),
                            "data": [round(100 * distribution[g] / total, 1) for g in GRADES],
                        },
                        {"label": str(_("Cap (%)")), "data": [caps.get(g) for g in GRADES]},
                    ],
                },
                "options": {"responsive": True, "plugins": {"legend": {"position": "bottom"}}},
            },
        )
    context["appeals"] = list(
        selectors.appeal_list(request.user)
        .filter(state=AppealState.OPEN)
        .select_related("appraisal__employee", "appraisal__cycle")
    )
    return render(request, "performance/workspace.html", context)


def _back(cycle_id) -> str:
    return f"{reverse('performance:workspace')}?cycle={cycle_id}"


@login_required
@require_POST
def cycle_step(request, pk, name):
    _require_hr(request)
    cycle = get_object_or_404(AppraisalCycle, pk=pk)
    return _run(
        request,
        lambda: services.cycle_transition(cycle=cycle, name=name, user=request.user),
        _("Cycle updated."),
        _back(cycle.pk),
    )


@login_required
@require_POST
def calibrate(request, pk):
    _require_hr(request)
    appraisal = get_object_or_404(selectors.appraisal_list(request.user), pk=pk)
    data = {
        "final_grade": request.POST.get("final_grade", ""),
        "calibration_reason": request.POST.get("calibration_reason", "")[:4000],
    }
    return _run(
        request,
        lambda: services.appraisal_update(appraisal=appraisal, user=request.user, data=data),
        _("Grade saved."),
        _back(appraisal.cycle_id),
    )


@login_required
@require_POST
def appeal_decide(request, pk):
    _require_hr(request)
    appeal = get_object_or_404(selectors.appeal_list(request.user), pk=pk)
    return _run(
        request,
        lambda: services.appeal_decide(
            appeal=appeal,
            user=request.user,
            decision=request.POST.get("decision", "")[:4000],
            new_grade=request.POST.get("new_grade", ""),
        ),
        _("Appeal decided."),
        _back(appeal.appraisal.cycle_id),
    )
