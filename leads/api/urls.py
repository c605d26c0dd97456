from rest_framework.routers import SimpleRouter

from .views import ContactViewSet, CustomerViewSet, LeadImportViewSet, LeadViewSet

router = SimpleRouter()
router.register("leads", LeadViewSet, basename="lead")
router.register("lead-imports", LeadImportViewSet, basename="lead-import")
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")

urlpatterns = router.urls
