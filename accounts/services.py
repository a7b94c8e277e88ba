"""Writes of the accounts app: the access log of personal data (issue #17)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import PersonalDataRead
from phdsupport import access
from phdsupport.personal_data import ReadKind
from phdsupport.views import client_address

BATCH = 2000


def _reader_of(request: Any) -> tuple[Any, str, int | None, str]:
    """(user, username, their university, API key prefix): a key reads as the person who issued it."""
    user = getattr(request, "user", None)
    key = getattr(request, "auth", None)
    prefix = getattr(key, "prefix", "") if key is not None and hasattr(key, "scope") else ""
    university_id = access.staff_university_id(user)
    if prefix:
        person = getattr(key, "created_by", None)
        name = person.get_username() if person is not None else f"api-key:{prefix}"
        return person, name, university_id, prefix
    return user, user.get_username() if user is not None else "", university_id, ""


def personal_data_reads_record(
    *, request: Any, notes: list[tuple[ReadKind, list[tuple[int, int]], str]]
) -> int:
    """Write what a request declared it read: a row per student, one INSERT per 2,000 rows.

    Not in a transaction of its own: the rows are one statement for an ordinary page, and a
    failure raises, so the response carrying the data is never sent unrecorded.
    """
    reader, name, university_id, prefix = _reader_of(request)
    common = {
        "request_id": uuid.uuid4(),
        "at": timezone.now(),
        "reader_id": getattr(reader, "pk", None),
        "reader_name": name[:150],
        "reader_university_id": university_id,
        "api_key_prefix": prefix,
        "address": client_address(request) or None,
        "path": request.path[:500],
    }
    rows = []
    for kind, students, query in notes:
        if not students:
            rows.append(PersonalDataRead(kind=kind, query=query[:1000], **common))
        rows.extend(
            PersonalDataRead(
                kind=kind, query=query[:1000], student_id=student_id, student_university_id=university, **common
            )
            for student_id, university in students
        )
    PersonalDataRead.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def personal_data_reads_purge(*, now=None) -> int:
    """Remove rows older than PERSONAL_DATA_READ_RETENTION_DAYS (daily by beat); idempotent."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PERSONAL_DATA_READ_RETENTION_DAYS)
    return PersonalDataRead.objects.purge_before(cutoff)
