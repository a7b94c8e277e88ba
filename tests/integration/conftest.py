"""A real Celery worker consuming from a real Redis broker (no mocks).

Outside CI a missing Redis skips these tests; with CI=true it fails them.
"""

import os

import pytest
import redis
from celery.contrib.testing.worker import start_worker

from phdsupport.celery import app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        message = f"Redis is not reachable at {REDIS_URL}: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


def reset_celery_caches() -> None:
    """Forget the result backend and broker connections the app built under the settings it had.

    An eager task run earlier in the same process (the suite runs in one) leaves the app holding
    a disabled result backend and a producer pool for no broker; after the settings change the
    worker's results would be unreadable ("No result backend is configured") and its tasks unsent.
    """
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_worker_on_redis(transactional_db):
    _require_redis()
    redis.Redis.from_url(REDIS_URL).flushdb()
    saved = {key: app.conf.get(key) for key in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False)
    reset_celery_caches()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
            yield worker
    finally:
        app.conf.update(saved)
        reset_celery_caches()
