"""Everything under /api/v1/ (names kept stable: university systems code against them).

Each app brings its own api/urls.py; they share the "api" namespace.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include("students.api.urls")),
    path("", include("reports.api.urls")),
    path("", include("careers.api.urls")),
    path("", include("enrolment.api.urls")),
    path("", include("dashboards.api.urls")),
]
