"""The OpenAPI description of what every operation can answer besides success, and of bounds.

Every error is an RFC 9457 problem (phdsupport.api.errors): the schema names the statuses each
operation can give, all with the one Problem body, so that university systems can code
against them. Query parameters carry the bounds their filters check (fiscal years, page sizes).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from phdsupport.api.errors import PROBLEM_JSON


class ProblemErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The input field, or null for the request as a whole.")
    code = serializers.CharField(help_text="Machine-readable reason, e.g. required, invalid, report_locked.")
    message = serializers.CharField(help_text="In the language asked for by Accept-Language.")


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem detail."""

    type = serializers.CharField(default="about:blank")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = ProblemErrorSerializer(many=True)


PROBLEMS = {
    400: "The input is invalid (field by field in `errors`).",
    401: "No API key or session, or the key is invalid or revoked.",
    403: "The key or user may not do this (e.g. a read key writing, a ministry key reading rows).",
    404: "No such object among those the caller may see (another university's objects too).",
    412: "If-Match names another version: the object changed since it was read.",
    422: "This Idempotency-Key was used with a different body.",
    428: "If-Match is required to change or delete this object.",
    429: "Too many requests for this key; retry after Retry-After seconds.",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the problem responses and the filters' bounds."""

    def problem_statuses(self) -> list[int]:
        has_path_parameters = "{" in self.path
        statuses = [401, 403]
        if self.method in {"POST", "PUT", "PATCH"} or self._get_filter_parameters() or self._has_query_serializer():
            statuses.append(400)
        if has_path_parameters or self._get_pagination_parameters():  # a cursor past the end: 404
            statuses.append(404)
        if self.method in WRITES and has_path_parameters:
            statuses.append(412)
        if self.method == "POST":
            statuses.append(422)
        if self.method in {"PUT", "PATCH", "DELETE"}:
            statuses.append(428)
        if getattr(self.view, "throttle_classes", None):
            statuses.append(429)
        return sorted(statuses)

    def _has_query_serializer(self) -> bool:
        return any(
            isinstance(p, type) and issubclass(p, serializers.Serializer) for p in self.get_override_parameters()
        )

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        problem = self.resolve_serializer(ProblemSerializer, "response").ref
        for status in self.problem_statuses():
            responses.setdefault(
                str(status), {"description": PROBLEMS[status], "content": {PROBLEM_JSON: {"schema": problem}}}
            )
        return responses

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_filter_parameters()
        filterset_class = getattr(self.view, "filterset_class", None)
        filters = getattr(filterset_class, "base_filters", {})
        for parameter in parameters:
            extra = getattr(filters.get(parameter["name"]), "extra", {})
            _bound(parameter["schema"], extra.get("min_value"), extra.get("max_value"))
        return parameters

    def _get_pagination_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_pagination_parameters()
        paginator = self._get_paginator() if parameters else None
        size_name = getattr(paginator, "page_size_query_param", None)
        for parameter in parameters:
            if size_name and parameter["name"] == size_name and getattr(paginator, "max_page_size", None):
                _bound(parameter["schema"], 1, paginator.max_page_size)
        return parameters


def _bound(schema: dict[str, Any], minimum: Any, maximum: Any) -> None:
    if minimum is None and maximum is None:
        return
    if all(isinstance(value, int) for value in (minimum, maximum) if value is not None):
        schema["type"] = "integer"  # a year or a count, though django-filter reads it as a number
        schema.pop("format", None)
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
