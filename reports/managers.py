from __future__ import annotations

from typing import Any

from django.db import models

from phdsupport import access


class ReportQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> ReportQuerySet:
        """Staff see their university's reports, officers their programs', administrators all.
        Viewers get none: the ministry sees report states as aggregates on the dashboards."""
        role = access.role_of(user)
        if role == access.Role.ADMINISTRATOR:
            return self.all()
        if role == access.Role.UNIVERSITY_STAFF:
            return self.filter(university_id=access.staff_university_id(user))
        if role == access.Role.PROGRAM_OFFICER:
            return self.filter(program_id__in=access.officer_program_ids(user))
        return self.none()
