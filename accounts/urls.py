from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("reads/", views.reads, name="reads"),
    path("reads/students/<int:pk>/", views.student_reads, name="student_reads"),
]
