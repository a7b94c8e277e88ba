"""Issuing, checking and revoking API keys. Only a SHA-256 of the secret is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.core.cache import cache
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
    key.save()
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


# A key's row is read once per KEY_CACHE_SECONDS and shared through the cache: with Redis every
# process sees a revocation at once (api_key_revoke drops the entry). The lookup was a quarter
# of a list request's time.
KEY_CACHE_SECONDS = 60
LAST_USED_EVERY_SECONDS = 60


def _cache_key(prefix: str) -> str:
    return f"api-key:{prefix}"


def api_key_check(raw: str) -> ApiKey | None:
    """The live key a bearer token names, or None; records when it was last used."""
    try:
        label, prefix, secret = raw.split("_", 2)
    except ValueError:
        return None
    if label != KEY_PREFIX:
        return None
    key = cache.get(_cache_key(prefix))
    if key is None:
        key = (
            ApiKey.objects.select_related("university", "created_by")
            .filter(prefix=prefix, revoked_at__isnull=True)
            .first()
        )
        if key is None:
            return None
        cache.set(_cache_key(prefix), key, KEY_CACHE_SECONDS)
    if not hmac.compare_digest(key.key_hash, _hash(secret)):
        return None
    if cache.add(f"api-key-used:{key.pk}", 1, LAST_USED_EVERY_SECONDS):  # at most once a minute per key
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


@transaction.atomic
def api_key_revoke(*, key: ApiKey, acting_user: Any) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    cache.delete(_cache_key(key.prefix))  # refused from the next request on
    return key
