from rest_framework.routers import SimpleRouter

from .views import AppraisalCycleViewSet, AppraisalViewSet, KpiTemplateViewSet, KpiViewSet, ManagerScoreViewSet

router = SimpleRouter()
router.register("kpis", KpiViewSet, basename="kpi")
router.register("kpi-templates", KpiTemplateViewSet, basename="kpi-template")
router.register("appraisal-cycles", AppraisalCycleViewSet, basename="appraisal-cycle")
router.register("appraisals", AppraisalViewSet, basename="appraisal")
router.register("manager-scores", ManagerScoreViewSet, basename="manager-score")

urlpatterns = router.urls
