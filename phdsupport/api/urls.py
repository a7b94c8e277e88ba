"""Everything under /api/v1/ (names kept stable: university systems code against them)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from dashboards.api.views import HeadcountApi
from students.api.views import (
    AwardViewSet,
    BulkApi,
    CareerViewSet,
    ProgramViewSet,
    ReportViewSet,
    StudentViewSet,
    UniversityViewSet,
)

router = DefaultRouter()
router.register("programs", ProgramViewSet, basename="program")
router.register("universities", UniversityViewSet, basename="university")
router.register("students", StudentViewSet, basename="student")
router.register("awards", AwardViewSet, basename="award")
router.register("reports", ReportViewSet, basename="report")
router.register("careers", CareerViewSet, basename="career")

app_name = "api"
urlpatterns = [
    path("bulk/", BulkApi.as_view(), name="bulk"),
    path("stats/headcount/", HeadcountApi.as_view(), name="stats-headcount"),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include(router.urls)),
]
