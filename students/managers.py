"""The one visibility gate: every page, API view and selector starts from `for_user`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def _membership(user: AbstractBaseUser | AnonymousUser) -> Any:
    if not user.is_authenticated:
        return None
    return getattr(user, "membership", None)


def is_administrator(user: Any) -> bool:
    membership = _membership(user)
    return bool(user.is_authenticated and (user.is_superuser or (membership and membership.role == "administrator")))


class UniversityQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> UniversityQuerySet:
        """Universities a user may open: staff their own; officers, viewers, admins all."""
        membership = _membership(user)
        if is_administrator(user):
            return self.all()
        if membership is None:
            return self.none()
        if membership.role == "university_staff":
            return self.filter(pk=membership.university_id)
        return self.all()


class StudentQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> StudentQuerySet:
        """Student rows: staff see their university's; officers students holding their
        programs' awards; ministry viewers none (aggregates only)."""
        membership = _membership(user)
        if is_administrator(user):
            return self.all()
        if membership is None:
            return self.none()
        if membership.role == "university_staff":
            return self.filter(university_id=membership.university_id)
        if membership.role == "program_officer":
            return self.filter(awards__program__in=membership.programs.all()).distinct()
        return self.none()


def _by_university_or_program(queryset: models.QuerySet, user: Any, university_path: str) -> models.QuerySet:
    """Rows tied to a university and a program: staff see their university's, officers their
    programs', administrators all, everyone else nothing."""
    membership = _membership(user)
    if is_administrator(user):
        return queryset.all()
    if membership is None:
        return queryset.none()
    if membership.role == "university_staff":
        return queryset.filter(**{university_path: membership.university_id})
    if membership.role == "program_officer":
        return queryset.filter(program__in=membership.programs.all())
    return queryset.none()


class AwardQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> AwardQuerySet:
        return _by_university_or_program(self, user, "university_id")


class AwardEventQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> AwardEventQuerySet:
        from students.models import Award

        return self.filter(award__in=Award.objects.for_user(user).values("pk"))


class UploadJobQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> UploadJobQuerySet:
        """Uploads are the university staff's own work: staff see their university's."""
        membership = _membership(user)
        if is_administrator(user):
            return self.all()
        if membership is None or membership.role != "university_staff":
            return self.none()
        return self.filter(university_id=membership.university_id)


class ReportQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> ReportQuerySet:
        """Viewers get none here: the ministry sees report states as aggregates on the dashboards."""
        return _by_university_or_program(self, user, "university_id")


class CareerOutcomeQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> CareerOutcomeQuerySet:
        from students.models import Student

        return self.filter(student__in=Student.objects.for_user(user).values("pk"))
