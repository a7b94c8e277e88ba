"""Serializer fields carrying phdsupport.validation's bounds, so the API says what the forms say."""

from __future__ import annotations

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from phdsupport.validation import (
    DATE_VALIDATORS,
    MAX_TERM_YEARS,
    MIN_TERM_YEARS,
    TERM_MESSAGE,
    TextValidator,
)


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
