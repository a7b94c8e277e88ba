"""Who calls the API: a bearer key (university read/write, or ministry) or a browser session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from phdsupport import access
from students.api.keys import api_key_check
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
    def grant(self) -> access.Grant:
        """A ministry key reads aggregates; a university key acts as that university's staff. A
        write key is issued by the university for its system, which submits the annual report
        in the university's name (it certifies)."""
        if self.key.scope == ApiKey.Scope.MINISTRY:
            return access.Grant(access.Role.MINISTRY_VIEWER)
        return access.Grant(
            access.Role.UNIVERSITY_STAFF,
            university_id=self.key.university_id,
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
            raise exceptions.AuthenticationFailed(_("APIキーが無効です。"))
        # History rows written for this request name the key (phdsupport.history.history_api_key).
        request._request.history_api_key = key.prefix
        return ApiPrincipal(key), key

    def authenticate_header(self, request):
        return 'Bearer realm="phdsupport"'


def university_of(request) -> Any:
    """The university a write acts for: the key's, or the signed-in staff member's."""
    if isinstance(request.auth, ApiKey):
        return request.auth.university
    membership = access.grant_of(request.user).membership
    return membership.university if access.staff_university_id(request.user) is not None else None


def acting_user(request) -> Any:
    """The person recorded in history for a write: the key's issuer, or the signed-in user."""
    if isinstance(request.auth, ApiKey):
        return request.auth.created_by
    return request.user


class RowAccess(permissions.BasePermission):
    """Student and award rows: university keys and staff; writes need a write key or staff.

    Ministry keys and viewers get 403 here: they see aggregates only.
    """

    message = _("この操作の権限がありません。")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if isinstance(request.auth, ApiKey):
            if request.auth.scope == ApiKey.Scope.MINISTRY:
                return False
            return request.method in permissions.SAFE_METHODS or request.auth.scope == ApiKey.Scope.WRITE
        if request.method in permissions.SAFE_METHODS:
            return access.can_see_rows(user)
        return access.can_write_rows(user)


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
