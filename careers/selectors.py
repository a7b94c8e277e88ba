"""Reads of careers after the degree: survey points, what is due, outcome rates, the JGRAD export.

Survey points (DOMAIN.md, JGRAD): at completion, and 1, 5 and 10 years after. A record for a
point is due on the completion (or withdrawal) date plus that many years, and overdue once more
than one month has passed since then without a record (the same month of grace as for awards).

Employment rate (our definition, as 学校基本調査 counts 就職率): records whose destination is a
job (permanent research post, postdoctoral fellow, non-permanent research post, non-research
job) over all records at that survey point, "unknown" included in the denominator. Published
rates leave the unknown out (the JSPS DC survey: "割合は不明者等を除いて算出"), so each row also
gives its rates on that basis (`rate_known`, `permanent_share_known`) to compare like with like.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from careers.models import CareerOutcome
from phdsupport.validation import date_plus
from programs import rules
from programs.labels import localized_name
from students.models import Student, University

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
    (79.0, _("特別研究員（DC）終了10年後の任期なし研究職の割合（不明者等を除く）")),
    (75.0, _("国の目標（2030年）")),
    (80.0, _("国の目標（2040年）")),
]


@lru_cache(maxsize=8192)
def due_date(finished_on: date, point: str) -> date:
    # Cached: completers share a few completion dates, and the national ranking asks for each.
    # Clamped: a completion date stored near year 9999 is never due instead of a page error.
    return date_plus(finished_on, relativedelta(years=YEARS_AFTER[point]))


@lru_cache(maxsize=8192)
def _overdue_after(finished_on: date, point: str) -> date:
    return date_plus(due_date(finished_on, point), GRACE)


def is_overdue(finished_on: date, point: str, today: date) -> bool:
    return _overdue_after(finished_on, point) < today


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


@dataclass(frozen=True)
class DuePoint:
    """A survey point reached and not recorded, as plain values (`DueRecord` without the student)."""

    student_id: int
    student_number: str
    survey_point: str
    due_date: date
    overdue: bool


def due_points(*, university_id: int, today: date) -> list[DuePoint]:
    """`careers_due` for one university from plain rows, oldest first: a large university has
    thousands of completers, and a model object with its careers for each would outweigh the
    page that shows fifty of them (`with_students` loads those)."""
    recorded = set(
        CareerOutcome.objects.filter(university_id=university_id).order_by().values_list("student_id", "survey_point")
    )
    finished = (
        Student.objects.filter(
            university_id=university_id,
            status__in=[Student.Status.COMPLETED, Student.Status.WITHDRAWN],
            completion_date__isnull=False,
        )
        .order_by()
        .values_list("pk", "student_number", "completion_date")
    )
    # Completers share a few completion dates: each date's points reached, worked out once.
    reached: dict[date, list[tuple[str, date, bool]]] = {}
    due = []
    for pk, number, finished_on in finished:
        points = reached.get(finished_on)
        if points is None:
            points = reached[finished_on] = [
                (point, when, is_overdue(finished_on, point, today))
                for point in YEARS_AFTER
                if (when := due_date(finished_on, point)) <= today
            ]
        due.extend(
            DuePoint(pk, number, point, when, late) for point, when, late in points if (pk, point) not in recorded
        )
    due.sort(key=lambda d: (d.due_date, d.student_number))
    return due


def with_students(points: Iterable[DuePoint]) -> list[DueRecord]:
    """The `DueRecord`s of some due points (a page of them), their students read in one query."""
    points = list(points)
    # What the lists show of a student, no more.
    students = Student.objects.only("pk", "student_number", "family_name", "given_name", "completion_date").in_bulk(
        {p.student_id for p in points}
    )
    return [DueRecord(students[p.student_id], p.survey_point, p.due_date, p.overdue) for p in points]


def overdue_threshold(point: str, today: date) -> date | None:
    """The last completion date whose record for `point` is overdue on `today` (None: none is).

    `is_overdue` only grows with the completion date (a later completion is due later), so the
    completers with an overdue point are exactly those who finished on or before one day: found
    here by bisection with the rule itself, so that a count in the database says what the rule
    says, month ends and 29 February included."""
    low, high = date.min.toordinal(), today.toordinal()  # overdue on `today` means finished before it
    if not is_overdue(date.fromordinal(low), point, today):
        return None
    while low < high:  # invariant: overdue at `low`, and not overdue after `high`
        middle = (low + high + 1) // 2
        if is_overdue(date.fromordinal(middle), point, today):
            low = middle
        else:
            high = middle - 1
    return date.fromordinal(low)


def record_counts(today: date, university_id: int | None = None) -> tuple[Counter, Counter]:
    """Per university: career records past their month of grace (checked) and, of those, the ones
    not entered (overdue). Two GROUP BYs in the database (the completers, and the records of the
    points they owe), each survey point's overdue completers selected by its last completion date
    (`overdue_threshold`): the national ranking counts every completer of the country."""
    finished = Q(status__in=[Student.Status.COMPLETED, Student.Status.WITHDRAWN], completion_date__isnull=False)
    thresholds = {point: overdue_threshold(point, today) for point in YEARS_AFTER}
    thresholds = {point: day for point, day in thresholds.items() if day is not None}
    checked: Counter = Counter()
    overdue: Counter = Counter()
    if not thresholds:
        return checked, overdue
    # No ordering: the models' default (by university name and student number) would join and
    # sort every completer and record in the country for counts that need no order.
    students = Student.objects.filter(finished).order_by()
    recorded = CareerOutcome.objects.filter(
        student__status__in=[Student.Status.COMPLETED, Student.Status.WITHDRAWN],
        student__completion_date__isnull=False,
    ).order_by()
    if university_id is not None:
        students = students.filter(university_id=university_id)
        recorded = recorded.filter(university_id=university_id)
    per_point = {f"p{i}": Count("pk", filter=Q(completion_date__lte=day)) for i, day in enumerate(thresholds.values())}
    for uid, *counts in students.values("university_id").annotate(**per_point).values_list("university_id", *per_point):
        if sum(counts):
            checked[uid] = sum(counts)
            overdue[uid] = sum(counts)
    owed = Q()
    for point, day in thresholds.items():
        owed |= Q(survey_point=point, student__completion_date__lte=day)
    for uid, count in (
        recorded.filter(owed)
        .values("student__university_id")
        .annotate(n=Count("pk"))
        .values_list("student__university_id", "n")
    ):
        overdue[uid] -= count
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

    @property
    def known(self) -> int:
        """Records whose destination is known: the denominator of published rates."""
        return self.records - self.destinations[Destination.UNKNOWN]

    @property
    def rate_known(self) -> float | None:
        """Employment rate with unknown destinations left out of the denominator (None: none known)."""
        return round(self.employed * 100 / self.known, 1) if self.known else None

    @property
    def permanent_share_known(self) -> float | None:
        """Share in permanent research posts among known destinations (the JSPS DC survey's 79.0%)."""
        return self.share(self.destinations, Destination.PERMANENT_RESEARCH, self.known)

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


def outcome_table(records: Iterable[tuple[str, str, str, str, int]]) -> dict[str, dict[str, OutcomeRow]]:
    """Rates by survey point and group from counted (group, survey_point, destination, sector, n) rows.

    Each record counts once in the group ALL and once in each of its groups (a student who held
    SPRING and then a DC counts under both programs, once in all tracked students): `outcome_records`
    gives the ALL rows and the group rows side by side.
    """
    table: dict[str, dict[str, OutcomeRow]] = {p: {} for p in YEARS_AFTER}
    for group, point, destination, sector, n in records:
        row = table[point].setdefault(group, OutcomeRow(group))
        row.records += n
        row.destinations[destination] += n
        if destination in EMPLOYED:
            row.employed += n
            row.sectors[sector or CareerOutcome.Sector.OTHER] += n
    return table


OUTCOME_GROUPS = {
    "program": "student__awards__program__code",
    "university": "university__name_ja",
    "field": "student__field",
}


def outcome_records(careers, by: str = "program") -> list[tuple[str, str, str, str, int]]:
    """(group, point, destination, sector, n) counted in the database: every record under ALL, and
    under each of its groups: the programs the student held, or the university's name, or the
    field, by `by`. Two GROUP BYs, however many records: the national page used to read every
    record and the awards of every student."""
    careers = careers.order_by()
    columns = ("survey_point", "destination", "sector")
    everyone = careers.values(*columns).annotate(n=Count("pk")).values_list(*columns, "n")
    group = OUTCOME_GROUPS[by]
    # A student holds several awards (one per year for some): each record once per program.
    grouped = (
        careers.values(group, *columns)
        .annotate(n=Count("pk", distinct=by == "program"))
        .values_list(group, *columns, "n")
    )
    grouped = [row for row in grouped if row[0] is not None]
    if by == "university":
        # Grouped by the Japanese name (always present); shown in the page's language (#13 item 6).
        names = {
            ja: localized_name(ja, en)
            for ja, en in University.objects.filter(name_ja__in={row[0] for row in grouped}).values_list(
                "name_ja", "name_en"
            )
        }
        grouped = [(names.get(row[0], row[0]), *row[1:]) for row in grouped]
    return [(ALL, *row) for row in everyone] + grouped


# --- JGRAD --------------------------------------------------------------------------------

# The items of JGRAD's first registration that the product holds (NISTEP's PhD database:
# profile, study career, support received, employment career). Names, e-Rad number, course
# entry and completion, field, status, flags, the supports held, and the career at completion.
# Not translated: JGRAD registers these items under its Japanese names and codes, so the file is
# Japanese whatever the language of the page (careers.views.jgrad_export renders it in Japanese).
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


def jgrad_students(*, university: University, fiscal_year: int) -> QuerySet[Student]:
    """The students a JGRAD export of the year holds: those who finished in it."""
    start, end = rules.fiscal_year_bounds(fiscal_year)
    return Student.objects.filter(
        university=university,
        status__in=[Student.Status.COMPLETED, Student.Status.WITHDRAWN],
        completion_date__range=(start, end),
    )


def jgrad_rows(*, university: University, fiscal_year: int) -> Iterable[list[Any]]:
    students = (
        jgrad_students(university=university, fiscal_year=fiscal_year)
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


# --- Completers' employment and further study (the allocation's employment indicator) ---------


@dataclass(frozen=True)
class CompleterCounts:
    """Doctoral completers of one university and field over some fiscal years, and where the
    career record at completion says they went."""

    university_id: int
    field: str
    completers: int
    employed: int
    further_study: int
    recorded: int  # completers with a record at completion (the others count as neither)


def completer_counts(*, first_year: int, last_year: int, university_ids: Iterable[int]) -> list[CompleterCounts]:
    """Per university and field: the students who completed the doctoral course in fiscal years
    first_year..last_year (withdrawals are not completers), with their record at completion:
    employed (a job: EMPLOYED) or further study (進学・学生). A completer with no record yet counts
    as a completer only, as 学校基本調査 counts the unknown in the denominator. One query."""
    start, _end = rules.fiscal_year_bounds(first_year)
    _start, end = rules.fiscal_year_bounds(last_year)
    at_completion = Q(careers__survey_point=Point.COMPLETION)
    rows = (
        Student.objects.filter(
            university_id__in=list(university_ids),
            status=Student.Status.COMPLETED,
            completion_date__gte=start,
            completion_date__lte=end,
        )
        .values("university_id", "field")
        .annotate(
            completers=Count("pk", distinct=True),
            employed=Count("pk", distinct=True, filter=at_completion & Q(careers__destination__in=list(EMPLOYED))),
            further_study=Count(
                "pk", distinct=True, filter=at_completion & Q(careers__destination=Destination.STUDENT)
            ),
            recorded=Count("pk", distinct=True, filter=at_completion),
        )
        .order_by("university_id", "field")
    )
    return [CompleterCounts(**row) for row in rows]
