from rest_framework.routers import SimpleRouter

from .views import GateReviewViewSet

router = SimpleRouter()
router.register("gate-reviews", GateReviewViewSet, basename="gate-review")

urlpatterns = router.urls
