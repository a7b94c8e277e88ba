from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("利用者と閲覧記録")

    def ready(self):
        from accounts.views import student_panel_context
        from students import panels

        panels.register(panels.Panel("accounts/_student_reads_panel.html", student_panel_context))
