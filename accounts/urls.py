from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("reads/", views.reads, name="reads"),
    path("reads/students/<int:pk>/", views.student_reads, name="student_reads"),
    path("users/", views.account_list, name="accounts"),
    path("users/new/", views.account_invite, name="invite"),
    path("users/<int:pk>/", views.account_detail, name="account"),
    path("users/<int:pk>/active/", views.account_active, name="account_active"),
    path("set-password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"),
    path("second-factor/", views.second_factor_home, name="second_factor"),
    path("second-factor/verify/", views.second_factor_verify, name="second_factor_verify"),
    path("second-factor/setup/", views.second_factor_setup, name="second_factor_setup"),
    path("second-factor/recovery-codes/", views.recovery_codes_new, name="recovery_codes_new"),
]
