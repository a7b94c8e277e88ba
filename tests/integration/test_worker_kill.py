"""A Celery worker process killed (SIGKILL) in the middle of an upload's apply (issue #12, item 5).

Real worker processes on real Redis (db 12 unless TEST_FAULT_REDIS_URL says otherwise) against
the test database (the SQLite test file, or PostgreSQL's test database with DATABASE_URL). The
first worker is killed once the apply is writing; a second one gets the task again (acks_late,
the visibility timeout shortened with the heartbeat limit) and takes the silent job over. The
upload must land exactly once (or fail with a retry offered, and then land once): no partial
rows from the killed run, no duplicates.
"""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.db import OperationalError, connection

from phdsupport.celery import app
from students import uploads
from students.models import Award, Student, UploadJob
from tests.factories import UniversityFactory, user_with_role
from tests.integration.conftest import reset_celery_caches
from tests.integration.test_upload_worker import big_file

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
FAULT_REDIS_URL = os.environ.get("TEST_FAULT_REDIS_URL", "redis://127.0.0.1:6379/12")
STALE_SECONDS = 6  # the heartbeat limit and the visibility timeout, shortened for the test
ROWS = 6000


def _require_redis() -> None:
    try:
        redis.Redis.from_url(FAULT_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        message = f"Redis is not reachable at {FAULT_REDIS_URL}: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


def _use_broker(url: str | None, eager: bool) -> None:
    """Point this process's producer at `url` (the app caches its connection pools)."""
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=eager)
    if app._pool is not None:
        app._pool.force_close_all()
    reset_celery_caches()


def _test_database_url() -> str:
    """The database this test runs on, as a URL for the worker processes."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture
def worker_processes(transactional_db, settings, tmp_path):
    """Start worker processes on demand; every one still running is stopped at the end."""
    _require_redis()
    redis.Redis.from_url(FAULT_REDIS_URL).flushdb()
    settings.UPLOAD_STALE_SECONDS = STALE_SECONDS
    settings.UPLOAD_HEARTBEAT_SECONDS = 1
    saved = {key: app.conf.get(key) for key in ("broker_url", "result_backend", "task_always_eager")}
    _use_broker(FAULT_REDIS_URL, eager=False)
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": FAULT_REDIS_URL,
        "PHDSUPPORT_TESTING": "true",
        "UPLOAD_STALE_SECONDS": str(STALE_SECONDS),
        "UPLOAD_HEARTBEAT_SECONDS": "1",
        "DJANGO_SETTINGS_MODULE": "phdsupport.settings",
    }
    started: list[subprocess.Popen] = []

    def start(name: str) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "phdsupport", "worker", "--pool", "solo"),
                *("--loglevel", "info", "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        _use_broker(saved["broker_url"], eager=saved["task_always_eager"])
        app.conf.update(result_backend=saved["result_backend"])
        for log in sorted(tmp_path.glob("*.log")):  # shown by pytest when the test fails
            print(f"--- {log.name}\n{log.read_text()[-4000:]}")


def wait_until(condition, what: str, timeout: float = 240, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except OperationalError:  # SQLite: readers wait out a large apply's commit; look again
            continue
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_killed_mid_apply_lands_the_upload_exactly_once(worker_processes):
    call_command("load_reference", stdout=io.StringIO())
    university = UniversityFactory()
    staff = user_with_role("kill_staff", "university_staff", university=university)
    first = worker_processes("first")
    # given: a checked upload large enough that its apply takes a few seconds
    job = uploads.upload_create(university=university, filename="big.csv", content=big_file(ROWS), acting_user=staff)
    job = wait_until(lambda: UploadJob.objects.filter(pk=job.pk, state__in=["checked", "rejected"]).first(), "check")
    assert job.state == "checked", job.result.get("errors", [])[:3]
    assert job.total_rows == ROWS  # counted by the worker, not by the web request
    # when: the apply runs and the worker is killed once it has checked again and is writing
    uploads.upload_apply_start(job=job, acting_user=staff)
    wait_until(
        lambda: UploadJob.objects.filter(pk=job.pk, state="applying", processed_rows__gte=ROWS).exists(),
        "the apply to reach its writes",
    )
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    job.refresh_from_db()
    killed_while, killed_attempt = job.state, job.attempt
    # then: nothing of the killed run is visible
    if killed_while == "applying":
        assert not Student.objects.filter(university=university).exists()
        assert not Award.objects.filter(university=university).exists()
    # when: another worker starts; the unacknowledged task comes back to it
    worker_processes("second")
    job = wait_until(
        lambda: UploadJob.objects.filter(pk=job.pk, state__in=["applied", "failed", "rejected"]).first(), "the end"
    )
    if job.state == "failed":  # the sweeper came first: nothing written, a retry offered, and it lands once
        assert job.can_retry, job.message
        assert not Award.objects.filter(university=university).exists()
        uploads.upload_retry(job=job, acting_user=staff)
        job = wait_until(lambda: UploadJob.objects.filter(pk=job.pk, state__in=["applied", "failed"]).first(), "retry")
    # then: the upload landed exactly once
    assert job.state == "applied", (killed_while, job.state, job.message)
    assert job.result["awards_created"] == ROWS
    assert Student.objects.filter(university=university).count() == ROWS
    assert Award.objects.filter(university=university).count() == ROWS
    assert Award.history.filter(history_user=staff).count() == ROWS  # no history from the killed run either
    if killed_while == "applying":
        assert job.attempt > killed_attempt  # taken over by the second worker
