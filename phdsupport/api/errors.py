"""Errors as RFC 9457 problem details, messages in the language asked for (Accept-Language)."""

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


def _flatten(data: Any, field: str | None = None) -> list[dict[str, str]]:
    if isinstance(data, dict):
        return [e for key, value in data.items() for e in _flatten(value, key if field is None else f"{field}.{key}")]
    if isinstance(data, list):
        return [e for item in data for e in _flatten(item, field)]
    name = None if field in (None, "non_field_errors", "__all__", "detail") else field
    return [{"field": name, "code": getattr(data, "code", "invalid"), "message": str(data)}]


def problem_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        codes = {}
        if hasattr(exc, "error_dict"):
            codes = {k: [e.code or "invalid" for e in v] for k, v in exc.error_dict.items()}
        exc = exceptions.ValidationError(
            {
                k: [exceptions.ErrorDetail(m, code=(codes.get(k) or ["invalid"] * len(v))[i]) for i, m in enumerate(v)]
                for k, v in detail.items()
            }
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    errors = _flatten(response.data)
    status = response.status_code
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": errors[0]["message"]
        if len(errors) == 1
        else (gettext("入力に誤りがあります。") if status == 400 else HTTPStatus(status).description),
        "errors": errors,
    }
    response.data = body
    response.content_type = PROBLEM_JSON
    return response
