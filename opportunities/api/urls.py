from rest_framework.routers import SimpleRouter

from .views import OpportunityViewSet, QuoteViewSet

router = SimpleRouter()
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register("quotes", QuoteViewSet, basename="quote")

urlpatterns = router.urls
