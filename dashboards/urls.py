from django.urls import path

from dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.national, name="national"),
    path("universities/<int:pk>/", views.university, name="university"),
    path("publications/", views.publications, name="publications"),
    path("publications/<int:pk>/", views.publication, name="publication"),
    path("reports/", views.report_states, name="reports"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("money/", views.money, name="money"),
]
