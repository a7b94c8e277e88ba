from __future__ import annotations

from typing import Any

from django.db import models


class CareerOutcomeQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> CareerOutcomeQuerySet:
        """Career records follow their student: whoever may open the student sees them."""
        from phdsupport import access
        from phdsupport.access import Role
        from students.models import Student

        if access.role_of(user) == Role.UNIVERSITY_STAFF:  # by the copied column and its index
            return self.filter(university_id=access.staff_university_id(user))
        return self.filter(student__in=Student.objects.for_user(user).values("pk"))

    def for_aggregates(self, user: Any) -> CareerOutcomeQuerySet:
        """Records that may enter outcome rates (counts only, never rows): every record for the
        national roles, a university's own for its staff, none for anyone else."""
        from phdsupport import access

        if access.can_view_national(user):
            return self.all()
        university_id = access.staff_university_id(user)
        if university_id is None:
            return self.none()
        return self.filter(university_id=university_id)
