"""Issuing, checking and revoking API keys. Only a SHA-256 of the secret is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

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


def api_key_check(raw: str) -> ApiKey | None:
    """The live key a bearer token names, or None; records when it was last used."""
    try:
        label, prefix, secret = raw.split("_", 2)
    except ValueError:
        return None
    if label != KEY_PREFIX:
        return None
    key = (
        ApiKey.objects.select_related("university", "created_by").filter(prefix=prefix, revoked_at__isnull=True).first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, _hash(secret)):
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)  # at most once a minute per key
    return key


@transaction.atomic
def api_key_revoke(*, key: ApiKey, acting_user: Any) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
