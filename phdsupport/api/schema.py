"""The OpenAPI description of what every operation can answer besides success, and of bounds.

Every error is an RFC 9457 problem (phdsupport.api.errors): the schema names the statuses each
operation can give, all with the one Problem body, so that university systems can code
against them. Query parameters carry the bounds their filters check (fiscal years, page sizes).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import DatabaseError
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from phdsupport.api.errors import PROBLEM_JSON
from phdsupport.validation import EARLIEST_DATE, LATEST_DATE, MULTILINE_ALLOWED

# What phdsupport.validation.text_problem refuses, as a JSON Schema pattern: C0 controls (tab,
# line feed and carriage return allowed in multi-line text), DEL, C1 controls, bidi embeddings,
# overrides and isolates, U+FFFE/U+FFFF. (Lone surrogates cannot be written in valid JSON text.)
_REFUSED_RANGES = [(0x00, 0x1F), (0x7F, 0x9F), (0x202A, 0x202E), (0x2066, 0x2069), (0xFFFE, 0xFFFF)]


def text_pattern(*, multiline: bool) -> str:
    allowed = {ord(c) for c in MULTILINE_ALLOWED} if multiline else set()
    refused = [code for low, high in _REFUSED_RANGES for code in range(low, high + 1) if code not in allowed]
    ranges: list[list[int]] = []
    for code in refused:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    body = "".join(f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges)
    return f"^[^{body}]*$"


class TextFieldExtension(OpenApiSerializerFieldExtension):
    """A text input: a text that may not be blank as minLength 1 and, for
    phdsupport.api.fields.TextField, its character rule as a pattern, so that what the schema
    allows the API takes."""

    target_class = "rest_framework.fields.CharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and not self.target.read_only:
            if hasattr(self.target, "multiline"):  # phdsupport.api.fields.TextField
                schema["pattern"] = text_pattern(multiline=self.target.multiline)
            if not self.target.allow_blank:
                schema.setdefault("minLength", 1)
        return schema


class NamesOneOfExtension(OpenApiSerializerExtension):
    """phdsupport.api.fields.NamesOneOf: the body gives at least one of the fields named."""

    target_class = "phdsupport.api.fields.NamesOneOf"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["anyOf"] = [{"required": [name]} for name in self.target.one_of_required]
        return schema


def plausible_date_pattern() -> str:
    """An ISO date within EARLIEST_DATE..LATEST_DATE (1950-01-01 to 2100-12-31, whole years) as a
    pattern; with format: date (which rules out 02-30) the pair states what the API takes."""
    assert (EARLIEST_DATE.month, EARLIEST_DATE.day, LATEST_DATE.month, LATEST_DATE.day) == (1, 1, 12, 31)
    assert (EARLIEST_DATE.year, LATEST_DATE.year) == (1950, 2100), "rewrite the pattern for new bounds"
    return "^(?:19[5-9][0-9]|20[0-9][0-9]|2100)-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"


class PlausibleDateExtension(OpenApiSerializerFieldExtension):
    target_class = "phdsupport.api.fields.PlausibleDateField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["pattern"] = plausible_date_pattern()
        return schema


def _codes(queryset, field: str) -> list[str]:
    """The codes stored so far, or none where there is no table yet: `manage.py check --deploy`
    generates the schema before any migration (drf-spectacular's system check)."""
    try:
        return sorted(queryset.values_list(field, flat=True))
    except DatabaseError:
        return []


class SlugChoiceExtension(OpenApiSerializerFieldExtension):
    """A writable SlugRelatedField (a program by its code): the codes there are, read when the
    schema is served, as an enum (the reference data can grow; the live schema follows)."""

    target_class = "rest_framework.relations.SlugRelatedField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and not self.target.read_only and self.target.queryset is not None:
            values = _codes(self.target.get_queryset(), self.target.slug_field)
            if values:  # none yet (a database before load_reference): any text, refused as unknown
                schema["enum"] = values
        return schema


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
    400: "The request does not match this schema: a type, bound, length, character or choice "
    "(field by field in `errors`).",
    401: "No API key or session, or the key is invalid or revoked.",
    403: "The key or user may not do this (e.g. a read key writing, a ministry key reading rows).",
    404: "No such object among those the caller may see (another university's objects too; for a "
    "write, also the student it names).",
    409: "The request conflicts with the data as it stands: the year's report was accepted or its statistics locked "
    "(report_locked, year_locked), the report is not in a state that allows this (wrong_state, year_not_over), "
    "the award is already recorded (duplicate_award) or closed, or the object was deleted since it was read (gone).",
    412: "If-Match names another version: the object changed since it was read.",
    422: "The request matches this schema but a rule refuses it (field by field in `errors`, with "
    "the codes forms and uploads give, e.g. term_exceeded, exclusive_overlap, outside), or this "
    "Idempotency-Key was used with a different body (idempotency_key_reused).",
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
        # A cursor past the end, the object of the path, or the student a new record names: 404.
        if has_path_parameters or self._get_pagination_parameters() or self.method in WRITES:
            statuses.append(404)
        if self.method in WRITES:
            statuses.append(409)
        if self.method in WRITES and has_path_parameters:
            statuses.append(412)
        if self.method in WRITES:
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
            filter_ = filters.get(parameter["name"])
            extra = getattr(filter_, "extra", {})
            _bound(parameter["schema"], extra.get("min_value"), extra.get("max_value"))
            if isinstance(filter_, django_filters.ModelChoiceFilter) and extra.get("to_field_name"):
                # A program by its code: the codes there are (the filter refuses any other).
                values = _codes(filter_.queryset, extra["to_field_name"])
                if values:
                    parameter["schema"]["enum"] = values
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
