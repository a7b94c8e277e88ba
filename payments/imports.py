"""Upload of payments from a payroll export (CSV in UTF-8, UTF-8 with BOM or CP932; XLSX).

The file is read by the students' upload reader and run by the students' upload jobs (checked,
then applied all or nothing, on the worker with progress for large files): this module only
says what the columns mean and matches rows to awards. Rows go through the same checks as the
form and the API (payments.services.payments_plan). The same file twice writes nothing; a
corrected file adds a correction for each month that changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from payments import services
from payments.models import PaymentEntry
from programs import rules
from programs.labels import lazy_join
from students.imports import BAD_DATE, ImportResult, RowError, UploadRejected, read_table, row_errors
from students.imports.parse import LIST_SEPARATOR, ColumnLabels, _date, _int, _text
from students.models import Award, University
from students.services import LockedYears, locked_years

COLUMNS = [
    ("student_number", "学籍番号", "Student number"),
    ("program", "支援事業", "Program"),
    ("month", "支給対象月", "Month"),
    ("living_cost", "生活費相当額", "Living cost"),
    ("research_cost", "研究費", "Research cost"),
    ("pay_date", "支給日", "Pay date"),
    ("award_start", "支援開始日", "Award start date"),
    ("reason", "訂正の理由", "Reason for correction"),
]
REQUIRED = ["student_number", "program", "month", "living_cost", "pay_date"]
HEADER_TO_KEY = {name: key for key, ja, en in COLUMNS for name in (ja, en, key)}
LABEL_OF = ColumnLabels({key: (ja, en) for key, ja, en in COLUMNS})

MISSING_COLUMNS = _("必須の列がありません: {columns}")
NO_AWARD = _("この学籍番号・事業の支援がありません。")
AMBIGUOUS_AWARD = _("この学生にはこの事業の支援が複数あります。支援開始日の列で指定してください。")
REQUIRED_CELL = _("必須です。")
BAD_MONTH = _("支給対象月は 2025-04 の形式で入力してください。")
STALE = _("確認の後に支給実績が変更されました。もう一度アップロードしてください。")
CHECKED_AGAINST_CHANGED = _(
    "確認の後に支援の期間または実績報告の受理状況が変更されました。もう一度アップロードしてください。"
)
CORRECTED_BY_FILE = _("訂正ファイル（{filename}）による更新")


def _month(value: Any) -> date | None:
    """2025-04, 2025/4, 2025年4月, or any date in the month (an XLSX date cell)."""
    if isinstance(value, date):  # an XLSX date cell (a datetime): its calendar date
        return (value.date() if isinstance(value, datetime) else value).replace(day=1)
    text = _text(value)
    if not text:
        return None
    for candidate in (text, f"{text}-01", f"{text}/1", f"{text}1日"):
        try:
            day = _date(candidate)
        except ValueError:
            continue
        if day is not None:
            return day.replace(day=1)
    raise ValueError(BAD_MONTH)


MONTH_CELLS_KEPT = 1024  # distinct month cells remembered per file (a year's export has twelve)


def _month_reader() -> Callable[[Any], date | None]:
    """`_month` for one file: a payroll export writes its months one way and repeats each on
    every row, so each distinct cell is read once per file. Reading "2025-04" tries it as a
    whole date first (four formats failing, each an exception) before "2025-04-01": per row,
    that took 4.5 s of a 96,000-row file's check (0.02 s so)."""
    seen: dict[str, date | ValueError | None] = {}
    unread = object()

    def read(value: Any) -> date | None:
        if type(value) is not str:
            return _month(value)
        found = seen.get(value, unread)
        if found is unread:
            try:
                found = _month(value)
            except ValueError as error:
                found = error
            if len(seen) < MONTH_CELLS_KEPT:
                seen[value] = found
        if isinstance(found, ValueError):
            raise ValueError(*found.args)
        return found

    return read


def _required_int(value: Any) -> int:
    number = _int(value)
    if number is None:
        raise ValueError(REQUIRED_CELL)
    return number


def _required_date(value: Any) -> date:
    day = _date(value)
    if day is None:
        raise ValueError(BAD_DATE)
    return day


PARSERS: dict[str, Callable[[Any], Any]] = {
    "student_number": _text,
    "program": lambda v: _text(v).upper(),
    "month": _month,
    "living_cost": _required_int,
    "research_cost": lambda v: _int(v) or 0,
    "pay_date": _required_date,
    "award_start": _date,
    "reason": _text,
}


@dataclass
class PaymentPlan:
    university: University
    filename: str
    result: ImportResult
    rows: list[services.PaymentInput] = field(default_factory=list)
    to_write: list[int] = field(default_factory=list)
    current: dict[tuple[int, date], services.CurrentEntry] = field(default_factory=dict)
    # What the rows were checked against besides the ledger: their awards' periods, the locked years.
    scopes: dict[int, services.AwardScope] = field(default_factory=dict)
    locked: LockedYears = field(default_factory=dict)


def _awards_by_student_program(university_id: int) -> dict[tuple[str, str], list[tuple[int, date, date]]]:
    found: dict[tuple[str, str], list[tuple[int, date, date]]] = defaultdict(list)
    rows = Award.objects.filter(university_id=university_id).values_list(
        "pk", "student__student_number", "program__code", "start_date", "end_date"
    )
    for pk, number, code, start, end in rows.iterator(chunk_size=5000):
        found[(number, code)].append((pk, start, end))
    return found


def _match_award(candidates: list[tuple[int, date, date]], month: date, award_start: date | None) -> int:
    """The award a row pays: the one starting on `award_start` when given, else the one holding
    the month, else the only one (a month paid after an early end)."""
    if not candidates:
        raise ValueError(NO_AWARD)
    if award_start is not None:
        chosen = [pk for pk, start, _end in candidates if start == award_start]
    else:
        index = rules.month_index(month)
        chosen = [
            pk for pk, start, end in candidates if rules.month_index(start) <= index <= rules.month_index(end)
        ] or ([candidates[0][0]] if len(candidates) == 1 else [])
    if len(chosen) != 1:
        raise ValueError(AMBIGUOUS_AWARD if len(candidates) > 1 else NO_AWARD)
    return chosen[0]


def payments_upload_check(
    *, university: University, content: bytes, filename: str = "", progress: Callable[[int, int], None] | None = None
) -> PaymentPlan:
    """Read and check every row against the university's awards and ledger; writes nothing."""
    table = read_table(content, filename)
    keys = [HEADER_TO_KEY.get(h) for h in table.headers]
    missing = [LABEL_OF[k] for k in REQUIRED if k not in keys]
    if missing:
        raise UploadRejected(format_lazy(MISSING_COLUMNS, columns=lazy_join(LIST_SEPARATOR, missing)))
    plan = PaymentPlan(university, filename, ImportResult(rows=table.count))
    errors = plan.result.errors
    awards = _awards_by_student_program(university.pk)
    parsers = {**PARSERS, "month": _month_reader()}
    positions: list[int] = []  # the file row of each parsed row
    reasonless: list[int] = []  # the parsed rows giving no reason
    correction = str(CORRECTED_BY_FILE).format(filename=filename[:200])  # written to the ledger as its reason
    for row_number, raw in enumerate(table.rows(), start=2):
        if row_number - 1 > table.count:
            break
        values: dict[str, Any] = {}
        bad = False
        for key, cell in zip(keys, raw, strict=False):
            if key is None:
                continue
            try:
                values[key] = parsers[key](cell)
            except ValueError as error:
                errors.append(RowError(row_number, LABEL_OF[key], error.args[0], key))
                bad = True
        if bad:
            continue
        try:
            award_id = _match_award(
                awards.get((values["student_number"], values["program"]), []),
                values["month"],
                values.get("award_start"),
            )
        except ValueError as error:
            errors.append(RowError(row_number, LABEL_OF["program"], error.args[0], "program", "no_award"))
            continue
        if not values.get("reason"):
            reasonless.append(len(plan.rows))
        plan.rows.append(
            services.PaymentInput(
                award_id,
                values["month"],
                values["living_cost"],
                values.get("research_cost", 0),
                values["pay_date"],
                values.get("reason") or "",
            )
        )
        positions.append(row_number)
        if progress is not None and row_number % 5000 == 0:
            progress(row_number // 2, table.count)  # reading is the first half of the check
    # The ledger as it stands for the months the file names (not every year of the university).
    plan.current = services.current_entries(university_id=university.pk, months={r.month for r in plan.rows})
    for index in reasonless:
        # A month already recorded is corrected by the file: say so when the file does not.
        if (plan.rows[index].award_id, plan.rows[index].month) in plan.current:
            plan.rows[index] = replace(plan.rows[index], reason=correction)
    plan.scopes = services.award_scopes(university_id=university.pk, award_ids=[r.award_id for r in plan.rows])
    plan.locked = locked_years(university_id=university.pk)
    try:
        plan.to_write = services.payments_plan(
            plan.rows,
            awards=plan.scopes,
            current=plan.current,
            locked=plan.locked,
            progress=(lambda done: progress(table.count // 2 + done // 2, table.count)) if progress else None,
        )
    except services.RowErrors as refused:
        for index, error in refused.by_row.items():
            errors.extend(row_errors(positions[index], _with_award_as_program(error), default="month", labels=LABEL_OF))
    errors.sort(key=lambda e: e.row)
    corrected = sum(1 for i in plan.to_write if (plan.rows[i].award_id, plan.rows[i].month) in plan.current)
    plan.result.awards_created = len(plan.to_write) - corrected
    plan.result.awards_updated = corrected
    plan.result.awards_unchanged = len(plan.rows) - len(plan.to_write)
    return plan


def _with_award_as_program(error: ValidationError) -> ValidationError:
    """A row's "award" error (no such award) belongs under the program column of the file."""
    if hasattr(error, "error_dict") and "award" in error.error_dict:
        fields = dict(error.error_dict)
        fields["program"] = fields.pop("award")
        return ValidationError(fields)
    return error


@transaction.atomic
def payments_upload_apply(*, plan: PaymentPlan, acting_user: Any) -> ImportResult:
    """All or nothing: a month, an award's period or a locked year changed since the check
    refuses the whole file (read again with the awards locked, and the year locks held)."""
    if plan.result.errors:
        raise ValidationError(plan.result.errors[0].message)
    award_ids = sorted({plan.rows[i].award_id for i in plan.to_write})
    list(
        Award.objects.select_for_update(no_key=True)
        .filter(pk__in=award_ids)
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    scopes = services.award_scopes(university_id=plan.university.pk, award_ids=award_ids)
    if (
        scopes != {pk: plan.scopes[pk] for pk in award_ids}
        or locked_years(university_id=plan.university.pk) != plan.locked
    ):
        raise ValidationError(str(CHECKED_AGAINST_CHANGED))
    now = services.current_entries(
        university_id=plan.university.pk, award_ids=award_ids, months={plan.rows[i].month for i in plan.to_write}
    )
    for i in plan.to_write:
        key = (plan.rows[i].award_id, plan.rows[i].month)
        before, after = plan.current.get(key), now.get(key)
        if (before and before.pk) != (after and after.pk):
            raise ValidationError(str(STALE))
    services.payments_write(
        university_id=plan.university.pk,
        rows=plan.rows,
        to_write=plan.to_write,
        current=now,
        acting_user=acting_user,
        source=PaymentEntry.Source.UPLOAD,
    )
    return plan.result


def template_rows() -> list[list[Any]]:
    return [["D000001", "JSPS_DC1", "2025-04", 200000, 0, "2025-04-20", "", ""]]


def headers(language: str = "ja") -> list[str]:
    return [ja if language == "ja" else en for _key, ja, en in COLUMNS]
