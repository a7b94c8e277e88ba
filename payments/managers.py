"""Row visibility of payments: they follow their award (rules in phdsupport.access)."""

from __future__ import annotations

from typing import Any

from django.db import models


class _FollowsAward(models.QuerySet):
    def for_user(self, user: Any) -> models.QuerySet:
        """Staff see their university's payments, officers their programs', administrators all;
        ministry viewers none (aggregates only)."""
        from phdsupport import access
        from phdsupport.access import Role

        role = access.role_of(user)
        if role == Role.ADMINISTRATOR:
            return self.all()
        if role == Role.UNIVERSITY_STAFF:
            return self.filter(university_id=access.staff_university_id(user))
        if role == Role.PROGRAM_OFFICER:
            return self.filter(award__program_id__in=access.officer_program_ids(user))
        return self.none()

    def for_aggregates(self, user: Any) -> models.QuerySet:
        """Rows that may enter sums (never shown as rows): all for the national roles, a
        university's own for its staff."""
        from phdsupport import access

        if access.can_view_national(user):
            return self.all()
        university_id = access.staff_university_id(user)
        if university_id is None:
            return self.none()
        return self.filter(university_id=university_id)


class PaymentEntryQuerySet(_FollowsAward):
    def current(self) -> PaymentEntryQuerySet:
        return self.filter(is_current=True)


class ClaimSettlementQuerySet(_FollowsAward):
    pass
