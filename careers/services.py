"""Every write to career records: the form, the upload and the API, through the same checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from careers.models import CareerOutcome
from careers.selectors import EMPLOYED, YEARS_AFTER, Destination, Point, due_date
from phdsupport.validation import field_errors
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
)
from students.models import Student, University
from students.services import locked_for_update

NOT_FINISHED = _("修了・退学した学生（修了・退学日あり）にだけ登録できます。")
NOT_YET_DUE = _("この調査時点（{due}）はまだ来ていません。")
SECTOR_REQUIRED = _("就職した場合はセクターを選んでください。")
BAD_COUNTRY = _("国・地域は英字2字のコードです（例: JP, US）。")
UNKNOWN_STUDENT = _("この学籍番号の学生は本学に登録されていません。")
DUPLICATE_ROW = _("同じ学生・調査時点が{row}行目にもあります。")

CAREER_FIELDS = ("survey_point", "destination", "sector", "employer", "country")


# --- Writes -------------------------------------------------------------------------------


def _validate(student: Student, values: dict[str, Any], today: date) -> None:
    errors: dict[str, list[ValidationError]] = {}
    if student.status not in (Student.Status.COMPLETED, Student.Status.WITHDRAWN) or not student.completion_date:
        errors["__all__"] = [ValidationError(NOT_FINISHED, code="not_finished")]
    elif values.get("survey_point") in YEARS_AFTER:
        due = due_date(student.completion_date, values["survey_point"])
        if due > today:
            errors["survey_point"] = [ValidationError(NOT_YET_DUE.format(due=due.isoformat()), code="not_yet_due")]
    if values.get("destination") in EMPLOYED and not values.get("sector"):
        errors["sector"] = [ValidationError(SECTOR_REQUIRED, code="required")]
    country = values.get("country") or ""
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        errors["country"] = [ValidationError(BAD_COUNTRY, code="invalid")]
    if errors:
        raise ValidationError(errors)


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {name: values[name] for name in CAREER_FIELDS if name in values}
    for name in ("sector", "employer", "country"):
        cleaned[name] = (cleaned.get(name) or "").strip()
    cleaned["country"] = cleaned["country"].upper()
    return cleaned


@transaction.atomic
def career_create(*, student: Student, acting_user: Any, today: date, **values: Any) -> CareerOutcome:
    values = _clean_values(values)
    _validate(student, values, today)
    career = CareerOutcome(student=student, **values)
    career.full_clean()
    career._history_user = acting_user
    career.save()
    return career


@transaction.atomic
def career_update(
    *, career: CareerOutcome, acting_user: Any, today: date, expected_version: int | None = None, **values: Any
) -> CareerOutcome:
    current = locked_for_update(CareerOutcome, career.pk, expected_version)
    values = _clean_values({**{n: getattr(current, n) for n in CAREER_FIELDS}, **values})
    _validate(current.student, values, today)
    if all(getattr(current, n) == v for n, v in values.items()):
        return current
    for name, value in values.items():
        setattr(current, name, value)
    current.full_clean()
    current.version += 1
    current._history_user = acting_user
    current.save()
    return current


@transaction.atomic
def career_delete(*, career: CareerOutcome, acting_user: Any) -> None:
    career._history_user = acting_user
    career.delete()


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
    creates: list[tuple[Student, dict[str, Any]]] = field(default_factory=list)
    updates: list[tuple[CareerOutcome, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0


def career_upload_check(*, university: University, content: bytes, filename: str, today: date) -> CareerPlan:
    """Every bad row with its column and reason; writes nothing. Matched on student number and
    survey point: a new pair is created, a known one updated, the same values left unchanged."""
    table = read_table(content, filename)
    keys = [HEADER_TO_KEY.get(h) for h in table.headers]
    missing = [LABEL_OF[k] for k in ("student_number", "survey_point", "destination") if k not in keys]
    if missing:
        raise UploadRejected(MISSING_HEADERS.format(columns=str(LIST_SEPARATOR).join(missing)))
    students = {s.student_number: s for s in Student.objects.filter(university=university)}
    existing = {(c.student_id, c.survey_point): c for c in CareerOutcome.objects.filter(student__university=university)}
    plan = CareerPlan(ImportResult(rows=table.count))
    seen: dict[tuple[str, str], int] = {}
    errors = plan.result.errors
    for index, raw in enumerate(table.rows(), start=2):
        if index - 1 > table.count:
            break
        values: dict[str, Any] = {}
        row_errors: list[RowError] = []
        for key, cell in zip(keys, raw, strict=False):
            if key is None:
                continue
            try:
                values[key] = PARSERS[key](cell)
            except ValueError as error:
                row_errors.append(RowError(index, LABEL_OF[key], str(error), key))
        row_errors.extend(
            RowError(index, LABEL_OF[k], m, k) for k, m in field_errors(CareerOutcome, values, ("employer", "country"))
        )
        for key in ("student_number", "survey_point", "destination"):
            if not values.get(key) and not any(e.field == key for e in row_errors):
                row_errors.append(RowError(index, LABEL_OF[key], str(REQUIRED), key))
        student = students.get(values.get("student_number") or "")
        if values.get("student_number") and student is None:
            row_errors.append(RowError(index, LABEL_OF["student_number"], str(UNKNOWN_STUDENT), "student_number"))
        if row_errors:
            errors.extend(row_errors)
            continue
        pair = (student.student_number, values["survey_point"])
        if pair in seen:
            errors.append(
                RowError(index, LABEL_OF["survey_point"], str(DUPLICATE_ROW.format(row=seen[pair])), "survey_point")
            )
            continue
        seen[pair] = index
        values = _clean_values(values)
        try:
            _validate(student, values, today)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = LABEL_OF.get(name, LABEL_OF["student_number"])
                errors.extend(RowError(index, column, str(m), name if name != "__all__" else "") for m in messages)
            continue
        current = existing.get((student.pk, values["survey_point"]))
        if current is None:
            plan.creates.append((student, values))
        elif all(getattr(current, n) == v for n, v in values.items()):
            plan.unchanged += 1
        else:
            plan.updates.append((current, values))
    plan.result.students_created = len(plan.creates)  # shown as "created" on the upload page
    plan.result.students_updated = len(plan.updates)
    plan.result.students_unchanged = plan.unchanged
    return plan


@transaction.atomic
def career_upload_apply(*, plan: CareerPlan, acting_user: Any) -> ImportResult:
    """All or nothing: a plan with errors writes nothing."""
    if plan.result.errors:
        raise ValidationError(plan.result.errors[0].message)
    for student, values in plan.creates:
        career = CareerOutcome(student=student, **values)
        career._history_user = acting_user
        career.save()
    for career, values in plan.updates:
        for name, value in values.items():
            setattr(career, name, value)
        career.version += 1
        career._history_user = acting_user
        career.save()
    return plan.result


def template_rows() -> list[list[Any]]:
    return [["2022D00001", "completion", "postdoc", "academia", "東京大学", "JP"]]


def headers(language: str = "ja") -> list[str]:
    return [ja if language == "ja" else en for _key, ja, en in COLUMNS]


