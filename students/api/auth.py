"""Who calls the API: a bearer key (university read/write, or ministry) or a browser session."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from programs.models import Program
from students.api.keys import api_key_check
from students.managers import is_administrator
from students.models import ApiKey


@dataclass
class ApiPrincipal:
    """A key acting as a user: university staff of its university, or a ministry viewer."""

    key: ApiKey
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_superuser: bool = False
    is_staff: bool = False
    pk: None = None

    @property
    def membership(self) -> SimpleNamespace:
        role = "ministry_viewer" if self.key.scope == ApiKey.Scope.MINISTRY else "university_staff"
        return SimpleNamespace(
            role=role,
            university_id=self.key.university_id,
            university=self.key.university,
            programs=Program.objects.none(),
            # A university's write key is issued by its administrators for its system, which
            # submits the annual report in the university's name.
            can_certify=self.key.scope == ApiKey.Scope.WRITE,
        )

    @property
    def recorded_user(self) -> Any:
        """Who history names for what the key does: the person who issued it."""
        return self.key.created_by

    def __str__(self) -> str:
        return f"api-key:{self.key.prefix}"


class BearerKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        key = api_key_check(header[7:].strip())
        if key is None:
            raise exceptions.AuthenticationFailed("APIキーが無効です。 / The API key is invalid or revoked.")
        return ApiPrincipal(key), key

    def authenticate_header(self, request):
        return 'Bearer realm="phdsupport"'


def university_of(request) -> Any:
    membership = getattr(request.user, "membership", None)
    return getattr(membership, "university", None)


def acting_user(request) -> Any:
    """The person recorded in history for a write: the key's issuer, or the signed-in user."""
    if isinstance(request.auth, ApiKey):
        return request.auth.created_by
    return request.user


class RowAccess(permissions.BasePermission):
    """Student and award rows: university keys and staff; writes need a write key or staff.

    Ministry keys and viewers get 403 here: they see aggregates only.
    """

    message = "この操作の権限がありません。 / This key or user may not do this."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if isinstance(request.auth, ApiKey):
            if request.auth.scope == ApiKey.Scope.MINISTRY:
                return False
            return request.method in permissions.SAFE_METHODS or request.auth.scope == ApiKey.Scope.WRITE
        role = getattr(getattr(user, "membership", None), "role", None)
        if request.method in permissions.SAFE_METHODS:
            return is_administrator(user) or role in ("university_staff", "program_officer")
        return role == "university_staff"


class AggregateAccess(permissions.BasePermission):
    """Reference data and aggregates: any key or signed-in user."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) and request.method in permissions.SAFE_METHODS


class KeyRateThrottle(throttling.SimpleRateThrottle):
    """Requests per key (or per signed-in user); over the rate: 429 with Retry-After."""

    scope = "api"

    def get_rate(self):
        return settings.API_RATE

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "students.api.auth.BearerKeyAuthentication"
    name = "BearerKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "phd_xxxxxxxx_… issued per university"}
