"""Reads of the accounts app: searching the access log of personal data."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from accounts.models import PersonalDataRead


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
