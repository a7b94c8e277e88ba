"""Each signed-in person's own work: the home page and a university's fix list (mounted at the root)."""

from django.urls import path

from dashboards import views

urlpatterns = [
    path("", views.home, name="home"),
    path("students/quality/", views.quality, name="quality"),
]
