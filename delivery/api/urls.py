from rest_framework.routers import SimpleRouter

from .views import (
    ChangeRequestViewSet,
    DelegationViewSet,
    MeetingViewSet,
    MilestoneViewSet,
    ProjectIssueViewSet,
    ProjectViewSet,
    QualityCheckViewSet,
    RiskViewSet,
    TeamMemberViewSet,
)

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("team-members", TeamMemberViewSet, basename="team-member")
router.register("delegations", DelegationViewSet, basename="delegation")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("change-requests", ChangeRequestViewSet, basename="change-request")
router.register("risks", RiskViewSet, basename="risk")
router.register("project-issues", ProjectIssueViewSet, basename="project-issue")
router.register("quality-checks", QualityCheckViewSet, basename="quality-check")
router.register("meetings", MeetingViewSet, basename="meeting")

urlpatterns = router.urls
