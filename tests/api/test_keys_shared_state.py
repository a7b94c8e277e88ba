"""API keys and rate limits across processes (issue #12, item 6)."""

import pytest
from django.core.cache import caches
from django.utils import timezone

from students.api.auth import KeyRateThrottle
from students.api.keys import _cache_key, api_key_check, api_key_create, api_key_revoke
from students.models import ApiKey
from tests.api.test_api import client_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_and_secret(reference, university_a, staff_a):
    return api_key_create(name="A write", scope="write", university=university_a, acting_user=staff_a)


def test_a_revoked_key_is_refused_by_the_next_request_though_just_used(
    shared_cache, key_and_secret, django_capture_on_commit_callbacks
):
    # Ref: #12
    # given a key whose row sits in the shared cache
    key, secret = key_and_secret
    client = client_with(secret)
    assert client.get("/api/v1/students/").status_code == 200
    assert caches["default"].get(_cache_key(key.prefix)) is not None
    # when it is revoked
    with django_capture_on_commit_callbacks(execute=True):
        api_key_revoke(key=key, acting_user=None)
    # then the very next request is refused
    response = client.get("/api/v1/students/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_request_racing_the_revocation_cannot_put_the_key_back(
    shared_cache, key_and_secret, django_capture_on_commit_callbacks
):
    # given a request in another process that read the row just before the revocation committed
    key, secret = key_and_secret
    stale = ApiKey.objects.select_related("university", "created_by").get(pk=key.pk)
    with django_capture_on_commit_callbacks(execute=True):
        api_key_revoke(key=key, acting_user=None)
    # when it writes that row into the cache after the commit
    caches["default"].set(_cache_key(key.prefix), stale, 60)
    # then the key is still refused
    assert api_key_check(secret) is None
    assert client_with(secret).get("/api/v1/students/").status_code == 401


def test_a_revocation_in_another_process_is_seen_at_once_with_a_per_process_cache(key_and_secret):
    # given the demo's per-process cache and a key just used here
    key, secret = key_and_secret
    client = client_with(secret)
    assert client.get("/api/v1/students/").status_code == 200
    # when another process revokes it (its cache is not ours: only the table changes)
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    # then this process refuses it on the next request
    assert client.get("/api/v1/students/").status_code == 401


def test_the_rate_limit_is_counted_once_for_all_processes(shared_cache, settings, key_and_secret, monkeypatch):
    # given two processes, each with its own client of the shared cache
    settings.API_RATE = "3/min"
    _key, secret = key_and_secret
    client = client_with(secret)
    first_process, second_process = caches.create_connection("default"), caches.create_connection("default")
    assert first_process is not second_process
    # when the first process answers two requests
    monkeypatch.setattr(KeyRateThrottle, "cache", first_process)
    assert [client.get("/api/v1/programs/").status_code for _n in range(2)] == [200, 200]
    # then the second process allows only the third and refuses the fourth
    monkeypatch.setattr(KeyRateThrottle, "cache", second_process)
    assert client.get("/api/v1/programs/").status_code == 200
    refused = client.get("/api/v1/programs/")
    assert refused.status_code == 429
    assert "Retry-After" in refused
