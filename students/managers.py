"""Row visibility: every page, API view and selector starts from `for_user` (rules in phdsupport.access)."""

from __future__ import annotations

from typing import Any

from django.db import models

from phdsupport import access
from phdsupport.access import Role


class UniversityQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> UniversityQuerySet:
        """Universities a user may open: staff their own; officers, viewers, admins all."""
        role = access.role_of(user)
        if role is None:
            return self.none()
        if role == Role.UNIVERSITY_STAFF:
            return self.filter(pk=access.staff_university_id(user))
        return self.all()


class StudentQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> StudentQuerySet:
        """Student rows: staff see their university's; officers students holding their
        programs' awards; ministry viewers none (aggregates only)."""
        role = access.role_of(user)
        if role == Role.ADMINISTRATOR:
            return self.all()
        if role == Role.UNIVERSITY_STAFF:
            return self.filter(university_id=access.staff_university_id(user))
        if role == Role.PROGRAM_OFFICER:
            return self.filter(awards__program_id__in=access.officer_program_ids(user)).distinct()
        return self.none()


class AwardQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> AwardQuerySet:
        """Staff see their university's awards, officers their programs', administrators all."""
        role = access.role_of(user)
        if role == Role.ADMINISTRATOR:
            return self.all()
        if role == Role.UNIVERSITY_STAFF:
            return self.filter(university_id=access.staff_university_id(user))
        if role == Role.PROGRAM_OFFICER:
            return self.filter(program_id__in=access.officer_program_ids(user))
        return self.none()


class AwardEventQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> AwardEventQuerySet:
        from students.models import Award

        return self.filter(award__in=Award.objects.for_user(user).values("pk"))


class UploadJobQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> UploadJobQuerySet:
        """Uploads are the university staff's own work: staff see their university's."""
        if access.is_administrator(user):
            return self.all()
        university_id = access.staff_university_id(user)
        if university_id is None:
            return self.none()
        return self.filter(university_id=university_id)
