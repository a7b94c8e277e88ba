"""Spreadsheet uploads and downloads of a university's students and awards (issue #3).

One row per award (a student without awards has one row with the award columns empty).
Students match on university + student number, awards on student + program + start date,
so the same file twice changes nothing and a corrected file updates in place. Checking
writes nothing; applying is all or nothing, through the same rules as the forms and API.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from phdsupport.exports import table_csv, table_xlsx
from phdsupport.validation import field_errors, printable
from programs import rules
from programs.models import Program, StipendRule
from students.facts import facts_refresh, fetch_award_terms
from students.models import Award, AwardEvent, Field, Student, University
from students.services import MAX_ANNUAL_YEN, locked_message, locked_years

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


class ColumnLabels(dict):
    """A column's name in messages, in the active language: its Japanese or its English header."""

    def __getitem__(self, key: str) -> str:
        ja, en = super().__getitem__(key)
        return en if get_language() == "en" else ja

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
REQUIRED = _("必須です。")
BAD_DATE = _("日付は 2025-04-01 の形式で入力してください。")
BAD_INT = _("整数で入力してください。")
BAD_BOOL = _("「はい」か「いいえ」（1 / 0）で入力してください。")
BAD_CHOICE = _("選択肢にない値です: {value}")
UNKNOWN_PROGRAM = _("不明な支援事業です: {value}")
AMOUNT_RANGE = _("金額は0円以上{max}円以下の整数です。")
CONFLICTING_STUDENT = _("同じ学籍番号の行で学生の情報が食い違っています（{row}行目）。")
DUPLICATE_AWARD = _("同じ支援（事業・開始日）が{row}行目にもあります。")
UNKNOWN_STUDENT = _("この学籍番号の学生がいません。学生も一緒に送ってください。")
AWARD_INCOMPLETE = _("支援の列（事業・開始日・終了日）をすべて入力してください。")
DUPLICATE_ERAD = _("この研究者番号は{where}の学生と重複しています（同じ大学に同じ人は一度だけ登録します）。")


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based row number as the user sees it (header = row 1)
    column: str  # the column's Japanese header
    message: str
    field: str = ""  # the column's key (API field name)


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
        # Messages quote cells and headers; a NUL or lone surrogate in one cannot be stored as JSON.
        data["errors"] = [{k: printable(v) if isinstance(v, str) else v for k, v in e.__dict__.items()} for e in self.errors]
        return data


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
        raise UploadRejected(FILE_TOO_LARGE.format(limit=settings.UPLOAD_MAX_BYTES // 2**20))


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
            raise UploadRejected(TOO_MANY_ROWS.format(limit=f"{max_rows:,}"))
        cells = list(row)
        while cells and cells[-1] in (None, ""):
            cells.pop()
        if len(cells) > max_columns:
            raise UploadRejected(TOO_MANY_CELLS.format(row=number, limit=max_columns))
        if any(isinstance(cell, str) and len(cell) > max_chars for cell in cells):
            raise UploadRejected(CELL_TOO_LONG.format(row=number, limit=max_chars))
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
                raise UploadRejected(ROW_TOO_LONG.format(row=state["row"], columns=max_columns, chars=max_chars))
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
        raise UploadRejected(XLSX_TOO_MANY_PARTS.format(limit=XLSX_MAX_PARTS))
    archive = zipfile.ZipFile(io.BytesIO(content))
    parts = archive.infolist()
    if len(parts) > XLSX_MAX_PARTS:
        raise UploadRejected(XLSX_TOO_MANY_PARTS.format(limit=XLSX_MAX_PARTS))
    for part in parts:
        if part.filename == SHARED_STRINGS_PART:
            limit = settings.UPLOAD_MAX_XLSX_SHARED_STRINGS_BYTES
        elif part.filename.startswith(SHEET_PARTS):
            limit = settings.UPLOAD_MAX_XLSX_SHEET_BYTES
        else:
            limit = settings.UPLOAD_MAX_XLSX_PART_BYTES
        if part.file_size > limit:
            raise UploadRejected(XLSX_PART_TOO_LARGE.format(part=part.filename[:100], limit=limit // 2**20))
    if sum(part.file_size for part in parts) > settings.UPLOAD_MAX_UNCOMPRESSED_BYTES:
        raise UploadRejected(FILE_TOO_LARGE.format(limit=settings.UPLOAD_MAX_UNCOMPRESSED_BYTES // 2**20))
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
                raise UploadRejected(XLSX_TOO_MANY_STRINGS.format(limit=f"{limit:,}"))
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
    if value is None:
        return ""
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
    # a 100,000-row upload small in memory.
    if not text:
        return None
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
    by_word = {}
    for value, label in choices:
        by_word[value] = value
        by_word[str(label)] = value

    def parse(raw: Any) -> str | None:
        text = _text(raw)
        if not text:
            return None
        if text not in by_word:
            raise ValueError(BAD_CHOICE.format(value=text))
        return by_word[text]

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


# --- Planning -----------------------------------------------------------------------------


@dataclass(slots=True)
class _StudentPlan:
    row: int
    values: dict[str, Any]
    instance: Student | None = None
    changed: bool = False


@dataclass(slots=True)
class _AwardPlan:
    row: int
    student_number: str
    values: dict[str, Any]
    instance: Award | None = None
    changed: bool = False


@dataclass
class ImportPlan:
    university: University
    result: ImportResult
    students: dict[str, _StudentPlan] = field(default_factory=dict)
    awards: list[_AwardPlan] = field(default_factory=list)


def _student_defaults(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "erad_number": values.get("erad_number") or "",
        "family_name": values.get("family_name") or "",
        "given_name": values.get("given_name") or "",
        "field": values.get("field"),
        "entry_date": values.get("entry_date"),
        "standard_term_years": values.get("standard_term_years") or 3,
        "status": values.get("status") or Student.Status.ENROLLED,
        "completion_date": values.get("completion_date"),
        "is_international": values.get("is_international", False),
        "is_working_adult": values.get("is_working_adult", False),
    }


def import_check(
    *,
    university: University,
    content: bytes,
    filename: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportPlan:
    """Read, parse and validate a file against the university's current data; writes nothing."""
    table = read_table(content, filename)
    headers = table.headers
    keys: list[str | None] = [HEADER_TO_KEY.get(header) for header in headers]
    unknown = [
        RowError(1, h, str(UNKNOWN_HEADER.format(column=h)))
        for h, k in zip(headers, keys, strict=True)
        if k is None and h
    ]
    missing = [LABEL_OF[k] for k in ["student_number", "field", "entry_date"] if k not in keys]
    if missing:
        raise UploadRejected(MISSING_HEADERS.format(columns=str(LIST_SEPARATOR).join(missing)))
    plan = plan_rows(university=university, keys=keys, raw_rows=table.rows(), total=table.count, progress=progress)
    plan.result.errors[:0] = unknown
    return plan


def plan_rows(
    *,
    university: University,
    keys: list[str | None],
    raw_rows: Iterable[list[Any]],
    total: int,
    progress: Callable[[int, int], None] | None = None,
) -> ImportPlan:
    """Validate rows (cells in `keys` order) against the university's data; writes nothing.

    A cell that is None is absent (the API's bulk items), and a row whose only student cell
    is the student number adds an award to a student already known.
    """
    result = ImportResult(rows=total)
    plan = ImportPlan(university=university, result=result)
    programs = {p.code: p for p in Program.objects.all()}
    defaults = _rule_defaults()
    existing = {s.student_number: s for s in Student.objects.filter(university=university)}
    existing_awards: dict[tuple[int, str, date], Award] = {
        (a.student_id, a.program.code, a.start_date): a
        for a in Award.objects.filter(student__university=university).select_related("program")
    }
    award_rows: dict[tuple[str, str, date], int] = {}

    for index, raw in enumerate(raw_rows):
        row_number = index + 2
        if progress and index % 1000 == 0:
            progress(index, total)
        if all(_text(cell) == "" for cell in raw):
            continue
        values: dict[str, Any] = {}
        for key, cell in zip(keys, raw, strict=False):
            if key is None or cell is None:
                continue
            try:
                values[key] = PARSERS[key](cell)
            except ValueError as error:
                result.errors.append(RowError(row_number, LABEL_OF[key], str(error.args[0]), key))
        award_only = (
            values.get("student_number")
            and not (set(values) & set(STUDENT_KEYS[1:]))
            and any(k in values for k in AWARD_KEYS)
        )
        if award_only and values["student_number"] not in plan.students and values["student_number"] not in existing:
            result.errors.append(
                RowError(row_number, LABEL_OF["student_number"], str(UNKNOWN_STUDENT), "student_number")
            )
            continue
        for key in () if award_only else REQUIRED_STUDENT:
            if values.get(key) in (None, "") and not any(
                e.row == row_number and e.column == LABEL_OF[key] for e in result.errors
            ):
                result.errors.append(RowError(row_number, LABEL_OF[key], str(REQUIRED), key))
        if any(e.row == row_number for e in result.errors):
            continue
        number = values["student_number"]
        instance = existing.get(number)
        if award_only:
            if number not in plan.students:
                current = {k: getattr(instance, k) for k in STUDENT_KEYS[1:]}
                plan.students[number] = _StudentPlan(row_number, current, instance, False)
        else:
            # Columns the file leaves out keep what the record has (or the defaults for a new one).
            base = {k: getattr(instance, k) for k in STUDENT_KEYS[1:]} if instance else _student_defaults({})
            provided = {k: v for k, v in values.items() if k in STUDENT_KEYS[1:] and v is not None}
            student_values = {**base, **provided}
            errors = _student_field_errors({"student_number": values["student_number"], **student_values})
            result.errors.extend(RowError(row_number, LABEL_OF[k], m, k) for k, m in errors)
            if errors:
                continue
            known = plan.students.get(number)
            if known is None:
                changed = instance is None or any(getattr(instance, k) != v for k, v in student_values.items())
                plan.students[number] = _StudentPlan(row_number, student_values, instance, changed)
            elif known.values != student_values:
                message = str(CONFLICTING_STUDENT.format(row=known.row))
                result.errors.append(RowError(row_number, LABEL_OF["student_number"], message, "student_number"))
                continue

        award_values = {k: values.get(k) for k in AWARD_KEYS}
        if not any(award_values[k] not in (None, "", False) for k in AWARD_KEYS):
            continue
        if not (award_values["program"] and award_values["start_date"] and award_values["end_date"]):
            result.errors.append(RowError(row_number, LABEL_OF["program"], str(AWARD_INCOMPLETE), "program"))
            continue
        date_errors = field_errors(Award, award_values, ("start_date", "end_date"))  # plausible dates
        if date_errors:
            result.errors.extend(RowError(row_number, LABEL_OF[k], m, k) for k, m in date_errors)
            continue
        program = programs.get(award_values["program"])
        if program is None:
            result.errors.append(
                RowError(
                    row_number,
                    LABEL_OF["program"],
                    str(UNKNOWN_PROGRAM.format(value=award_values["program"])),
                    "program",
                )
            )
            continue
        key = (number, program.code, award_values["start_date"])
        if key in award_rows:
            result.errors.append(
                RowError(
                    row_number, LABEL_OF["start_date"], str(DUPLICATE_AWARD.format(row=award_rows[key])), "start_date"
                )
            )
            continue
        award_rows[key] = row_number
        student = plan.students[number].instance
        instance = existing_awards.get((student.pk, program.code, award_values["start_date"])) if student else None
        # Empty amounts keep the award's amounts, or take the program's rule for a new award.
        amounts = defaults.get(program.code)
        rule_amounts = amounts(award_values["start_date"]) if amounts else None
        if rule_amounts is None and instance is None and award_values["annual_living_cost"] is None:
            # DOMAIN.md (Amounts in force): before the program's first rule version the
            # university must enter the amount.
            message = str(rules.NO_RULE_AMOUNT.format(day=award_values["start_date"].isoformat(), program=program.code))
            result.errors.append(RowError(row_number, LABEL_OF["annual_living_cost"], message, "annual_living_cost"))
            continue
        for amount_key, fallback in zip(
            ("annual_living_cost", "annual_research_cost"), rule_amounts or (0, 0), strict=True
        ):
            if award_values[amount_key] is None:
                award_values[amount_key] = getattr(instance, amount_key) if instance else fallback
        award_values["is_reserved"] = bool(award_values["is_reserved"])
        bad_amount = False
        for amount_key in ("annual_living_cost", "annual_research_cost"):
            if not 0 <= award_values[amount_key] <= MAX_ANNUAL_YEN:
                result.errors.append(
                    RowError(row_number, LABEL_OF[amount_key], str(AMOUNT_RANGE.format(max=f"{MAX_ANNUAL_YEN:,}")))
                )
                bad_amount = True
        if bad_amount:
            continue
        award_values["program"] = program
        changed = instance is None or any(
            getattr(instance, k) != v for k, v in award_values.items() if k not in ("program", "start_date")
        )
        plan.awards.append(_AwardPlan(row_number, number, award_values, instance, changed))

    _check_rules(plan, existing_awards)  # every parsed row, so one check lists every bad row
    _count(plan)
    if progress:
        progress(total, total)
    return plan


def _rule_defaults() -> dict[str, Callable[[date], tuple[int, int] | None]]:
    """Program code → function giving the rule's amounts on a start date (one query); None
    before the program's first rule version."""
    versions: dict[str, list[StipendRule]] = defaultdict(list)
    for rule in StipendRule.objects.select_related("program").order_by("effective_from"):
        versions[rule.program.code].append(rule)

    def make(rules_of: list[StipendRule]) -> Callable[[date], tuple[int, int] | None]:
        def amounts(day: date) -> tuple[int, int] | None:
            current = None
            for rule in rules_of:
                if rule.effective_from <= day:
                    current = rule
            return None if current is None else (current.annual_living_cost, current.annual_research_cost)

        return amounts

    return {code: make(items) for code, items in versions.items()}


def _student_field_errors(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Model field validation (lengths, e-Rad digits, choices) without a database round trip."""
    errors = []
    for name, value in values.items():
        model_field = Student._meta.get_field(name)
        try:
            model_field.clean(value, None)
        except ValidationError as error:
            errors.append((name, " ".join(str(m) for m in error.messages)))
    return errors


def _check_rules(plan: ImportPlan, existing_awards: dict[tuple[int, str, date], Award]) -> None:
    """The same rules as the services: dates, term, audience, exclusive programs."""
    suspended: dict[int, int] = defaultdict(int)
    susp_rows = AwardEvent.objects.filter(
        award__student__university=plan.university, kind=AwardEvent.Kind.SUSPENSION
    ).values_list("award_id", "start_date", "end_date", "award__end_date")
    suspensions: dict[int, list[rules.Suspension]] = defaultdict(list)
    for award_id, start, end, _award_end in susp_rows:
        suspensions[award_id].append(rules.Suspension(start, end))
    by_student: dict[str, list[tuple[_AwardPlan | None, rules.AwardTerms]]] = defaultdict(list)
    planned_keys = set()
    for item in plan.awards:
        program = item.values["program"]
        award_id = item.instance.pk if item.instance else -item.row
        terms = rules.AwardTerms(
            award_id=award_id,
            program=program.code,
            audience=program.audience,
            annual_living_cost=item.values["annual_living_cost"],
            start=item.values["start_date"],
            end=item.values["end_date"],
            suspensions=tuple(suspensions.get(award_id, ())),
            is_exclusive=program.is_exclusive,
        )
        if item.instance:
            planned_keys.add(item.instance.pk)
            # The term as the award will be: only suspensions inside it count (DOMAIN.md: Term limits).
            suspended[award_id] = rules.term_suspended_months(terms.start, terms.end, terms.suspensions)
        by_student[item.student_number].append((item, terms))
    numbers = {s.instance.pk: s.instance.student_number for s in plan.students.values() if s.instance}
    for (student_id, _code, _start), award in existing_awards.items():
        if award.pk in planned_keys or student_id not in numbers:
            continue
        by_student[numbers[student_id]].append(
            (
                None,
                rules.AwardTerms(
                    award_id=award.pk,
                    program=award.program.code,
                    audience=award.program.audience,
                    annual_living_cost=award.annual_living_cost,
                    start=award.start_date,
                    end=award.end_date,
                    suspensions=tuple(suspensions.get(award.pk, ())),
                    is_exclusive=award.program.is_exclusive,
                ),
            )
        )
    _check_locks(plan)
    _check_erad_numbers(plan)
    elsewhere = _awards_of_other_records(plan)
    for number, items in by_student.items():
        student = plan.students[number]
        enrolled = student.values["status"] in (Student.Status.ENROLLED, Student.Status.ON_LEAVE)
        # Exclusive programs are per person: the other records sharing the e-Rad number count too.
        others = elsewhere.get(student.values.get("erad_number") or "", [])
        for item, terms in items:
            if item is None:
                continue
            try:
                rules.check_dates(terms.start, terms.end)
                rules.check_suspensions_inside(terms.start, terms.end, terms.suspensions)
                rules.check_audience(program=terms.program, audience=terms.audience, student_is_enrolled=enrolled)
                rules.check_term(
                    start=terms.start,
                    end=terms.end,
                    term_years=item.values["program"].term_years,
                    suspended_months=suspended.get(terms.award_id, 0),
                )
                rules.check_exclusive(terms, [*(t for _i, t in items), *others])
            except rules.RuleViolation as violation:
                column = {"end_date": "end_date", "program": "program"}.get(violation.field or "", "program")
                plan.result.errors.append(RowError(item.row, LABEL_OF[column], str(violation.message), column))
    plan.result.errors.sort(key=lambda e: (e.row, e.column))


def _check_erad_numbers(plan: ImportPlan) -> None:
    """One record per person per university (DOMAIN.md: A person): after the file, an e-Rad
    number may be on one student of the university only."""
    final = dict(
        Student.objects.filter(university=plan.university)
        .exclude(erad_number="")
        .values_list("student_number", "erad_number")
    )
    final.update({number: item.values.get("erad_number") or "" for number, item in plan.students.items()})
    holders: dict[str, list[str]] = defaultdict(list)
    for number, erad in sorted(final.items()):
        if erad:
            holders[erad].append(number)
    for number, item in plan.students.items():
        erad = item.values.get("erad_number") or ""
        others = [n for n in holders.get(erad, []) if n != number]
        if erad and others:
            message = str(DUPLICATE_ERAD.format(where=others[0]))
            plan.result.errors.append(RowError(item.row, LABEL_OF["erad_number"], message, "erad_number"))


def _awards_of_other_records(plan: ImportPlan) -> dict[str, list[rules.AwardTerms]]:
    """e-Rad number → the awards of that person's records outside this file's students."""
    erads = {item.values.get("erad_number") for item in plan.students.values()} - {None, ""}
    if not erads:
        return {}
    planned = {item.instance.pk for item in plan.students.values() if item.instance is not None}
    records = dict(
        Student.objects.filter(erad_number__in=erads).exclude(pk__in=planned).values_list("pk", "erad_number")
    )
    by_erad: dict[str, list[rules.AwardTerms]] = defaultdict(list)
    for student_id, awards in fetch_award_terms(records).items():
        by_erad[records[student_id]].extend(awards)
    return by_erad


def _check_locks(plan: ImportPlan) -> None:
    """Rows that would change an award in a year whose report is accepted (students.YearLock)."""
    locked = locked_years(university_id=plan.university.pk)
    if not locked:
        return
    for item in plan.awards:
        if item.instance is not None and not item.changed:
            continue
        program = item.values["program"]
        periods = [(item.values["start_date"], item.values["end_date"])]
        if item.instance is not None:
            periods.append((item.instance.start_date, item.instance.end_date))
        years = {fy for start, end in periods for fy in range(rules.fiscal_year(start), rules.fiscal_year(end) + 1)}
        hit = sorted(fy for fy in years if (program.pk, fy) in locked)
        if hit:
            message = locked_message(hit[0], program.code)
            plan.result.errors.append(RowError(item.row, LABEL_OF["program"], message, "program"))


def _count(plan: ImportPlan) -> None:
    result = plan.result
    result.students_created = sum(1 for s in plan.students.values() if s.instance is None)
    result.students_updated = sum(1 for s in plan.students.values() if s.instance is not None and s.changed)
    result.students_unchanged = sum(1 for s in plan.students.values() if s.instance is not None and not s.changed)
    result.awards_created = sum(1 for a in plan.awards if a.instance is None)
    result.awards_updated = sum(1 for a in plan.awards if a.instance is not None and a.changed)
    result.awards_unchanged = sum(1 for a in plan.awards if a.instance is not None and not a.changed)


# --- Applying -----------------------------------------------------------------------------


APPLY_CHUNK = 2000  # students per chunk: bounds the memory of model and history objects


@transaction.atomic
def import_apply(*, plan: ImportPlan, acting_user: Any) -> ImportResult:
    """Write a checked plan in one transaction, with history rows for every bulk write.

    Written in chunks of students (with their awards and facts) so that a file of 100,000
    rows never holds all its model and history objects at once; still all or nothing.
    """
    if plan.result.errors:
        raise ValidationError(_("エラーのあるファイルは反映できません。"))
    user = acting_user if getattr(acting_user, "pk", None) else None
    awards_of: dict[str, list[_AwardPlan]] = defaultdict(list)
    for item in plan.awards:
        awards_of[item.student_number].append(item)
    numbers = list(plan.students)
    for offset in range(0, len(numbers), APPLY_CHUNK):
        _apply_chunk(plan, numbers[offset : offset + APPLY_CHUNK], awards_of, user)
    return plan.result


def _apply_chunk(plan: ImportPlan, numbers: list[str], awards_of: dict[str, list[_AwardPlan]], user: Any) -> None:
    items = [(n, plan.students[n]) for n in numbers]
    new_students = [
        Student(university=plan.university, student_number=n, **s.values) for n, s in items if s.instance is None
    ]
    bulk_create_with_history(new_students, Student, batch_size=1000, default_user=user, default_change_reason="upload")
    by_number = {s.student_number: s for s in new_students}
    changed_students = []
    # Records that shared a number being changed or cleared: their person is re-counted too.
    old_erads = {
        item.instance.erad_number
        for _n, item in items
        if item.instance is not None
        and item.changed
        and item.instance.erad_number
        and item.instance.erad_number != item.values.get("erad_number")
    }
    for number, item in items:
        if item.instance is not None:
            by_number[number] = item.instance
            if item.changed:
                for key, value in item.values.items():
                    setattr(item.instance, key, value)
                item.instance.version += 1
                changed_students.append(item.instance)
    if changed_students:
        bulk_update_with_history(
            changed_students,
            Student,
            [*STUDENT_KEYS[1:], "version", "updated_at"],
            batch_size=1000,
            default_user=user,
            default_change_reason="upload",
        )
    new_awards, changed_awards = [], []
    for number in numbers:
        for item in awards_of.get(number, ()):
            if item.instance is None:
                student = by_number[number]
                new_awards.append(Award(student=student, university_id=student.university_id, **item.values))
            elif item.changed:
                for key in ("end_date", "annual_living_cost", "annual_research_cost", "is_reserved"):
                    setattr(item.instance, key, item.values[key])
                item.instance.version += 1
                changed_awards.append(item.instance)
    bulk_create_with_history(new_awards, Award, batch_size=1000, default_user=user, default_change_reason="upload")
    if changed_awards:
        bulk_update_with_history(
            changed_awards,
            Award,
            ["end_date", "annual_living_cost", "annual_research_cost", "is_reserved", "version", "updated_at"],
            batch_size=1000,
            default_user=user,
            default_change_reason="upload",
        )
    touched = {s.pk for s in [*new_students, *changed_students]} | {
        a.student_id for a in [*new_awards, *changed_awards]
    }
    if old_erads:
        touched |= set(Student.objects.filter(erad_number__in=old_erads).values_list("pk", flat=True))
    if touched:
        facts_refresh(student_ids=touched)


# --- Downloads and templates --------------------------------------------------------------


def headers(language: str = "ja") -> list[str]:
    return [ja if language == "ja" else en for _key, ja, en in COLUMNS]


def export_rows(university: University) -> Iterable[list[Any]]:
    """The university's data in the upload format: re-uploading it changes nothing."""
    students = Student.objects.filter(university=university).order_by("student_number")
    awards: dict[int, list[Award]] = defaultdict(list)
    for award in (
        Award.objects.filter(student__university=university)
        .select_related("program")
        .order_by("start_date", "program__code")
    ):
        awards[award.student_id].append(award)
    for student in students.iterator(chunk_size=2000):
        base = [
            student.student_number,
            student.erad_number,
            student.family_name,
            student.given_name,
            student.field,
            student.entry_date,
            student.standard_term_years,
            student.status,
            student.completion_date,
            int(student.is_international),
            int(student.is_working_adult),
        ]
        for award in awards.get(student.pk) or [None]:
            if award is None:
                yield base + [""] * len(AWARD_KEYS)
            else:
                yield [
                    *base,
                    award.program.code,
                    award.start_date,
                    award.end_date,
                    award.annual_living_cost,
                    award.annual_research_cost,
                    int(award.is_reserved),
                ]


def write_csv(rows: Iterable[list[Any]], language: str = "ja") -> bytes:
    return table_csv(headers(language), rows)


def write_xlsx(rows: Iterable[list[Any]], language: str = "ja") -> bytes:
    return table_xlsx(headers(language), rows, "students" if language == "en" else "学生・支援")


def template_example(language: str = "ja") -> list[list[Any]]:
    return [
        [
            "2025D00001",
            "",
            "山田",
            "花子",
            "engineering",
            date(2025, 4, 1),
            3,
            "enrolled",
            "",
            0,
            0,
            "SPRING",
            date(2025, 4, 1),
            date(2028, 3, 31),
            1_800_000,
            1_100_000,
            0,
        ]
    ]
