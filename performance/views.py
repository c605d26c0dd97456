"""Browser pages of performance: "My performance" (each person's published appraisals, with a chart by
dimension, acknowledge or appeal; a PM's team) and HR's workspace (cycles and their steps with the
scoring progress, the calibration table against the grade caps, the appeals queue). Thin: services
write; refusals are messages in the services' words."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ltc_portal.core.fsm import describe_transitions
from ltc_portal.core.pages import REFUSALS, refusal_text, run_then_redirect

from . import selectors, services
from .models import GRADES, AppealState, AppraisalCycle, CycleState, Dimension, KpiSource
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
    training = selectors.training_for_gaps(mine)
    language = get_language() or ""
    labels = dict(Dimension.choices)
    for appraisal in mine:
        appraisal.training = [
            {
                "dimension": labels.get(t["dimension"], t["dimension"]),
                "courses": [{"title": c.title_in(language), "link": c.link} for c in t["courses"]],
            }
            for t in training.get(appraisal.pk, [])
        ]
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


# Scores to give ----------------------------------------------------------------------------------------


def _scores_context(request) -> dict:
    peers = selectors.peers_to_review(request.user)
    managed = selectors.appraisals_to_score(request.user)
    return {
        "peers": peers,
        "managed": managed,
        "peer_kpis": selectors.kpis_scored_by(KpiSource.PEER) if peers else [],
        "manager_kpis": selectors.kpis_scored_by(KpiSource.MANAGER) if managed else [],
    }


@login_required
def scores_to_give(request):
    """Peer reviews to give (colleagues of a project's team in an open cycle) and, for a PM, manager
    scores and advice for the people on their projects."""
    return render(request, "performance/scores.html", _scores_context(request))


def _scores_from(request, kpis) -> tuple[list[dict], list[str]]:
    """The filled-in scores of a form (``kpi-<id>``), and the words for the ones that are no number."""
    scores, errors = [], []
    for kpi in kpis:
        raw = request.POST.get(f"kpi-{kpi.pk}", "").strip()
        if not raw:
            continue
        try:
            scores.append({"kpi": kpi, "score": Decimal(raw)})
        except ArithmeticError:
            errors.append(_("%(kpi)s: a score is a number from 0 to 100.") % {"kpi": kpi.name})
    return scores, errors


def _answer(request, action, *, done: str, partial: str, context) -> object:
    """Run ``action``; for htmx re-render the row ``partial`` with the outcome in words, else redirect
    to the page with a message."""
    if not request.headers.get("HX-Request"):
        return run_then_redirect(request, action, done=done, back=reverse("performance:scores"))
    try:
        action()
    except REFUSALS as exc:
        outcome = {"ok": False, "text": refusal_text(exc)}
    else:
        outcome = {"ok": True, "text": done}
    return render(request, partial, {**context(), "outcome": outcome})


@login_required
@require_POST
def peer_review_give(request, cycle_pk, user_pk):
    cycle = get_object_or_404(AppraisalCycle, pk=cycle_pk)
    reviewee = get_object_or_404(get_user_model(), pk=user_pk, is_active=True)
    kpis = selectors.kpis_scored_by(KpiSource.PEER)
    scores, errors = _scores_from(request, kpis)
    comment = request.POST.get("comment", "").strip()[:4000]

    def action():
        if errors:
            raise ValidationError({"scores": errors})
        services.peer_review_submit(cycle=cycle, reviewee=reviewee, user=request.user, scores=scores, comment=comment)

    def context():
        row = next(
            (
                r
                for r in selectors.peers_to_review(request.user)
                if r["cycle"].pk == cycle.pk and r["person"].pk == reviewee.pk
            ),
            {"cycle": cycle, "person": reviewee, "given": {}, "comment": comment},
        )
        return {"r": row, "peer_kpis": kpis}

    return _answer(
        request, action, done=_("Peer review saved."), partial="performance/_peer_form.html", context=context
    )


@login_required
@require_POST
def manager_score_give(request, pk):
    appraisal = get_object_or_404(selectors.appraisal_list(request.user), pk=pk)
    kpis = selectors.kpis_scored_by(KpiSource.MANAGER)
    scores, errors = _scores_from(request, kpis)
    advice = request.POST.get("advice")

    @transaction.atomic
    def action():
        if errors:
            raise ValidationError({"scores": errors})
        if not scores and (advice is None or advice.strip() == appraisal.advice):
            raise ValidationError({"scores": [_("Give at least one score.")]})
        for item in scores:
            services.manager_score_set(appraisal=appraisal, kpi=item["kpi"], user=request.user, score=item["score"])
        if advice is not None and advice.strip() != appraisal.advice:
            services.appraisal_update(appraisal=appraisal, user=request.user, data={"advice": advice[:4000]})

    def context():
        return {"m": selectors.manager_row(request.user, appraisal.pk), "manager_kpis": kpis}

    return _answer(request, action, done=_("Scores saved."), partial="performance/_manager_form.html", context=context)


@login_required
def promotions(request):
    """HR's promotion list: S or A in each of the latest PROMOTION_STREAK published cycles of a kind."""
    _require_hr(request)
    return render(
        request,
        "performance/promotions.html",
        {"rows": selectors.promotion_list(request.user), "streak": settings.PROMOTION_STREAK},
    )


@login_required
def overview(request):
    """Executives (and HR) read a published cycle in aggregate: final grades by role and by project
    role; a group under three people shows only its size."""
    if not selectors.reads_overview(request.user):
        raise PermissionDenied(_("The performance overview is for executives and HR."))
    cycles = selectors.overview_cycles(request.user)
    raw = request.GET.get("cycle", "")
    chosen = next((c for c in cycles if str(c.pk) == raw), cycles[0] if cycles else None)
    return render(
        request,
        "performance/overview.html",
        {
            "cycles": cycles,
            "cycle": chosen,
            "grades": GRADES,
            "min_group": selectors.MIN_GROUP,
            **selectors.grade_overview(request.user, chosen),
        },
    )
