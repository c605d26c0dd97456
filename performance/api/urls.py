from rest_framework.routers import SimpleRouter

from .views import (
    AppealViewSet,
    AppraisalCycleViewSet,
    AppraisalViewSet,
    BonusPoolViewSet,
    KpiTemplateViewSet,
    KpiViewSet,
    ManagerScoreViewSet,
    PeerReviewViewSet,
    TrainingCourseViewSet,
)

router = SimpleRouter()
router.register("kpis", KpiViewSet, basename="kpi")
router.register("kpi-templates", KpiTemplateViewSet, basename="kpi-template")
router.register("appraisal-cycles", AppraisalCycleViewSet, basename="appraisal-cycle")
router.register("appraisals", AppraisalViewSet, basename="appraisal")
router.register("manager-scores", ManagerScoreViewSet, basename="manager-score")
router.register("peer-reviews", PeerReviewViewSet, basename="peer-review")
router.register("appeals", AppealViewSet, basename="appeal")
router.register("training-courses", TrainingCourseViewSet, basename="training-course")
router.register("bonus-pools", BonusPoolViewSet, basename="bonus-pool")

urlpatterns = router.urls
