"""Idempotency-Key under concurrency, and how long answers are kept (issue #12, item 8)."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from students.api.keys import api_key_create
from students.models import IdempotencyRecord, Student
from students.tasks import idempotency_records_purge_task
from tests.api.test_api import STUDENT, client_with


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_idempotency_key_write_once_and_replay(reference, university_a):
    # Ref: #12
    if connection.vendor != "postgresql":
        pytest.skip("concurrent requests need PostgreSQL (SQLite has one writer at a time)")
    # given a write key and 20 requests carrying the same Idempotency-Key and body
    _key, secret = api_key_create(name="A write", scope="write", university=university_a, acting_user=None)
    start = threading.Barrier(20)
    responses = []

    def post() -> None:
        try:
            client = client_with(secret)
            start.wait()
            response = client.post("/api/v1/students/", STUDENT, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
            responses.append((response.status_code, response.get("Idempotent-Replayed"), response.json()))
        finally:
            connections.close_all()

    # when they arrive together
    threads = [threading.Thread(target=post) for _n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then one student is written, once; every answer is that student, all but one replayed
    assert Student.objects.count() == 1
    assert len(responses) == 20
    assert {status for status, _replayed, _body in responses} == {201}
    assert sorted(replayed or "" for _status, replayed, _body in responses) == [""] + ["true"] * 19
    assert {body["id"] for _status, _replayed, body in responses} == {Student.objects.get().pk}
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_answers_older_than_the_ttl_are_purged(reference, university_a):
    # given one answer from two days ago and one from just now
    _key, secret = api_key_create(name="A write", scope="write", university=university_a, acting_user=None)
    client = client_with(secret)
    client.post("/api/v1/students/", STUDENT, format="json", HTTP_IDEMPOTENCY_KEY="old")
    client.post("/api/v1/students/", {**STUDENT, "student_number": "API002"}, format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=48))
    # when the beat task runs
    assert idempotency_records_purge_task.delay().get() == 1
    # then only the recent answer is kept, and it still replays
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    again = client.post(
        "/api/v1/students/", {**STUDENT, "student_number": "API002"}, format="json", HTTP_IDEMPOTENCY_KEY="new"
    )
    assert again["Idempotent-Replayed"] == "true"


def test_beat_purges_idempotency_answers_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["hourly-idempotency-purge"]
    assert (entry["task"], entry["schedule"]) == ("students.tasks.idempotency_records_purge_task", 3600)
    assert settings.IDEMPOTENCY_TTL_HOURS == 24
