"""Everything under /api/v1/ (names kept stable: university systems code against them)."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
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
    # The split view serves its init script from ?script, so the site-wide CSP needs no exception.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Redoc injects its styles at run time and runs its search in a blob: worker.
    path(
        "redoc/",
        csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})(
            SpectacularRedocView.as_view(url_name="api:schema")
        ),
        name="redoc",
    ),
    path("", include(router.urls)),
]
