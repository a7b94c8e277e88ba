from django.urls import path
from rest_framework.routers import SimpleRouter

from payments.api.views import PaymentBulkApi, PaymentViewSet

router = SimpleRouter()
router.register("payments", PaymentViewSet, basename="payment")
urlpatterns = [path("payments/bulk/", PaymentBulkApi.as_view(), name="payment-bulk"), *router.urls]
