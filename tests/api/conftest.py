import os
import uuid

import pytest
import redis

CACHE_REDIS_URL = os.environ.get("TEST_CACHE_REDIS_URL", "redis://127.0.0.1:6379/8")


@pytest.fixture
def shared_cache(settings):
    """The default cache on Redis, as in production: one cache for every process.

    A fresh key prefix per test instead of a flush, so nothing else in the database is touched.
    Outside CI a missing Redis skips the test; with CI=true it fails it.
    """
    try:
        redis.Redis.from_url(CACHE_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        message = f"Redis is not reachable at {CACHE_REDIS_URL}: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    return settings.CACHES["default"]
