"""Reading an uploaded table: the file format (columns), CSV/XLSX, encodings, caps, and cells.

The upload format is one row per award (a student without awards has one row with the award
columns empty), headed in Japanese or English. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from students.models import Field, Student

# key, Japanese header, English header
COLUMNS: list[tuple[str, str, str]] = [
    ("student_number", "学籍番号", "student_number"),
    ("erad_number", "研究者番号", "erad_number"),
    ("family_name", "姓", "family_name"),
    ("given_name", "名", "given_name"),
    ("field", "学系", "field"),
    ("entry_date", "入学日", "entry_date"),
    ("standard_term_years", "標準修業年限", "standard_term_years"),
    ("status", "在籍状況", "status"),
    ("completion_date", "修了・退学日", "completion_date"),
    ("is_international", "留学生", "is_international"),
    ("is_working_adult", "社会人学生", "is_working_adult"),
    ("program", "支援事業", "program"),
    ("start_date", "支援開始日", "start_date"),
    ("end_date", "支援終了日", "end_date"),
    ("annual_living_cost", "生活費相当額（年額）", "annual_living_cost"),
    ("annual_research_cost", "研究費（年額）", "annual_research_cost"),
    ("is_reserved", "予約採用", "is_reserved"),
]
STUDENT_KEYS = [key for key, *_ in COLUMNS[:11]]
AWARD_KEYS = [key for key, *_ in COLUMNS[11:]]
HEADER_TO_KEY = {name: key for key, ja, en in COLUMNS for name in (ja, en, key)}
LABEL_OF = {key: ja for key, ja, _en in COLUMNS}
REQUIRED_STUDENT = {"student_number", "field", "entry_date"}
ASYNC_THRESHOLD = 10_000  # rows; larger files are checked and applied by the Celery worker

TRUE_WORDS = {"1", "true", "yes", "y", "はい", "○", "〇", "有", "該当"}
FALSE_WORDS = {"", "0", "false", "no", "n", "いいえ", "×", "無", "-", "非該当"}


# Messages (Japanese first, English too)
NOT_A_TABLE = _(
    "CSV（UTF-8 / Shift_JIS）または XLSX のファイルを選んでください。 / Choose a CSV (UTF-8 or Shift_JIS) or XLSX file."
)
TOO_LARGE = _("ファイルが大きすぎます（上限 {limit} MB）。 / The file is too large (limit {limit} MB).")
MISSING_HEADERS = _("必須の列がありません: {columns} / Required columns are missing: {columns}")
UNKNOWN_HEADER = _("不明な列です: {column} / Unknown column: {column}")
REQUIRED = _("必須です。 / Required.")
BAD_DATE = _("日付は 2025-04-01 の形式で入力してください。 / Enter a date like 2025-04-01.")
BAD_INT = _("整数で入力してください。 / Enter a whole number.")
BAD_BOOL = _("「はい」か「いいえ」（1 / 0）で入力してください。 / Enter yes or no (1 / 0).")
BAD_CHOICE = _("選択肢にない値です: {value} / Not one of the choices: {value}")


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based row number as the user sees it (header = row 1)
    column: str  # the column's Japanese header
    message: str
    field: str = ""  # the column's key (API field name)
    code: str = "invalid"  # the error code, the same as the services' ValidationError gives


@dataclass
class ImportResult:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    students_created: int = 0
    students_updated: int = 0
    students_unchanged: int = 0
    awards_created: int = 0
    awards_updated: int = 0
    awards_unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "errors"}
        data["errors"] = [e.__dict__ for e in self.errors]
        return data


class CellError(ValueError):
    """A cell that cannot be read as its column's type, with the code a form would give."""

    def __init__(self, message: Any, code: str = "invalid"):
        super().__init__(message)
        self.code = code


class UploadRejected(ValidationError):
    """The file as a whole cannot be read (format, size, headers)."""


# --- Reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """An uploaded table read lazily: rows are parsed again on each pass, never all held at once."""

    headers: list[str]
    count: int  # data rows, up to the last row that is not empty
    rows: Callable[[], Iterator[list[Any]]]


def read_table(content: bytes, filename: str = "") -> Table:
    """A CSV (UTF-8, UTF-8 with BOM, Shift_JIS/CP932) or XLSX file's headers and data rows."""
    if len(content) > settings.UPLOAD_MAX_BYTES:
        raise UploadRejected(TOO_LARGE.format(limit=settings.UPLOAD_MAX_BYTES // 2**20))
    if content[:4] == b"PK\x03\x04":
        return _read_xlsx(content)
    if filename.lower().endswith((".xlsx", ".xls")):
        raise UploadRejected(NOT_A_TABLE)
    for encoding in ("utf-8-sig", "cp932"):
        try:
            count = sum(1 for _row in _csv_rows(content, encoding))
            break
        except (UnicodeDecodeError, csv.Error):
            continue
    else:
        raise UploadRejected(NOT_A_TABLE)
    rows = _csv_rows(content, encoding)
    headers = next(rows, None)
    if headers is None:
        raise UploadRejected(NOT_A_TABLE)

    def data() -> Iterator[list[Any]]:
        stream = _csv_rows(content, encoding)
        next(stream, None)
        return stream

    return Table([h.strip() for h in headers], count - 1, data)


def _csv_rows(content: bytes, encoding: str) -> Iterator[list[str]]:
    return csv.reader(io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline=""))


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        # An XLSX is a zip: refuse one that would unpack to more than the cap (zip bombs).
        if sum(info.file_size for info in archive.infolist()) > settings.UPLOAD_MAX_UNCOMPRESSED_BYTES:
            raise UploadRejected(TOO_LARGE.format(limit=settings.UPLOAD_MAX_UNCOMPRESSED_BYTES // 2**20))
        load_workbook(io.BytesIO(content), read_only=True, data_only=True).close()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UploadRejected(NOT_A_TABLE) from error

    def all_rows() -> Iterator[list[Any]]:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()

    headers, last, index = None, 0, 0
    for index, row in enumerate(all_rows()):
        if index == 0:
            headers = row
        elif any(cell not in (None, "") for cell in row):
            last = index
    if headers is None:
        raise UploadRejected(NOT_A_TABLE)

    def data() -> Iterator[list[Any]]:
        rows = all_rows()
        next(rows, None)
        for position, row in enumerate(rows, start=1):
            if position > last:
                return
            yield row

    return Table([str(h or "").strip() for h in headers], last, data)


# --- Parsing cells ------------------------------------------------------------------------


def _text(value: Any) -> str:
    if type(value) is str:  # every CSV cell: no conversion
        text = value.strip()
    elif value is None:
        return ""
    else:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
    # Our own exports put a quote before text that looks like a formula; take it off again.
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _date_from_text(_text(value))


@lru_cache(maxsize=4096)
def _date_from_text(text: str) -> date | None:
    # Cached: a file repeats the same few dates, and one shared object per date keeps
    # a 100,000-row upload small in memory. Full-width digits and slashes (２０２５／４／１)
    # read as their ASCII forms; the month and day may have one digit (2025/4/1).
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    raise ValueError(BAD_DATE)


def _int(value: Any) -> int | None:
    return _int_from_text(_text(value))


@lru_cache(maxsize=4096)
def _int_from_text(text: str) -> int | None:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace(",", "").replace("¥", "").replace("円", "").replace("，", "")
    if not text:
        return None
    try:
        return int(text)
    except ValueError as error:
        raise ValueError(BAD_INT) from error


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(BAD_BOOL)


def _choice(choices: Iterable[tuple[str, Any]]) -> Callable[[Any], str | None]:
    """A parser taking a choice's value or its label in any of the site's languages (工学系,
    Engineering, engineering), whatever language is active when it runs: the check (a
    request) and the apply (the worker) must accept the same file."""
    choices = list(choices)
    built: list[dict[str, str]] = []

    def words() -> dict[str, str]:
        if not built:  # on first use: the translations are not loaded at import
            by_word: dict[str, str] = {}
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    for value, label in choices:
                        by_word.setdefault(str(label), value)
                        by_word.setdefault(str(label).casefold(), value)
            for value, _label in choices:
                by_word[value] = value
            built.append(by_word)
        return built[0]

    def parse(raw: Any) -> str | None:
        text = _text(raw)
        if not text:
            return None
        known = words()
        value = known.get(text) or known.get(unicodedata.normalize("NFKC", text).casefold())
        if value is None:
            raise CellError(BAD_CHOICE.format(value=text), code="invalid_choice")
        return value

    return parse


PARSERS: dict[str, Callable[[Any], Any]] = {
    "student_number": lambda v: _text(v) or None,
    "erad_number": _text,
    "family_name": _text,
    "given_name": _text,
    "field": _choice(Field.choices),
    "entry_date": _date,
    "standard_term_years": _int,
    "status": _choice(Student.Status.choices),
    "completion_date": _date,
    "is_international": _bool,
    "is_working_adult": _bool,
    "program": lambda v: _text(v) or None,
    "start_date": _date,
    "end_date": _date,
    "annual_living_cost": _int,
    "annual_research_cost": _int,
    "is_reserved": _bool,
}
