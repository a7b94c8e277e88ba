"""Serializer fields carrying phdsupport.validation's bounds, so the API says what the forms say."""

from __future__ import annotations

from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from phdsupport.validation import (
    DATE_VALIDATORS,
    MAX_TERM_YEARS,
    MIN_TERM_YEARS,
    NOT_TEXT,
    TERM_MESSAGE,
    TextValidator,
)

NOT_INTEGER = _("整数で入力してください。")
NOT_BOOLEAN = _("true か false で入力してください。")


class TextField(serializers.CharField):
    """A CharField refusing what phdsupport.validation.text_problem refuses, with its message
    (DRF's own NUL and surrogate checks would add a second, English-only message)."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            v
            for v in self.validators
            if not isinstance(v, ProhibitNullCharactersValidator | ProhibitSurrogateCharactersValidator)
        ]
        self.multiline = multiline
        self.validators.append(TextValidator(multiline=multiline))


class PlausibleDateField(serializers.DateField):
    """A date within EARLIEST_DATE..LATEST_DATE."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validators", list(DATE_VALIDATORS))
        super().__init__(**kwargs)


class TermYearsField(serializers.IntegerField):
    """A standard term in years (1–6), bounds in the schema and the message of the forms."""

    def __init__(self, **kwargs):
        kwargs.update(min_value=MIN_TERM_YEARS, max_value=MAX_TERM_YEARS)
        kwargs.setdefault("error_messages", {"min_value": TERM_MESSAGE, "max_value": TERM_MESSAGE})
        super().__init__(**kwargs)


def json_type_error(field: serializers.Field, value: Any) -> Any:
    """The message when `value`, as parsed from JSON, is not of the type the schema gives `field`
    (DRF itself would take 0 as the text "0", "12" or 12.0 as the number 12, "yes" as true)."""
    if value is None:
        return None  # allow_null is the field's own check
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else NOT_BOOLEAN
    if isinstance(field, serializers.IntegerField):
        return None if isinstance(value, int) and not isinstance(value, bool) else NOT_INTEGER
    if isinstance(field, serializers.ChoiceField):
        if all(isinstance(choice, str) for choice in field.choices):
            return None if isinstance(value, str) else NOT_TEXT
        return None
    if isinstance(field, serializers.CharField | serializers.DateField | serializers.SlugRelatedField):
        return None if isinstance(value, str) else NOT_TEXT
    return None


class JsonTypesSerializer(serializers.Serializer):
    """A write serializer that takes each value in the JSON type its OpenAPI schema states, as
    the API's clients and schemathesis read the schema: a number where text belongs (or text
    where a number belongs) is refused with a 400 naming the field, never coerced."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            wrong = {}
            for name, field in self.fields.items():
                if field.read_only or field.source == "*" or name not in data:
                    continue
                message = json_type_error(field, data[name])
                if message is not None:
                    wrong[name] = [serializers.ErrorDetail(str(message), code="invalid")]
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


class NamesOneOf:
    """A serializer mixin for a body that must give at least one of `one_of_required` (a new
    record names its student by id or by number); the schema states it as anyOf (api.schema)."""

    one_of_required: tuple[str, ...] = ()
