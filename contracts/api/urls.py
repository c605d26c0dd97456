from rest_framework.routers import SimpleRouter

from .views import ContractViewSet, PaymentMilestoneViewSet

router = SimpleRouter()
router.register("contracts", ContractViewSet, basename="contract")
router.register("payment-milestones", PaymentMilestoneViewSet, basename="payment-milestone")

urlpatterns = router.urls
