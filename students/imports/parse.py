"""Reading an uploaded table: the file format (columns), CSV/XLSX, encodings, caps, and cells.

The upload format is one row per award (a student without awards has one row with the award
columns empty), headed in Japanese or English. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import re
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
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from phdsupport.validation import MAX_TERM_YEARS, MIN_TERM_YEARS
from programs.labels import in_each_language
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
    # Added after the first release: last, so the files and templates universities already
    # fill in keep their columns where they were (a file may leave it out).
    ("entry_route", "入学経路", "entry_route"),
]
AWARD_KEYS = ["program", "start_date", "end_date", "annual_living_cost", "annual_research_cost", "is_reserved"]
STUDENT_KEYS = [key for key, *_ in COLUMNS if key not in AWARD_KEYS]
HEADER_TO_KEY = {name: key for key, ja, en in COLUMNS for name in (ja, en, key)}


def _header_in_page_language(ja: str, en: str) -> str:
    return en if get_language() == "en" else ja


_column_name = lazy(_header_in_page_language, str)


class ColumnLabels(dict):
    """A column's name in messages, in the language active when it is read (lazy, so an upload's
    stored errors name their columns in each reader's language): its Japanese or its English header."""

    def __getitem__(self, key: str) -> str:
        return _column_name(*super().__getitem__(key))

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


LABEL_OF = ColumnLabels({key: (ja, en) for key, ja, en in COLUMNS})
REQUIRED_STUDENT = {"student_number", "field", "entry_date"}
ASYNC_THRESHOLD = 10_000  # rows; larger files are checked and applied by the Celery worker

TRUE_WORDS = {"1", "true", "yes", "y", "はい", "○", "〇", "有", "該当"}
FALSE_WORDS = {"", "0", "false", "no", "n", "いいえ", "×", "無", "-", "非該当"}


# Messages (Japanese msgids; English in locale/en)
NOT_A_TABLE = _("CSV（UTF-8 / Shift_JIS）または XLSX のファイルを選んでください。")
TOO_LARGE = _("ファイルが大きすぎます（上限 {limit} MB）。")
MISSING_HEADERS = _("必須の列がありません: {columns}")
UNKNOWN_HEADER = _("不明な列です: {column}")
# Translators: between the names of columns in a list
LIST_SEPARATOR = _("、")
TERM_GUIDE = _("{low}〜{high}の整数。空欄は3")
REQUIRED = _("必須です。")
BAD_DATE = _("日付は 2025-04-01 の形式で入力してください。")
BAD_INT = _("整数で入力してください。")
BAD_BOOL = _("「はい」か「いいえ」（1 / 0）で入力してください。")
BAD_CHOICE = _("選択肢にない値です: {value}")


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based row number as the user sees it (header = row 1)
    # The column's header and the message: lazy text, read in whatever language is active when
    # it is read (a header the file has and a program's code stay as they are).
    column: str
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
        """As stored on the upload job: each error's column and message in every language of the
        site ({"ja": …, "en": …}), so whoever reads the job reads them in their own language
        (programs.labels.in_page_language), whatever language the file was checked in."""
        data = {k: v for k, v in self.__dict__.items() if k != "errors"}
        columns = in_each_language([e.column for e in self.errors])
        messages = in_each_language([e.message for e in self.errors])
        data["errors"] = [
            {"row": e.row, "column": column, "message": message, "field": e.field, "code": e.code}
            for e, column, message in zip(self.errors, columns, messages, strict=True)
        ]
        return data


class CellError(ValueError):
    """A cell that cannot be read as its column's type, with the code a form would give."""

    def __init__(self, message: Any, code: str = "invalid"):
        super().__init__(message)
        self.code = code


class UploadRejected(ValidationError):
    """The file as a whole cannot be read (format, size, headers)."""


# --- Reading ------------------------------------------------------------------------------
# Caps on what an upload may make a process hold or do (issue #12, item 4), all enforced while
# streaming, so no file is ever held parsed in full: the file's size; data rows (counted as
# they are read, blank ones too); cells per row and characters per cell; for an XLSX (a zip)
# the number of parts and each part's unpacked size: sharedStrings.xml (openpyxl loads it whole
# even in read-only mode; its strings are counted too), the sheets (read streaming) and every
# other part (loaded whole: styles, workbook) separately. The zip
# reader never unpacks more than a part declares, so the declared sizes are the real bounds.
# Values come from settings (UPLOAD_MAX_*); the upload pages state them (upload_limits()).

FILE_TOO_LARGE = _("ファイルが大きすぎます（上限 {limit} MB）。")
TOO_MANY_ROWS = _("行が多すぎます（上限 {limit} 行）。ファイルを分けてアップロードしてください。")
TOO_MANY_CELLS = _("{row}行目のセルが多すぎます（上限 1行 {limit} 列）。")
CELL_TOO_LONG = _("{row}行目に長すぎるセルがあります（上限 1セル {limit} 文字）。")
ROW_TOO_LONG = _("{row}行目が長すぎます（上限 1行 {columns} 列、1セル {chars} 文字）。")
XLSX_PART_TOO_LARGE = _("XLSX の中身（{part}）を展開すると大きすぎます（上限 {limit} MB）。")
XLSX_TOO_MANY_PARTS = _("XLSX の中のファイルが多すぎます（上限 {limit} 個）。")
XLSX_TOO_MANY_STRINGS = _("XLSX の共有文字列（sharedStrings.xml）が多すぎます（上限 {limit} 個）。")
XLSX_MAX_PARTS = 1000  # a workbook saved by Excel has a few dozen parts
SHARED_STRINGS_PART = "xl/sharedStrings.xml"
SHEET_PARTS = "xl/worksheets/"
SHARED_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?si[\s/>]")  # <si>, <x:si ...>


def upload_limits() -> dict[str, int]:
    """The caps in the units the upload pages state them in."""
    return {
        "file_mb": settings.UPLOAD_MAX_BYTES // 2**20,
        "rows": settings.UPLOAD_MAX_ROWS,
        "columns": settings.UPLOAD_MAX_COLUMNS,
        "cell_chars": settings.UPLOAD_MAX_CELL_CHARS,
        "shared_strings_mb": settings.UPLOAD_MAX_XLSX_SHARED_STRINGS_BYTES // 2**20,
        "shared_strings": settings.UPLOAD_MAX_XLSX_SHARED_STRINGS,
        "sheet_mb": settings.UPLOAD_MAX_XLSX_SHEET_BYTES // 2**20,
        "part_mb": settings.UPLOAD_MAX_XLSX_PART_BYTES // 2**20,
    }


def check_upload_size(content: bytes) -> None:
    """The one cap checked before anything is read (also by the web process when a worker reads)."""
    if len(content) > settings.UPLOAD_MAX_BYTES:
        raise UploadRejected(format_lazy(FILE_TOO_LARGE, limit=settings.UPLOAD_MAX_BYTES // 2**20))


@dataclass(frozen=True)
class Table:
    """An uploaded table read lazily: rows are parsed again on each pass, never all held at once."""

    headers: list[str]
    count: int  # data rows, up to the last row that is not empty
    rows: Callable[[], Iterator[list[Any]]]


def read_table(content: bytes, filename: str = "") -> Table:
    """A CSV (UTF-8, UTF-8 with BOM, Shift_JIS/CP932) or XLSX file's headers and data rows."""
    check_upload_size(content)
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


def _capped(rows: Iterable[list[Any]]) -> Iterator[list[Any]]:
    """Rows with trailing empty cells dropped, refused past the row, cell and length caps."""
    max_rows, max_columns = settings.UPLOAD_MAX_ROWS, settings.UPLOAD_MAX_COLUMNS
    max_chars = settings.UPLOAD_MAX_CELL_CHARS
    for number, row in enumerate(rows, start=1):  # row 1 is the header
        if number - 1 > max_rows:
            raise UploadRejected(format_lazy(TOO_MANY_ROWS, limit=f"{max_rows:,}"))
        cells = list(row)
        while cells and cells[-1] in (None, ""):
            cells.pop()
        if len(cells) > max_columns:
            raise UploadRejected(format_lazy(TOO_MANY_CELLS, row=number, limit=max_columns))
        if any(isinstance(cell, str) and len(cell) > max_chars for cell in cells):
            raise UploadRejected(format_lazy(CELL_TOO_LONG, row=number, limit=max_chars))
        yield cells


def _csv_rows(content: bytes, encoding: str) -> Iterator[list[str]]:
    text = io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="")
    max_columns, max_chars = settings.UPLOAD_MAX_COLUMNS, settings.UPLOAD_MAX_CELL_CHARS
    # csv builds a whole row before we see it: bound the characters it may read for one row,
    # so a line of a million commas is refused before it becomes a list of a million cells.
    row_budget = max_columns * (max_chars + 3) + 2
    state = {"row": 1, "read": 0}

    def lines() -> Iterator[str]:
        while line := text.readline(row_budget + 1):
            state["read"] += len(line)
            if state["read"] > row_budget:
                raise UploadRejected(format_lazy(ROW_TOO_LONG, row=state["row"], columns=max_columns, chars=max_chars))
            yield line

    def rows() -> Iterator[list[str]]:
        for row in csv.reader(lines()):
            yield row
            state["row"] += 1
            state["read"] = 0

    return _capped(rows())


def _check_xlsx_parts(content: bytes) -> None:
    """Refuse a zip whose directory or unpacked parts exceed the caps, before openpyxl opens it."""
    # The directory's entry count, from the end record, before zipfile reads every entry.
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 65_557))
    entries = int.from_bytes(content[end + 10 : end + 12], "little") if end >= 0 else 0
    if entries > XLSX_MAX_PARTS:
        raise UploadRejected(format_lazy(XLSX_TOO_MANY_PARTS, limit=XLSX_MAX_PARTS))
    archive = zipfile.ZipFile(io.BytesIO(content))
    parts = archive.infolist()
    if len(parts) > XLSX_MAX_PARTS:
        raise UploadRejected(format_lazy(XLSX_TOO_MANY_PARTS, limit=XLSX_MAX_PARTS))
    for part in parts:
        if part.filename == SHARED_STRINGS_PART:
            limit = settings.UPLOAD_MAX_XLSX_SHARED_STRINGS_BYTES
        elif part.filename.startswith(SHEET_PARTS):
            limit = settings.UPLOAD_MAX_XLSX_SHEET_BYTES
        else:
            limit = settings.UPLOAD_MAX_XLSX_PART_BYTES
        if part.file_size > limit:
            raise UploadRejected(format_lazy(XLSX_PART_TOO_LARGE, part=part.filename[:100], limit=limit // 2**20))
    if sum(part.file_size for part in parts) > settings.UPLOAD_MAX_UNCOMPRESSED_BYTES:
        raise UploadRejected(format_lazy(FILE_TOO_LARGE, limit=settings.UPLOAD_MAX_UNCOMPRESSED_BYTES // 2**20))
    shared = next((part for part in parts if part.filename == SHARED_STRINGS_PART), None)
    if shared is not None:
        _count_shared_strings(archive, shared)


def _count_shared_strings(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    """openpyxl keeps every shared string as an object (about 170 bytes each, even a short one):
    count them in one streamed pass (1 MB at a time) and refuse past the cap before it loads them."""
    limit, count, tail = settings.UPLOAD_MAX_XLSX_SHARED_STRINGS, 0, b""
    with archive.open(part) as stream:
        while chunk := stream.read(2**20):
            data = tail + chunk
            # A tag lying wholly in the carried-over tail was counted with the previous chunk.
            count += sum(1 for match in SHARED_STRING_TAG.finditer(data) if match.end() > len(tail))
            if count > limit:
                raise UploadRejected(format_lazy(XLSX_TOO_MANY_STRINGS, limit=f"{limit:,}"))
            tail = data[-32:]


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook

    def all_rows() -> Iterator[list[Any]]:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            # Row widths from the cells present, not from the sheet's stated dimension (which
            # may claim 16,384 columns and so pad every row to that).
            sheet.reset_dimensions()
            yield from _capped(sheet.iter_rows(values_only=True))
        finally:
            workbook.close()

    headers, last, index = None, 0, 0
    try:
        _check_xlsx_parts(content)
        for index, row in enumerate(all_rows()):
            if index == 0:
                headers = row
            elif any(cell not in (None, "") for cell in row):
                last = index
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as error:
        raise UploadRejected(NOT_A_TABLE) from error
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


# --- End of reading -----------------------------------------------------------------------


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
            raise CellError(format_lazy(BAD_CHOICE, value=text), code="invalid_choice")
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
    "entry_route": _choice(Student.EntryRoute.choices),
    "program": lambda v: _text(v) or None,
    "start_date": _date,
    "end_date": _date,
    "annual_living_cost": _int,
    "annual_research_cost": _int,
    "is_reserved": _bool,
}


@dataclass(frozen=True)
class ColumnGuide:
    """One column of the upload file as the upload page explains it."""

    header: str
    required: str
    allowed: str


def column_guide(program_codes: Iterable[tuple[str, str]]) -> list[ColumnGuide]:
    """What each column of the students-and-awards file accepts, in the page's language; the
    values named are those the parsers above read (labels in either language, or the codes)."""

    def choices(pairs: Iterable[tuple[str, Any]]) -> str:
        return str(LIST_SEPARATOR).join(f"{label} ({value})" for value, label in pairs)

    dates = str(_("日付: 2025-04-01、2025/4/1、2025年4月1日"))
    yes_no = str(_("はい / いいえ（1 / 0、空欄はいいえ）"))
    yen = str(_("円の整数（カンマ可）。空欄は事業の規定額"))
    award = str(_("支援を登録する行で必須"))
    rows = {
        "student_number": (_("必須"), _("本学の学籍番号（照合に使います）")),
        "erad_number": ("", _("8桁の数字（任意）")),
        "family_name": ("", _("文字列")),
        "given_name": ("", _("文字列")),
        "field": (_("必須"), choices(Field.choices)),
        "entry_date": (_("必須"), dates),
        "standard_term_years": ("", format_lazy(TERM_GUIDE, low=MIN_TERM_YEARS, high=MAX_TERM_YEARS)),
        "status": ("", str(_("{choices}。空欄は在籍")).format(choices=choices(Student.Status.choices))),
        "completion_date": ("", dates),
        "is_international": ("", yes_no),
        "is_working_adult": ("", yes_no),
        "entry_route": (
            "",
            str(_("{choices}。空欄は未登録（既にある値は変えません）")).format(
                choices=choices(Student.EntryRoute.choices)
            ),
        ),
        "program": (award, str(LIST_SEPARATOR).join(f"{code} ({name})" for code, name in program_codes)),
        "start_date": (award, dates),
        "end_date": (award, dates),
        "annual_living_cost": ("", yen),
        "annual_research_cost": ("", yen),
        "is_reserved": ("", yes_no),
    }
    return [ColumnGuide(LABEL_OF[key], str(rows[key][0]), str(rows[key][1])) for key, _ja, _en in COLUMNS]
