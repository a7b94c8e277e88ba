"""Everything under /api/v1/ (names kept stable: university systems code against them).

Each app brings its own api/urls.py; they share the "api" namespace.
"""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

app_name = "api"
urlpatterns = [
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
    path("", include("students.api.urls")),
    path("", include("reports.api.urls")),
    path("", include("careers.api.urls")),
    path("", include("enrolment.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("dashboards.api.urls")),
]
