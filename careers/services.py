"""Every write to career records: the form, the upload and the API, through the same checks."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from careers.models import CareerOutcome
from careers.selectors import EMPLOYED, YEARS_AFTER, Destination, Point, due_date
from phdsupport.validation import field_errors
from programs.labels import lazy_join
from students.imports import (
    LIST_SEPARATOR,
    MISSING_HEADERS,
    REQUIRED,
    ColumnLabels,
    ImportResult,
    RowError,
    UploadRejected,
    _choice,
    _text,
    read_table,
    row_errors,
)
from students.models import Student, University
from students.services import locked_for_update

NOT_FINISHED = _("修了・退学した学生（修了・退学日あり）にだけ登録できます。")
NOT_YET_DUE = _("この調査時点（{due}）はまだ来ていません。")
SECTOR_REQUIRED = _("就職した場合はセクターを選んでください。")
BAD_COUNTRY = _("国・地域は英字2字のコードです（例: JP, US）。")
UNKNOWN_STUDENT = _("この学籍番号の学生は本学に登録されていません。")
DUPLICATE_ROW = _("同じ学生・調査時点が{row}行目にもあります。")
CHANGED_SINCE_CHECK = _("確認の後にこの進路が変更または削除されました。もう一度アップロードしてください。")

CAREER_FIELDS = ("survey_point", "destination", "sector", "employer", "country")


# --- Writes -------------------------------------------------------------------------------


def _validate(student: Student, values: dict[str, Any], today: date) -> None:
    errors: dict[str, list[ValidationError]] = {}
    if student.status not in (Student.Status.COMPLETED, Student.Status.WITHDRAWN) or not student.completion_date:
        errors["__all__"] = [ValidationError(NOT_FINISHED, code="not_finished")]
    elif values.get("survey_point") in YEARS_AFTER:
        due = due_date(student.completion_date, values["survey_point"])
        if due > today:
            errors["survey_point"] = [
                ValidationError(format_lazy(NOT_YET_DUE, due=due.isoformat()), code="not_yet_due")
            ]
    if values.get("destination") in EMPLOYED and not values.get("sector"):
        errors["sector"] = [ValidationError(SECTOR_REQUIRED, code="required")]
    country = values.get("country") or ""
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        errors["country"] = [ValidationError(BAD_COUNTRY, code="invalid")]
    if errors:
        raise ValidationError(errors)


# Validated apart: the student is given as an object, never input, and uniqueness (one record
# per student and survey point) needs the database; an upload matches rows on that pair instead.
CAREER_CHECK_EXCLUDE = ("student",)


def career_check(career: CareerOutcome, *, today: date, exclude: tuple[str, ...] = ()) -> None:
    """Every check of a career record as it will be that needs no database: the survey rules and
    the model's fields (choices, lengths). The form, the API and each upload row (at the check
    and again before it is written) run this same function: one ValidationError, every error."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        _validate(career.student, {name: getattr(career, name) for name in CAREER_FIELDS}, today)
    except ValidationError as error:
        error.update_error_dict(errors)
    try:
        career.full_clean(
            exclude=[*CAREER_CHECK_EXCLUDE, *exclude, *errors], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _career_validate(career: CareerOutcome, *, today: date) -> None:
    """career_check, then what needs the database: one record per student and survey point."""
    career_check(career, today=today)
    career.validate_constraints()


def _hold_students(student_ids: Iterable[int]) -> None:
    """One career writer per student (students/services.py, "Lock order", 2): the students' rows,
    FOR NO KEY UPDATE in id order, until the transaction ends, taken before one record per student
    and survey point is checked. A second write of the same point waits, then is refused as one
    after the other is, never stopped by the unique constraint (a 500)."""
    locked = Student.objects.select_for_update(no_key=True).filter(pk__in=set(student_ids)).order_by("pk")
    list(locked.values_list("pk", flat=True))


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {name: values[name] for name in CAREER_FIELDS if name in values}
    for name in ("sector", "employer", "country"):
        cleaned[name] = (cleaned.get(name) or "").strip()
    cleaned["country"] = cleaned["country"].upper()
    return cleaned


@transaction.atomic
def career_create(*, student: Student, acting_user: Any, today: date, **values: Any) -> CareerOutcome:
    career = CareerOutcome(student=student, **_clean_values(values))
    _hold_students([student.pk])
    _career_validate(career, today=today)
    career._history_user = acting_user
    career.save()
    return career


@transaction.atomic
def career_update(
    *, career: CareerOutcome, acting_user: Any, today: date, expected_version: int | None = None, **values: Any
) -> CareerOutcome:
    _hold_students([career.student_id])  # before the record's row: a create of its new point waits
    current = locked_for_update(CareerOutcome, career.pk, expected_version)
    values = _clean_values({**{n: getattr(current, n) for n in CAREER_FIELDS}, **values})
    if all(getattr(current, n) == v for n, v in values.items()):
        return current
    for name, value in values.items():
        setattr(current, name, value)
    _career_validate(current, today=today)
    current.version += 1
    current._history_user = acting_user
    current.save()
    return current


@transaction.atomic
def career_delete(*, career: CareerOutcome, acting_user: Any) -> None:
    # One career writer per student: an upload that has read the record's version (it is
    # unchanged) then writes it with no write of the record between; without this the delete
    # went through meanwhile and the upload's save, finding no row to update, inserted it again.
    _hold_students([career.student_id])
    current = locked_for_update(CareerOutcome, career.pk, None)  # gone meanwhile: refused, no second history row
    current._history_user = acting_user
    current.delete()


# --- Upload -------------------------------------------------------------------------------

COLUMNS = [
    ("student_number", "学籍番号", "student_number"),
    ("survey_point", "調査時点", "survey_point"),
    ("destination", "進路", "destination"),
    ("sector", "セクター", "sector"),
    ("employer", "勤務先", "employer"),
    ("country", "国・地域", "country"),
]
HEADER_TO_KEY = {name: key for key, ja, en in COLUMNS for name in (ja, en)}
LABEL_OF = ColumnLabels({key: (ja, en) for key, ja, en in COLUMNS})
PARSERS = {
    "student_number": _text,
    "survey_point": _choice(Point.choices),
    "destination": _choice(Destination.choices),
    "sector": _choice(CareerOutcome.Sector.choices),
    "employer": _text,
    "country": _text,
}


@dataclass
class CareerPlan:
    result: ImportResult
    today: date
    creates: list[tuple[int, Student, dict[str, Any]]] = field(default_factory=list)  # (row, student, values)
    updates: list[tuple[int, CareerOutcome, dict[str, Any]]] = field(default_factory=list)  # (row, record, values)
    unchanged: int = 0


def _record(student: Student, current: CareerOutcome | None, values: dict[str, Any]) -> CareerOutcome:
    """The record as the row leaves it, not yet written (a copy: the plan keeps the original)."""
    record = CareerOutcome(student=student) if current is None else copy.copy(current)
    for name, value in values.items():
        setattr(record, name, value)
    return record


def career_upload_check(*, university: University, content: bytes, filename: str, today: date) -> CareerPlan:
    """Every bad row with its column and reason; writes nothing. Matched on student number and
    survey point: a new pair is created, a known one updated, the same values left unchanged.
    Each row runs `career_check`, as the form and the API do."""
    table = read_table(content, filename)
    keys = [HEADER_TO_KEY.get(h) for h in table.headers]
    missing = [LABEL_OF[k] for k in ("student_number", "survey_point", "destination") if k not in keys]
    if missing:
        raise UploadRejected(format_lazy(MISSING_HEADERS, columns=lazy_join(LIST_SEPARATOR, missing)))
    students = {s.student_number: s for s in Student.objects.filter(university=university)}
    existing = {(c.student_id, c.survey_point): c for c in CareerOutcome.objects.filter(university=university)}
    plan = CareerPlan(ImportResult(rows=table.count), today)
    seen: dict[tuple[str, str], int] = {}
    errors = plan.result.errors
    for index, raw in enumerate(table.rows(), start=2):
        if index - 1 > table.count:
            break
        values: dict[str, Any] = {}
        row_errors_found: list[RowError] = []
        for key, cell in zip(keys, raw, strict=False):
            if key is None:
                continue
            try:
                values[key] = PARSERS[key](cell)
            except ValueError as error:
                code = getattr(error, "code", "invalid")
                row_errors_found.append(RowError(index, LABEL_OF[key], error.args[0], key, code))
        unreadable = tuple(e.field for e in row_errors_found)
        for key in ("student_number", "survey_point", "destination"):
            if not values.get(key) and key not in unreadable:
                row_errors_found.append(RowError(index, LABEL_OF[key], REQUIRED, key, "required"))
        student = students.get(values.get("student_number") or "")
        if values.get("student_number") and student is None:
            message = UNKNOWN_STUDENT
            row_errors_found.append(RowError(index, LABEL_OF["student_number"], message, "student_number", "unknown"))
        if student is None or not values.get("survey_point"):
            # career_check cannot run on this row: its bounded text is checked alone (issue #12).
            row_errors_found.extend(
                RowError(index, LABEL_OF[k], m, k)
                for k, m in field_errors(CareerOutcome, values, ("employer", "country"))
                if k not in unreadable
            )
            errors.extend(row_errors_found)
            continue
        pair = (student.student_number, values["survey_point"])
        if pair in seen:
            message = format_lazy(DUPLICATE_ROW, row=seen[pair])
            errors.extend(row_errors_found)
            errors.append(RowError(index, LABEL_OF["survey_point"], message, "survey_point", "duplicate"))
            continue
        seen[pair] = index
        values = _clean_values(values)
        current = existing.get((student.pk, values["survey_point"]))
        # Every error of the row at once: the cells that could be read go through the checks too.
        try:
            career_check(_record(student, current, values), today=today, exclude=unreadable)
        except ValidationError as error:
            row_errors_found += row_errors(index, error, labels=LABEL_OF, default="student_number")
        if row_errors_found:
            errors.extend(row_errors_found)
            continue
        if current is None:
            plan.creates.append((index, student, values))
        elif all(getattr(current, n) == v for n, v in values.items()):
            plan.unchanged += 1
        else:
            plan.updates.append((index, current, values))
    errors.sort(key=lambda e: (e.row, str(e.column)))
    plan.result.students_created = len(plan.creates)  # shown as "created" on the upload page
    plan.result.students_updated = len(plan.updates)
    plan.result.students_unchanged = plan.unchanged
    return plan


@transaction.atomic
def career_upload_apply(*, plan: CareerPlan, acting_user: Any) -> ImportResult:
    """All or nothing: a plan with errors writes nothing. Every record is validated again, as
    the services validate one (career_check and the database's uniqueness), before anything is
    written; a record refused now (the data changed since the check) comes back as a row error
    and nothing is written."""
    if plan.result.errors:
        raise ValidationError(plan.result.errors[0].message)
    records = [(row, _record(student, None, values)) for row, student, values in plan.creates]
    records += [(row, _record(career.student, career, values)) for row, career, values in plan.updates]
    _hold_students(record.student_id for _row, record in records)
    # An update writes the whole record as the check read it, with the file's values: a record
    # edited or deleted since would be written over or brought back. Under the students' locks no
    # career write can come between this read and the save.
    checked = {career.pk: career.version for _row, career, _values in plan.updates}
    now = dict(CareerOutcome.objects.filter(pk__in=checked).values_list("pk", "version"))
    plan.result.errors += [
        RowError(row, LABEL_OF["survey_point"], CHANGED_SINCE_CHECK, "survey_point", "stale")
        for row, career, _values in plan.updates
        if now.get(career.pk) != checked[career.pk]
    ]
    for row, record in records:
        try:
            _career_validate(record, today=plan.today)
        except ValidationError as error:
            plan.result.errors += row_errors(row, error, labels=LABEL_OF, default="student_number")
    if plan.result.errors:
        plan.result.errors.sort(key=lambda e: (e.row, str(e.column)))
        return plan.result
    for _row, record in records:
        if record.pk:
            record.version += 1
        record._history_user = acting_user
        record.save()
    return plan.result


def template_rows() -> list[list[Any]]:
    return [["2022D00001", "completion", "postdoc", "academia", "東京大学", "JP"]]


def headers(language: str = "ja") -> list[str]:
    return [ja if language == "ja" else en for _key, ja, en in COLUMNS]
