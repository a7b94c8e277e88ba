"""Careers after the degree: survey points, what is due, the writes, uploads and the outcome rates.

Survey points (DOMAIN.md, JGRAD): at completion, and 1, 5 and 10 years after. A record for a
point is due on the completion (or withdrawal) date plus that many years, and overdue once more
than one month has passed since then without a record (the same month of grace as for awards).

Employment rate (our definition, as 学校基本調査 counts 就職率): records whose destination is a
job (permanent research post, postdoctoral fellow, non-permanent research post, non-research
job) over all records at that survey point, "unknown" included in the denominator.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from students.imports import (
    MISSING_HEADERS,
    REQUIRED,
    ImportResult,
    RowError,
    UploadRejected,
    _choice,
    _text,
    read_table,
)
from students.models import Award, CareerOutcome, Student, University
from students.services import locked_for_update

Point = CareerOutcome.SurveyPoint
Destination = CareerOutcome.Destination

YEARS_AFTER = {Point.COMPLETION: 0, Point.YEAR_1: 1, Point.YEAR_5: 5, Point.YEAR_10: 10}
EMPLOYED = frozenset(
    {Destination.PERMANENT_RESEARCH, Destination.POSTDOC, Destination.NON_PERMANENT_RESEARCH, Destination.NON_RESEARCH}
)
GRACE = relativedelta(months=1)

# References beside the figures (DOMAIN.md): percent, what it is.
REFERENCES = [
    (69.3, _("博士課程修了者全体の就職率")),
    (79.3, _("SPRING 修了者（2022年度）の就職率")),
    (75.0, _("国の目標（2030年）")),
    (80.0, _("国の目標（2040年）")),
]

NOT_FINISHED = _(
    "修了・退学した学生（修了・退学日あり）にだけ登録できます。 / "
    "Only completed or withdrawn students with a completion date have career records."
)
NOT_YET_DUE = _("この調査時点（{due}）はまだ来ていません。 / This survey point ({due}) has not come yet.")
SECTOR_REQUIRED = _("就職した場合はセクターを選んでください。 / Choose the sector of the job.")
BAD_COUNTRY = _("国・地域は英字2字のコードです（例: JP, US）。 / The country is a two-letter code (e.g. JP, US).")
UNKNOWN_STUDENT = _("この学籍番号の学生は本学に登録されていません。 / No student with this number at your university.")
DUPLICATE_ROW = _(
    "同じ学生・調査時点が{row}行目にもあります。 / The same student and survey point is also on row {row}."
)

CAREER_FIELDS = ("survey_point", "destination", "sector", "employer", "country")


@lru_cache(maxsize=8192)
def due_date(finished_on: date, point: str) -> date:
    # Cached: completers share a few completion dates, and the national ranking asks for each.
    return finished_on + relativedelta(years=YEARS_AFTER[point])


@lru_cache(maxsize=8192)
def _overdue_after(finished_on: date, point: str) -> date:
    return due_date(finished_on, point) + GRACE


def is_overdue(finished_on: date, point: str, today: date) -> bool:
    return _overdue_after(finished_on, point) < today


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


# --- What is due --------------------------------------------------------------------------


@dataclass(frozen=True)
class DueRecord:
    student: Student
    survey_point: str
    due_date: date
    overdue: bool

    @property
    def survey_point_label(self) -> str:
        return str(Point(self.survey_point).label)


def careers_due(students: Iterable[Student], today: date) -> list[DueRecord]:
    """Survey points reached and not yet recorded, oldest first. `students` should prefetch careers."""
    due: list[DueRecord] = []
    for student in students:
        if student.status not in (Student.Status.COMPLETED, Student.Status.WITHDRAWN) or not student.completion_date:
            continue
        recorded = {c.survey_point for c in student.careers.all()}
        for point in YEARS_AFTER:
            when = due_date(student.completion_date, point)
            if when <= today and point not in recorded:
                due.append(DueRecord(student, point, when, is_overdue(student.completion_date, point, today)))
    due.sort(key=lambda d: (d.due_date, d.student.student_number))
    return due


def record_counts(today: date, university_id: int | None = None) -> tuple[Counter, Counter]:
    """Per university: career records past their month of grace (checked) and, of those, the ones
    not entered (overdue). From plain rows: the national ranking reads every completer, and model
    objects for each would take seconds."""
    students = Student.objects.filter(
        status__in=[Student.Status.COMPLETED, Student.Status.WITHDRAWN], completion_date__isnull=False
    )
    recorded = CareerOutcome.objects.all()
    if university_id is not None:
        students = students.filter(university_id=university_id)
        recorded = recorded.filter(student__university_id=university_id)
    have = set(recorded.values_list("student_id", "survey_point"))
    checked: Counter = Counter()
    overdue: Counter = Counter()
    for pk, uid, finished in students.values_list("pk", "university_id", "completion_date").iterator(chunk_size=5000):
        for point in YEARS_AFTER:
            if is_overdue(finished, point, today):
                checked[uid] += 1
                overdue[uid] += (pk, point) not in have
    return checked, overdue


def finished_students(university_ids: Iterable[int] | None = None):
    students = Student.objects.filter(
        status__in=[Student.Status.COMPLETED, Student.Status.WITHDRAWN], completion_date__isnull=False
    )
    if university_ids is not None:
        students = students.filter(university_id__in=list(university_ids))
    return students.prefetch_related("careers").select_related("university").order_by("completion_date", "pk")


# --- Outcome rates ------------------------------------------------------------------------


@dataclass
class OutcomeRow:
    group: str
    records: int = 0
    employed: int = 0
    destinations: Counter = field(default_factory=Counter)
    sectors: Counter = field(default_factory=Counter)  # of the employed

    @property
    def rate(self) -> float | None:
        """Employment rate in percent, one decimal (None when there is no record)."""
        if not self.records:
            return None
        return round(self.employed * 100 / self.records, 1)

    def share(self, counter: Counter, key: str, base: int) -> float | None:
        return round(counter[key] * 100 / base, 1) if base else None

    def destination_shares(self) -> list[tuple[str, int, float | None]]:
        return [
            (str(label), self.destinations[v], self.share(self.destinations, v, self.records))
            for v, label in Destination.choices
        ]

    def sector_shares(self) -> list[tuple[str, int, float | None]]:
        return [
            (str(label), self.sectors[v], self.share(self.sectors, v, self.employed))
            for v, label in CareerOutcome.Sector.choices
        ]


ALL = "ALL"


def outcome_table(records: Iterable[tuple[Iterable[str], str, str, str]]) -> dict[str, dict[str, OutcomeRow]]:
    """Rates by survey point and group from (groups, survey_point, destination, sector) tuples.

    Each record counts once in the group ALL and once in each of its groups (a student who held
    SPRING and then a DC counts under both programs, once in all tracked students).
    """
    table: dict[str, dict[str, OutcomeRow]] = {p: {} for p in YEARS_AFTER}
    for groups, point, destination, sector in records:
        for group in (ALL, *groups):
            row = table[point].setdefault(group, OutcomeRow(group))
            row.records += 1
            row.destinations[destination] += 1
            if destination in EMPLOYED:
                row.employed += 1
                row.sectors[sector or CareerOutcome.Sector.OTHER] += 1
    return table


def outcome_records(careers, by: str = "program") -> list[tuple[tuple[str, ...], str, str, str]]:
    """(groups, point, destination, sector) for career rows; groups are the programs the student
    held, or the university's name, or the field, by `by`."""
    rows = list(
        careers.values_list(
            "student_id", "survey_point", "destination", "sector", "student__university__name_ja", "student__field"
        )
    )
    programs: dict[int, set[str]] = defaultdict(set)
    if by == "program":
        student_ids = {r[0] for r in rows}
        for student_id, code in Award.objects.filter(student_id__in=student_ids).values_list(
            "student_id", "program__code"
        ):
            programs[student_id].add(code)
    records = []
    for student_id, point, destination, sector, university_name, field_code in rows:
        if by == "university":
            groups: tuple[str, ...] = (university_name,)
        elif by == "field":
            groups = (field_code,)
        else:
            groups = tuple(sorted(programs[student_id]))
        records.append((groups, point, destination, sector))
    return records


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
LABEL_OF = {key: ja for key, ja, _en in COLUMNS}
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
        raise UploadRejected(MISSING_HEADERS.format(columns="、".join(missing)))
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


# --- JGRAD --------------------------------------------------------------------------------

# The items of JGRAD's first registration that the product holds (NISTEP's PhD database:
# profile, study career, support received, employment career). Names, e-Rad number, course
# entry and completion, field, status, flags, the supports held, and the career at completion.
JGRAD_COLUMNS = [
    "学籍番号",
    "研究者番号",
    "姓",
    "名",
    "学系",
    "博士後期課程入学日",
    "修了・退学日",
    "在籍状況",
    "留学生",
    "社会人学生",
    "受けた支援（事業コード:開始日〜終了日）",
    "修了時の進路",
    "修了時のセクター",
    "修了時の勤務先",
    "修了時の国・地域",
]


def jgrad_rows(*, university: University, fiscal_year: int) -> Iterable[list[Any]]:
    from programs import rules

    start, end = rules.fiscal_year_bounds(fiscal_year)
    students = (
        Student.objects.filter(
            university=university,
            status__in=[Student.Status.COMPLETED, Student.Status.WITHDRAWN],
            completion_date__range=(start, end),
        )
        .prefetch_related("careers", "awards__program")
        .order_by("completion_date", "student_number")
    )
    for s in students:
        at_completion = next((c for c in s.careers.all() if c.survey_point == Point.COMPLETION), None)
        supports = "; ".join(
            f"{a.program.code}:{a.start_date.isoformat()}〜{a.end_date.isoformat()}"
            for a in sorted(s.awards.all(), key=lambda a: a.start_date)
        )
        yield [
            s.student_number,
            s.erad_number,
            s.family_name,
            s.given_name,
            s.get_field_display(),
            s.entry_date,
            s.completion_date,
            s.get_status_display(),
            "はい" if s.is_international else "いいえ",
            "はい" if s.is_working_adult else "いいえ",
            supports,
            at_completion.get_destination_display() if at_completion else "",
            at_completion.get_sector_display() if at_completion and at_completion.sector else "",
            at_completion.employer if at_completion else "",
            at_completion.country if at_completion else "",
        ]
