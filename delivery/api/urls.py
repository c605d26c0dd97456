from rest_framework.routers import SimpleRouter

from .views import (
    ChangeRequestViewSet,
    DelegationViewSet,
    MilestoneViewSet,
    ProjectViewSet,
    TeamMemberViewSet,
)

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("team-members", TeamMemberViewSet, basename="team-member")
router.register("delegations", DelegationViewSet, basename="delegation")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("change-requests", ChangeRequestViewSet, basename="change-request")

urlpatterns = router.urls
