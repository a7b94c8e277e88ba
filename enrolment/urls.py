from django.urls import path

from enrolment import views

app_name = "enrolment"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("statistics/<int:pk>/edit/", views.edit, name="edit"),
    path("upload/", views.upload, name="upload"),
    path("upload/<int:pk>/", views.upload_job, name="upload_job"),
    path("upload/<int:pk>/apply/", views.upload_apply, name="upload_apply"),
    path("upload/<int:pk>/retry/", views.upload_retry, name="upload_retry"),
    path("template.<str:fmt>", views.template, name="template"),
    path("export.<str:fmt>", views.export, name="export"),
    path("national/", views.national, name="national"),
    path("universities/<int:pk>/", views.university, name="university"),
    path("universities/<int:pk>/lock/", views.lock, name="lock"),
    path("snapshots/", views.publish, name="publish"),
    path("snapshots/<int:pk>/", views.snapshot, name="snapshot"),
]
