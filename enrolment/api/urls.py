from rest_framework.routers import SimpleRouter

from enrolment.api.views import EnrolmentStatisticViewSet

router = SimpleRouter()
router.register("enrolment-statistics", EnrolmentStatisticViewSet, basename="enrolment-statistic")
urlpatterns = router.urls
