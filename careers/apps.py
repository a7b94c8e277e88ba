from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareersConfig(AppConfig):
    name = "careers"
    verbose_name = _("修了後の進路")

    def ready(self) -> None:
        from careers.views import student_panel_context
        from students import panels

        panels.register(panels.Panel("careers/_student_panel.html", student_panel_context))
