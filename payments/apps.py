from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("支給実績・返還")

    def ready(self) -> None:
        from payments.imports import payments_upload_apply, payments_upload_check
        from payments.selectors import report_figures
        from payments.services import award_delete_refusals
        from payments.views import student_panel_context
        from phdsupport import hooks
        from students import panels, uploads

        panels.register(panels.Panel("payments/_student_panel.html", student_panel_context))
        uploads.register_upload_kind(
            "payments", check=payments_upload_check, apply=payments_upload_apply, workspace=True
        )
        hooks.register("report_figures", report_figures)
        hooks.register("award_delete_refusals", award_delete_refusals)
