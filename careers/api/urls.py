from rest_framework.routers import SimpleRouter

from careers.api.views import CareerViewSet

router = SimpleRouter()
router.register("careers", CareerViewSet, basename="career")
urlpatterns = router.urls
