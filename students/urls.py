from django.urls import path

from students import views

app_name = "students"
urlpatterns = [
    path("", views.student_list, name="list"),
    path("new/", views.student_create, name="create"),
    path("<int:pk>/", views.student_detail, name="detail"),
    path("<int:pk>/edit/", views.student_edit, name="edit"),
    path("<int:pk>/awards/new/", views.award_create, name="award_create"),
    path("awards/<int:pk>/", views.award_detail, name="award"),
    path("awards/<int:pk>/edit/", views.award_edit, name="award_edit"),
    path("awards/<int:pk>/events/", views.award_event_create, name="award_event"),
    path("events/<int:pk>/withdraw/", views.award_event_withdraw, name="award_event_withdraw"),
    path("programs/<str:code>/defaults/", views.program_defaults, name="program_defaults"),
    path("uploads/", views.upload_new, name="uploads"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload"),
    path("uploads/<int:pk>/apply/", views.upload_apply, name="upload_apply"),
    path("uploads/<int:pk>/retry/", views.upload_retry, name="upload_retry"),
    path("uploads/template.<str:fmt>", views.upload_template, name="upload_template"),
    path("export.<str:fmt>", views.export, name="export"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke_view, name="api_key_revoke"),
]
