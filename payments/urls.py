from django.urls import path

from payments import views

# Mounted under /students/payments/: the ledger is part of the university's workspace.
app_name = "payments"
urlpatterns = [
    path("", views.university_payments, name="university"),
    path("claims/", views.recovery_claims, name="claims"),
    path("upload/", views.payment_upload, name="upload"),
    path("template.<str:fmt>", views.payment_template, name="template"),
    path("<int:pk>/new/", views.payment_record, name="record"),
    path("awards/<int:pk>/", views.payment_history, name="history"),
    path("awards/<int:pk>/claims/<int:event_id>/settle/", views.claim_settle, name="settle"),
]
