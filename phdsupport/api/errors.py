"""Errors as RFC 9457 problem details, messages in the language asked for (Accept-Language).

The status says whose side the refusal is on, so that a client (and schemathesis) can tell a
request that does not match the published schema from one the rules refuse:
- 400: the request does not match the OpenAPI schema (a type, a bound, a length, a character,
  a missing field, an unknown choice): the serializers and filters say so.
- 409: it matches, but conflicts with the current state of the data (a year whose report was
  accepted, a report not in a state that allows it, an award already recorded or closed, an
  object deleted since it was read).
- 412: another version was written since the one the client read (If-Match, or a race after it).
- 422: it matches, but a rule of the domain refuses it (a term too long, an overlap, a date
  outside the award): the service functions say so, with the same codes as forms and uploads.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.views import exception_handler

PROBLEM_JSON = "application/problem+json"


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_detail = _("他の利用者が先に更新しました（If-Match が一致しません）。")
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    # RFC 6585: an update without If-Match could overwrite a change it never saw.
    status_code = 428
    default_detail = _("更新・削除には If-Match ヘッダー（読み取った ETag）が必要です。")
    default_code = "precondition_required"


class IdempotencyConflict(exceptions.APIException):
    status_code = 422
    default_detail = _("同じ Idempotency-Key が別の内容で使われています。")
    default_code = "idempotency_key_reused"


# Codes of service refusals that are conflicts with the data as it stands (409), not with the rules.
CONFLICT_CODES = frozenset(
    {"report_locked", "year_locked", "wrong_state", "closed", "duplicate_award", "year_not_over", "gone"}
)
STALE_CODES = frozenset({"stale"})


def _service_status(codes: list[str]) -> int:
    """The status of a refusal by the services (a Django ValidationError): 412, 409 or 422."""
    if codes and all(code in STALE_CODES for code in codes):
        return 412
    if codes and all(code in CONFLICT_CODES | STALE_CODES for code in codes):
        return 409
    return 422


def _flatten(data: Any, field: str | None = None) -> list[dict[str, str]]:
    if isinstance(data, dict):
        return [e for key, value in data.items() for e in _flatten(value, key if field is None else f"{field}.{key}")]
    if isinstance(data, list):
        return [e for item in data for e in _flatten(item, field)]
    name = None if field in (None, "non_field_errors", "__all__", "detail") else field
    return [{"field": name, "code": getattr(data, "code", "invalid"), "message": str(data)}]


def problem_exception_handler(exc, context):
    service_status = None
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        if hasattr(exc, "error_dict"):
            codes = {k: [e.code or "invalid" for e in v] for k, v in exc.error_dict.items()}
        else:
            codes = {"non_field_errors": [e.code or "invalid" for e in exc.error_list]}
        exc = exceptions.ValidationError(
            {
                k: [exceptions.ErrorDetail(m, code=(codes.get(k) or ["invalid"] * len(v))[i]) for i, m in enumerate(v)]
                for k, v in detail.items()
            }
        )
        service_status = _service_status([code for value in codes.values() for code in value])
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if service_status is not None:
        response.status_code = service_status
    errors = _flatten(response.data)
    status = response.status_code
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": errors[0]["message"]
        if len(errors) == 1
        else (gettext("入力に誤りがあります。") if status in (400, 409, 422) else HTTPStatus(status).description),
        "errors": errors,
    }
    response.data = body
    response.content_type = PROBLEM_JSON
    return response
