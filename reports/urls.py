from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("prepare/", views.report_prepare, name="prepare"),
    path("deadlines/", views.deadlines, name="deadlines"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/text/", views.report_text, name="text"),
    path("<int:pk>/submit/", views.report_submit, name="submit"),
    path("<int:pk>/return/", views.report_return, name="return"),
    path("<int:pk>/accept/", views.report_accept, name="accept"),
    path("<int:pk>/reopen/", views.report_reopen, name="reopen"),
    path("<int:pk>/print/", views.report_print, name="print"),
    path("<int:pk>/report.xlsx", views.report_xlsx, name="xlsx"),
]
