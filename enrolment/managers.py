"""Row visibility for reported statistics (rules in phdsupport.access)."""

from __future__ import annotations

from typing import Any

from django.db import models

from phdsupport import access


class EnrolmentStatisticQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> EnrolmentStatisticQuerySet:
        """A university's staff see and write their own rows; the national roles read every row
        (the figures are per university and field, never about a person); nobody else any."""
        university_id = access.staff_university_id(user)
        if university_id is not None:
            return self.filter(university_id=university_id)
        if access.can_view_national(user):
            return self.all()
        return self.none()
