from django.urls import path
from rest_framework.routers import SimpleRouter

from students.api.views import AwardViewSet, BulkApi, ProgramViewSet, StudentViewSet, UniversityViewSet

router = SimpleRouter()
router.register("programs", ProgramViewSet, basename="program")
router.register("universities", UniversityViewSet, basename="university")
router.register("students", StudentViewSet, basename="student")
router.register("awards", AwardViewSet, basename="award")

urlpatterns = [path("bulk/", BulkApi.as_view(), name="bulk"), *router.urls]
