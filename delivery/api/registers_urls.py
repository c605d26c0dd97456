from rest_framework.routers import SimpleRouter

from .registers import MeetingViewSet, ProjectIssueViewSet, QualityCheckViewSet, RiskViewSet

router = SimpleRouter()
router.register("risks", RiskViewSet, basename="risk")
router.register("project-issues", ProjectIssueViewSet, basename="project-issue")
router.register("quality-checks", QualityCheckViewSet, basename="quality-check")
router.register("meetings", MeetingViewSet, basename="meeting")

urlpatterns = router.urls
