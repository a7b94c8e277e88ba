"""Issuing, checking and revoking API keys. Only a SHA-256 of the secret is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.utils import timezone

from students.models import ApiKey, University

KEY_PREFIX = "phd"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, scope: str, university: University | None, acting_user: Any) -> tuple[ApiKey, str]:
    """Issue a key; returns the row and the full key, which is never shown again."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        prefix=prefix,
        key_hash=_hash(secret),
        university=university,
        scope=scope,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    key.full_clean()
    key._history_user = key.created_by
    key.save()
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


# A key's row is read once per KEY_CACHE_SECONDS and shared through the cache; the lookup was a
# quarter of a list request's time. Revocation must still be immediate in every process:
# - the row is cached only in a cache every process shares (Redis, CACHE_URL; production
#   requires it). A per-process cache (the demo's local memory) cannot be told about a
#   revocation made in another process, so there the row is read on every request;
# - revoking drops the entry at once and, when the revocation commits, drops it again and
#   leaves a marker that outlives any entry: a request that read the row just before the
#   commit may put it back into the cache, but the marker, read with it, refuses it.
KEY_CACHE_SECONDS = 60
REVOKED_MARKER_SECONDS = 2 * KEY_CACHE_SECONDS
LAST_USED_EVERY_SECONDS = 60
PER_PROCESS_CACHES = (LocMemCache, DummyCache)


def _cache_key(prefix: str) -> str:
    return f"api-key:{prefix}"


def _revoked_key(prefix: str) -> str:
    return f"api-key-revoked:{prefix}"


def key_cache_is_shared() -> bool:
    return not isinstance(caches["default"], PER_PROCESS_CACHES)


def _live_key(prefix: str) -> ApiKey | None:
    return (
        ApiKey.objects.select_related("university", "created_by").filter(prefix=prefix, revoked_at__isnull=True).first()
    )


def api_key_check(raw: str) -> ApiKey | None:
    """The live key a bearer token names, or None; records when it was last used."""
    try:
        label, prefix, secret = raw.split("_", 2)
    except ValueError:
        return None
    if label != KEY_PREFIX:
        return None
    if key_cache_is_shared():
        cached = cache.get_many([_cache_key(prefix), _revoked_key(prefix)])
        if _revoked_key(prefix) in cached:
            return None
        key = cached.get(_cache_key(prefix))
        if key is None:
            key = _live_key(prefix)
            if key is None:
                return None
            cache.set(_cache_key(prefix), key, KEY_CACHE_SECONDS)
    else:
        key = _live_key(prefix)
        if key is None:
            return None
    if not hmac.compare_digest(key.key_hash, _hash(secret)):
        return None
    if cache.add(f"api-key-used:{key.pk}", 1, LAST_USED_EVERY_SECONDS):  # at most once a minute per key
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


def _forget_revoked(prefix: str) -> None:
    cache.set(_revoked_key(prefix), 1, REVOKED_MARKER_SECONDS)
    cache.delete(_cache_key(prefix))


@transaction.atomic
def api_key_revoke(*, key: ApiKey, acting_user: Any) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key._history_user = acting_user
        key.save(update_fields=["revoked_at"])
    cache.delete(_cache_key(key.prefix))  # refused from the next request on
    prefix = key.prefix
    transaction.on_commit(lambda: _forget_revoked(prefix))
    return key
