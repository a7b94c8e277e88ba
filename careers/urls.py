from django.urls import path

from careers import views

# Mounted under /students/: a career record belongs to a student's page.
app_name = "careers"
urlpatterns = [
    path("careers/", views.career_due, name="due"),
    path("<int:pk>/careers/new/", views.career_create, name="create"),
    path("careers/<int:pk>/edit/", views.career_edit, name="edit"),
    path("careers/<int:pk>/delete/", views.career_delete, name="delete"),
    path("careers/upload/", views.career_upload, name="upload"),
    path("careers/template.<str:fmt>", views.career_template, name="template"),
    path("careers/jgrad.<str:fmt>", views.jgrad_export, name="jgrad_export"),
]
