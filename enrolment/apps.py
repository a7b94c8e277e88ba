from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrolmentConfig(AppConfig):
    name = "enrolment"
    verbose_name = _("在籍・学位授与の統計")

    def ready(self) -> None:
        # Statistics files run on the students' upload machinery: with a broker the worker
        # checks and applies them, with progress, heartbeats and retry (students.uploads).
        from enrolment import services
        from students.uploads import register_upload_kind

        register_upload_kind(
            services.UPLOAD_KIND, check=services.statistics_upload_check, apply=services.statistics_upload_job_apply
        )
