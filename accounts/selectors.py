"""Reads of the accounts app: searching the access log of personal data."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from accounts.models import PersonalDataRead
from phdsupport import access


def personal_data_read_list(
    *,
    university_id: int | None,
    reader: str = "",
    student_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[PersonalDataRead]:
    """Rows newest first, within what the searcher may see (phdsupport.access.read_log_scope):
    everything for an administrator (`university_id` None), else the reads of that university's
    students by that university's people."""
    rows = PersonalDataRead.objects.order_by("-at", "-id")
    if university_id is not None:
        rows = rows.filter(student_university_id=university_id, reader_university_id=university_id)
    if reader:
        rows = rows.filter(reader_name=reader)
    if student_id is not None:
        rows = rows.filter(student_id=student_id)
    if since is not None:
        rows = rows.filter(at__date__gte=since)
    if until is not None:
        rows = rows.filter(at__date__lte=until)
    return rows


def student_read_summary(*, university_id: int | None, student_id: int, limit: int = 10) -> list[Any]:
    """The latest reads of one student, for the panel on the student's page."""
    return list(personal_data_read_list(university_id=university_id, student_id=student_id)[:limit])


def accounts_managed_by(user: Any) -> QuerySet:
    """The accounts `user` manages (phdsupport.access.can_manage_account): administrators all;
    a university's lead staff their university's staff, and the people waiting for a role whose
    identity provider's organisation maps to their university."""
    allowed, university_id = access.account_scope(user)
    accounts = (
        get_user_model()
        .objects.select_related("membership__university", "federated_identity__university")
        .order_by("username")
    )
    if not allowed:
        return accounts.none()
    if university_id is not None:
        accounts = accounts.filter(
            Q(membership__role=access.Role.UNIVERSITY_STAFF, membership__university_id=university_id)
            | Q(membership__isnull=True, federated_identity__university_id=university_id)
        )
    return accounts


def waiting_for_role(accounts: QuerySet) -> QuerySet:
    """Of `accounts`, those with no role yet (superusers hold theirs without a membership)."""
    return accounts.filter(membership__isnull=True, is_superuser=False)


def waiting_for_role_count(user: Any) -> int:
    """How many active accounts `user` manages wait for a role (for the home page's to-do list)."""
    if not access.account_scope(user)[0]:
        return 0
    return waiting_for_role(accounts_managed_by(user)).filter(is_active=True).count()
