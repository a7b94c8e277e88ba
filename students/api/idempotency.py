"""Idempotency-Key support beside students.api.views.idempotent: the per-key lock and the purge."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from students.models import IdempotencyRecord


def idempotency_lock(*, owner: str, key: str) -> None:
    """Hold requests with the same owner and key one after another until the transaction ends.

    The first request writes its record in its transaction; a concurrent one waits here and then
    finds the record and replays it, instead of running the write again and meeting its own
    duplicate (a 400 for the student number taken a moment before). PostgreSQL: an advisory
    lock on the key's hash, released at commit or rollback, so a request that dies holds
    nothing. SQLite has one writer at a time and no such lock: the unique record is the guard.
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"idempotency:{owner}:{key}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)])


def idempotency_records_purge(*, now: datetime | None = None) -> int:
    """Forget answers older than IDEMPOTENCY_TTL_HOURS; a retry after that runs as a new request."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
