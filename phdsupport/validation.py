"""Bounds and text rules for every value a person or a system types in (issue #12).

One place for them: model fields carry these validators (so `full_clean` refuses bad values
on every write path), and the API serializers, the forms and the upload planner use the same
objects. Imports no app.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

# Plausible dates. The oldest dates the product holds are entries of students who are still
# completing or whose careers are followed up 10 years on; 1950 leaves generations of room.
# 2100 leaves room for long plans (a 6-year term, extensions, 10-year career follow-ups) while
# keeping every derived date (due dates up to +10 years, fiscal-year ends, month arithmetic)
# far inside Python's date range (year 9999); 9995-03-31 or 9999-12-31 are typing errors.
EARLIEST_DATE = date(1950, 1, 1)
LATEST_DATE = date(2100, 12, 31)

# 標準修業年限 of a doctoral course (博士後期課程 3 years; 4-year courses in medicine, dentistry,
# pharmacy and veterinary science; 5-year integrated courses; 6 as headroom). 0 is meaningless.
MIN_TERM_YEARS = 1
MAX_TERM_YEARS = 6

MAX_JSON_DEPTH = 64  # the API's deepest real body is 3 levels (bulk: object → list → item)

DATE_OUT_OF_RANGE = _("日付は%(earliest)sから%(latest)sまでの範囲で入力してください（入力: %(value)s）。")
TERM_OUT_OF_RANGE = _("標準修業年限は%(low)s年から%(high)s年までの整数で入力してください。")
BAD_CHARACTER = _("使えない文字が含まれています（%(position)s文字目: %(code)s、%(kind)s）。")
NOT_TEXT = _("文字列で入力してください。")

KIND_NUL = _("NUL 文字")
KIND_CONTROL = _("制御文字")
KIND_SURROGATE = _("対になっていないサロゲート")
KIND_BIDI = _("双方向テキストの制御文字")
KIND_NONCHARACTER = _("非文字")

BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
MULTILINE_ALLOWED = frozenset("\t\n\r")
# Anything that may be refused: C0, DEL, C1, surrogates, bidi embeddings/overrides/isolates,
# U+FFFE/U+FFFF. A fast pre-check so ordinary text costs one regex search.
_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def _kind(character: str, *, multiline: bool) -> Any:
    """Why a character is refused, or None when it is allowed."""
    if character == "\x00":
        return KIND_NUL
    if multiline and character in MULTILINE_ALLOWED:
        return None
    code = ord(character)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return KIND_CONTROL
    if 0xD800 <= code <= 0xDFFF:
        return KIND_SURROGATE
    if character in BIDI_CONTROLS:
        return KIND_BIDI
    if code in (0xFFFE, 0xFFFF):
        return KIND_NONCHARACTER
    return None


def text_problem(value: str, *, multiline: bool = False) -> ValidationError | None:
    """The first refused character of `value` as a ValidationError, or None when the text is clean.

    Refused: NUL; C0 and C1 control characters and DEL (tab, line feed and carriage return are
    allowed in multi-line text); lone surrogates (they cannot be stored or encoded as UTF-8);
    bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which reorder what
    a reader sees (a student number that displays as another). Emoji, combining marks and
    every other printable character are allowed.
    """
    if not _SUSPECT.search(value):
        return None
    for position, character in enumerate(value, start=1):
        kind = _kind(character, multiline=multiline)
        if kind is not None:
            return ValidationError(
                BAD_CHARACTER,
                code="bad_character",
                params={"position": position, "code": f"U+{ord(character):04X}", "kind": kind},
            )
    return None


@deconstructible
class TextValidator:
    """Refuse characters that break storage, exports or what a reader sees (see text_problem)."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            raise ValidationError(NOT_TEXT, code="invalid")
        problem = text_problem(value, multiline=self.multiline)
        if problem is not None:
            raise problem

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash(("TextValidator", self.multiline))


@deconstructible
class PlausibleDateValidator:
    """Refuse dates outside EARLIEST_DATE..LATEST_DATE."""

    def __call__(self, value: Any) -> None:
        if isinstance(value, date) and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValidationError(
                DATE_OUT_OF_RANGE,
                code="date_out_of_range",
                params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat(), "value": value},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlausibleDateValidator)

    def __hash__(self) -> int:
        return hash("PlausibleDateValidator")


@deconstructible
class TermYearsValidator:
    """Refuse a standard term outside MIN_TERM_YEARS..MAX_TERM_YEARS."""

    def __call__(self, value: Any) -> None:
        if isinstance(value, int) and not MIN_TERM_YEARS <= value <= MAX_TERM_YEARS:
            raise ValidationError(
                TERM_OUT_OF_RANGE, code="term_out_of_range", params={"low": MIN_TERM_YEARS, "high": MAX_TERM_YEARS}
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TermYearsValidator)

    def __hash__(self) -> int:
        return hash("TermYearsValidator")


validate_text = TextValidator()
validate_multiline_text = TextValidator(multiline=True)
validate_plausible_date = PlausibleDateValidator()
DATE_VALIDATORS = [validate_plausible_date]
TEXT_VALIDATORS = [validate_text]
MULTILINE_VALIDATORS = [validate_multiline_text]
validate_term_years = TermYearsValidator()
# The same message as text, for fields that format their own (DRF's min_value/max_value).
TERM_MESSAGE = lazy(lambda: str(TERM_OUT_OF_RANGE) % {"low": MIN_TERM_YEARS, "high": MAX_TERM_YEARS}, str)()
TERM_VALIDATORS = [validate_term_years]


def _messages_text(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


# An error's messages as one text, read when it is shown: kept (an upload's row errors), it reads
# in the language of whoever reads it, as its messages are lazy translations.
messages_text = lazy(_messages_text, str)


def field_errors(model: type, values: dict[str, Any], names: Iterable[str] | None = None) -> list[tuple[str, Any]]:
    """(field name, message) for each value its model field refuses: type, length, choices and
    the validators above, without touching the database. For callers that validate many rows
    in memory (the upload planner) and so do not call `full_clean` per row."""
    errors = []
    for name in values if names is None else names:
        if name not in values:
            continue
        model_field = model._meta.get_field(name)
        value = values[name]
        if value in (None, "") and model_field.blank:
            continue
        try:
            model_field.clean(value, None)
        except ValidationError as error:
            errors.append((name, messages_text(error)))
    return errors


def printable(value: str) -> str:
    """`value` with the characters text_problem refuses replaced by U+FFFD, for output paths
    (exports, logs) that must never fail on a value stored before these rules existed."""
    if not _SUSPECT.search(value):
        return value
    return "".join("\ufffd" if _kind(c, multiline=True) is not None else c for c in value)


def date_plus(day: date, delta: Any) -> date:
    """`day` + `delta` (a timedelta or relativedelta), or date.max when that passes year 9999.

    For arithmetic on stored dates in reads: a date stored before the bounds above existed
    (9995-03-31 + 10 years) must not make a page fail, for its university or any other.
    date.max reads as "never" to the callers (never due, never late)."""
    try:
        return day + delta
    except (OverflowError, ValueError):
        return date.max
