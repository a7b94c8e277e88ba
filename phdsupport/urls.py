"""The project's routes: each app brings its own (phdsupport imports no app, DESIGN.md)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from phdsupport.api.views import ApiNotFound

urlpatterns = [
    path("", include("dashboards.home_urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/saml/", include("accounts.saml_urls")),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("dashboards/", include("dashboards.urls")),
    path("students/reports/", include("reports.urls")),
    path("students/payments/", include("payments.urls")),
    path("students/", include("careers.urls")),
    path("students/", include("students.urls")),
    path("enrolment/", include("enrolment.urls")),
    path("api/v1/", include("phdsupport.api.urls")),
    re_path(r"^api/", ApiNotFound.as_view(), name="api_not_found"),
    path("admin/", admin.site.urls),
]
