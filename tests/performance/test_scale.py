"""performance/scale.py: ``seed_scale --size S`` gives the scoring job its inputs (quality checks with
defects, issues, a template per project role, a yearly cycle opened with manager scores and peer
reviews); a second run adds nothing; the job scores every appraisal of the cycle."""

from delivery.models import Defect, ProjectIssue, ProjectRole, QualityCheck
from performance import services as performance
from performance.models import Appraisal, AppraisalCycle, KpiTemplate, ManagerScore, PeerReview
from performance.scale import CYCLE
from tests.core.test_seed_scale import seed


def test_the_scale_data_feeds_the_scoring_job(db, django_capture_on_commit_callbacks):
    seed()
    counts = {
        "checks": QualityCheck.objects.count(),
        "defects": Defect.objects.count(),
        "issues": ProjectIssue.objects.count(),
        "scores": ManagerScore.objects.count(),
        "reviews": PeerReview.objects.count(),
    }
    assert counts["checks"] and counts["issues"] and counts["scores"] and counts["reviews"]
    assert set(KpiTemplate.objects.values_list("project_role", flat=True)) == set(ProjectRole.values)
    cycle = AppraisalCycle.objects.get(name=CYCLE)
    assert (cycle.kind, cycle.state) == ("yearly", "open")
    assert "performance.scale.seed_performance: nothing to add" in seed()
    assert counts["defects"] == Defect.objects.count() and counts["reviews"] == PeerReview.objects.count()
    hr = cycle.created_by
    with django_capture_on_commit_callbacks(execute=True):
        performance.cycle_transition(cycle=cycle, name="score", user=hr)
    assert AppraisalCycle.objects.get(pk=cycle.pk).state == "calibrating"
    appraisals = Appraisal.objects.filter(cycle=cycle)
    assert appraisals.exists() and not appraisals.filter(score=None).exists()
    measured = {r["code"] for a in appraisals for r in a.results if r["measured"]}
    assert {"milestone_completion_rate", "defect_count", "decision_quality", "cohesion"} <= measured
