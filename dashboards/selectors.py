"""Read-only figures for the dashboards, all from the derived facts (DESIGN.md flow step 4).

A `Scope` is either the nation (one representative row per person, person-level columns)
or one university (its own records, record-level columns: DOMAIN.md "A person"). With a
what-if floor, "counts" becomes `peak >= floor` on the same rows, and the program breakdown
reads the floor bands (`StudentYearBand`): one row per counted student per floor band.
The national figures at the floor in force, and the per-university counts and gross awards,
are read from the counts the facts refresh keeps beside the rows (`NationalYearCount`,
`UniversityYearCount`: a count is the sum of its rows' signed changes), not counted afresh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, QuerySet, Sum

from careers.selectors import completer_counts
from enrolment import rules as enrolment_rules
from enrolment.selectors import national_universities
from programs.models import Program, Target
from students.models import (
    NationalYearCount,
    StudentYearBand,
    StudentYearFact,
    StudentYearOverlap,
    University,
    UniversityYearCount,
)

FIRST_TRACKED_FY = 2021
OUTLOOK_YEARS = 5


@dataclass(frozen=True)
class Scope:
    fiscal_year: int
    floor: int | None = None  # None: the floor in force (stored `counts`)
    university_id: int | None = None

    @property
    def national(self) -> bool:
        return self.university_id is None


def _columns(scope: Scope) -> tuple[str, str, str]:
    """(counts column, peak column, program column) for the scope at the floor in force."""
    if scope.national:
        return "person_counts", "person_peak_rate", "person_program"
    return "counts", "peak_rate", "program"


def _base(scope: Scope, *, all_years: bool = False) -> QuerySet[StudentYearFact]:
    facts = StudentYearFact.objects.all()
    if not all_years:
        facts = facts.filter(fiscal_year=scope.fiscal_year)
    if scope.national:
        return facts.filter(is_representative=True)
    return facts.filter(university_id=scope.university_id)


def counted_facts(scope: Scope, *, all_years: bool = False) -> QuerySet[StudentYearFact]:
    counts, peak, _program = _columns(scope)
    facts = _base(scope, all_years=all_years)
    if scope.floor is None:
        return facts.filter(**{counts: True})
    return facts.filter(**{f"{peak}__gte": scope.floor})


def _kept(scope: Scope) -> bool:
    """Whether the scope's counted students are read from the kept national counts."""
    return scope.national and scope.floor is None


def _grouped(scope: Scope, columns: list[str], *, years: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """The scope's counted students in the fiscal year (or `years`, first and last) grouped by the
    fact `columns`, each group with its `n`: nationally at the floor in force from the kept counts,
    where a count that went back to nought has rows and is left out, as a group with no fact row."""
    if _kept(scope):
        rows = NationalYearCount.objects.all()
        n = Sum("persons")
    else:
        rows = counted_facts(scope, all_years=True)
        n = Count("*")
    if years is None:
        rows = rows.filter(fiscal_year=scope.fiscal_year)
    else:
        rows = rows.filter(fiscal_year__gte=years[0], fiscal_year__lte=years[1])
    return [row for row in rows.values(*columns).annotate(n=n).order_by() if row["n"]]


def headcount(scope: Scope) -> int:
    if _kept(scope):
        return NationalYearCount.objects.filter(fiscal_year=scope.fiscal_year).aggregate(n=Sum("persons"))["n"] or 0
    return counted_facts(scope).count()


@dataclass(frozen=True)
class NationalTargets:
    """The national targets and published headcounts (Target rows without a program), read once
    for a page: `target_for` and `published` answer as the selectors of the same names."""

    targets: list[Target]  # by fiscal year
    published: dict[int, Target]

    def target_for(self, fiscal_year: int) -> Target | None:
        later = [t for t in self.targets if t.fiscal_year >= fiscal_year]
        return later[0] if later else (self.targets[-1] if self.targets else None)

    def published_headcounts(self) -> dict[int, int]:
        return {fy: t.headcount for fy, t in self.published.items()}


def national_targets() -> NationalTargets:
    rows = Target.objects.filter(program__isnull=True, kind__in=[Target.Kind.TARGET, Target.Kind.PUBLISHED]).order_by(
        "fiscal_year"
    )
    targets, published = [], {}
    for row in rows:
        if row.kind == Target.Kind.TARGET:
            targets.append(row)
        else:
            published[row.fiscal_year] = row
    return NationalTargets(targets, published)


def target_for(fiscal_year: int) -> Target | None:
    """The national target that applies: the first target year at or after FY, else the latest."""
    targets = Target.objects.filter(kind=Target.Kind.TARGET, program__isnull=True)
    return (
        targets.filter(fiscal_year__gte=fiscal_year).order_by("fiscal_year").first()
        or targets.order_by("-fiscal_year").first()
    )


def breakdown(scope: Scope, column: str) -> dict[Any, int]:
    """Counted students grouped by a fact column (founder, field, …); values sum to the headcount."""
    return breakdowns(scope, [column])[column]


def breakdowns(scope: Scope, columns: list[str]) -> dict[str, dict[Any, int]]:
    """`breakdown` by each of the columns, from one query grouped by all of them (the counted rows
    are read once, not once per column): each column's values sum to the headcount."""
    result: dict[str, dict[Any, int]] = {column: {} for column in columns}
    for row in _grouped(scope, columns):
        for column in columns:
            result[column][row[column]] = result[column].get(row[column], 0) + row["n"]
    return result


def by_program(scope: Scope) -> dict[str, int]:
    """Each counted student attributed to exactly one program (DOMAIN.md: Program breakdown).

    A what-if floor X takes, per student, the band with above < X ≤ up_to: "the same definition
    with X in place of the floor in force, attribution included" (DOMAIN.md: What-if floor).
    """
    if scope.floor is None:
        return breakdown(scope, _columns(scope)[2])
    return _bands_per_year(scope, [scope.fiscal_year])[scope.fiscal_year]


def by_program_per_year(scope: Scope, years: list[int]) -> dict[int, dict[str, int]]:
    """`by_program` for several fiscal years (the published breakdown's years), in one query: the
    program column at the floor in force, the floor bands at a what-if floor, as `by_program`."""
    if scope.floor is not None:
        return _bands_per_year(scope, years)
    program = _columns(scope)[2]
    result: dict[int, dict[str, int]] = {fy: {} for fy in years}
    for row in _grouped(scope, ["fiscal_year", program], years=(min(years), max(years))):
        if row["fiscal_year"] in result:
            result[row["fiscal_year"]][row[program]] = row["n"]
    return result


def _bands_per_year(scope: Scope, years: list[int]) -> dict[int, dict[str, int]]:
    """The what-if floor's attribution (`by_program`) of several fiscal years, from the floor bands."""
    bands = StudentYearBand.objects.filter(fiscal_year__in=years, above__lt=scope.floor, up_to__gte=scope.floor)
    if scope.national:
        bands = bands.filter(national=True)
    else:
        bands = bands.filter(is_person=False, university_id=scope.university_id)
    result: dict[int, dict[str, int]] = {fy: {} for fy in years}
    for row in bands.values("fiscal_year", "program").annotate(n=Count("*")).order_by("fiscal_year", "program"):
        result[row["fiscal_year"]][row["program"]] = row["n"]
    return result


@dataclass(frozen=True)
class Counted:
    """A scope's counted students per fiscal year, and per program in the years asked for: what
    `headcount`, `trend`, `by_program` and `by_program_per_year` answer, read once for a page."""

    per_year: dict[int, int]
    per_program: dict[int, dict[str, int]]

    def headcount(self, fiscal_year: int) -> int:
        return self.per_year.get(fiscal_year, 0)


def counted(scope: Scope, *, until: int, program_years: list[int]) -> Counted:
    """Counted students from FY2021 (or the scope's year, if earlier) to `until`, per year, and
    per program in `program_years`. At the floor in force one query grouped by year and program
    (nationally the counted representatives' partial index answers it alone); at a what-if floor
    one by year and one of the floor bands for the programs."""
    years = sorted({scope.fiscal_year, *program_years})
    span = (min(FIRST_TRACKED_FY, years[0]), max(until, years[-1]))
    if scope.floor is not None:
        per_year = {row["fiscal_year"]: row["n"] for row in _grouped(scope, ["fiscal_year"], years=span)}
        return Counted(per_year, _bands_per_year(scope, years))
    program = _columns(scope)[2]
    per_year: dict[int, int] = {}
    per_program: dict[int, dict[str, int]] = {fy: {} for fy in years}
    for row in _grouped(scope, ["fiscal_year", program], years=span):
        fy, n = row["fiscal_year"], row["n"]
        per_year[fy] = per_year.get(fy, 0) + n
        if fy in per_program:
            per_program[fy][row[program]] = n
    return Counted(per_year, per_program)


def gross_awards(fiscal_year: int, university_id: int | None = None) -> dict[str, int]:
    """Awards active at some point of the fiscal year, every program (postdoctoral included),
    from the kept counts (`UniversityYearCount`)."""
    counts = UniversityYearCount.objects.filter(fiscal_year=fiscal_year)
    if university_id is not None:
        counts = counts.filter(university_id=university_id)
    rows = counts.values("program").annotate(n=Sum("awards")).order_by()
    return {row["program"]: row["n"] for row in rows if row["n"]}


@dataclass(frozen=True)
class UniversityRow:
    university_id: int
    name_ja: str
    name_en: str
    founder: str
    national_group: int | None
    counted: int
    previous: int
    awards: int

    @property
    def change(self) -> int:
        return self.counted - self.previous


def university_table(scope: Scope) -> list[UniversityRow]:
    """Counted students, awards and change from the year before, per university (own records):
    at the floor in force all from the kept counts (`UniversityYearCount`) in one query, at a
    what-if floor the counted students from the fact rows."""
    years = [scope.fiscal_year, scope.fiscal_year - 1]
    kept = (
        UniversityYearCount.objects.filter(fiscal_year__in=years if scope.floor is None else years[:1])
        .values_list("university_id", "fiscal_year")
        .annotate(counted=Sum("counted"), awards=Sum("awards"))
        .order_by()
    )
    counted: dict[tuple[int, int], int] = {}
    awards: dict[int, int] = {}
    for university_id, fiscal_year, n, held in kept:
        counted[university_id, fiscal_year] = n
        if fiscal_year == scope.fiscal_year:
            awards[university_id] = held
    if scope.floor is not None:
        per_year = (
            StudentYearFact.objects.filter(fiscal_year__in=years, peak_rate__gte=scope.floor)
            .values("university_id", "fiscal_year")
            .annotate(n=Count("*"))
            .order_by()
        )
        counted = {(r["university_id"], r["fiscal_year"]): r["n"] for r in per_year}
    # A count back to nought keeps its rows: such a university is left out, as with no fact row.
    counted = {key: n for key, n in counted.items() if n}
    awards = {key: n for key, n in awards.items() if n}
    ids = {uid for uid, _fy in counted} | set(awards)
    # Every university read, those with figures kept: a few hundred rows, and no list of ids sent.
    universities = University.objects.order_by().values_list("pk", "name_ja", "name_en", "founder", "national_group")
    rows = [
        UniversityRow(
            university_id=pk,
            name_ja=name_ja,
            name_en=name_en,
            founder=founder,
            national_group=national_group,
            counted=counted.get((pk, scope.fiscal_year), 0),
            previous=counted.get((pk, scope.fiscal_year - 1), 0),
            awards=awards.get(pk, 0),
        )
        for pk, name_ja, name_en, founder, national_group in universities
        if pk in ids
    ]
    return sorted(rows, key=lambda r: (-r.counted, r.name_ja))


def published_headcounts() -> dict[int, int]:
    """The published national headcounts by fiscal year (DOMAIN.md)."""
    return dict(
        Target.objects.filter(program__isnull=True, kind=Target.Kind.PUBLISHED).values_list("fiscal_year", "headcount")
    )


def persons_at_several_universities(scope: Scope) -> int:
    """Persons counted at two or more universities in the year (a transfer): each such person is in
    every university's own figures but once in the national total (DOMAIN.md: A person). Read from
    the person-level columns the facts refresh keeps (students.facts._several_universities) on the
    representatives, by the partial index of the persons with records at several universities."""
    facts = StudentYearFact.objects.filter(
        fiscal_year=scope.fiscal_year, is_representative=True, person_several_up_to__isnull=False
    )
    if scope.floor is None:
        return facts.filter(person_several_universities=True).count()
    return facts.filter(person_several_up_to__gte=scope.floor).count()


@dataclass(frozen=True)
class TrendPoint:
    fiscal_year: int
    tracked: int
    published: int | None
    published_is_planned: bool
    target: int | None


def last_fiscal_year() -> int:
    return StudentYearFact.objects.aggregate(m=Max("fiscal_year"))["m"] or FIRST_TRACKED_FY


def trend(
    scope: Scope,
    *,
    until: int | None = None,
    tracked: dict[int, int] | None = None,
    targets: NationalTargets | None = None,
) -> list[TrendPoint]:
    """Tracked headcount per fiscal year from FY2021, beside the published figures and the target.
    A page that has read the counts per year (`counted`) and the targets passes them."""
    until = until or max(last_fiscal_year(), scope.fiscal_year)
    if tracked is None:
        rows = _grouped(scope, ["fiscal_year"], years=(FIRST_TRACKED_FY, until))
        tracked = {row["fiscal_year"]: row["n"] for row in rows}
    targets = targets or national_targets()
    goals = {t.fiscal_year: t.headcount for t in targets.targets}
    points = []
    for fy in range(FIRST_TRACKED_FY, until + 1):
        figure = targets.published.get(fy) if scope.national else None
        points.append(
            TrendPoint(
                fiscal_year=fy,
                tracked=tracked.get(fy, 0),
                published=figure.headcount if figure else None,
                published_is_planned=bool(figure and figure.is_planned),
                target=goals.get(fy) if scope.national else None,
            )
        )
    return points


@dataclass(frozen=True)
class OutlookRow:
    fiscal_year: int
    from_existing_awards: int
    target: int
    gap: int
    new_awards_per_year: int  # new awards a year from next FY on, each running its full term


def outlook(
    scope: Scope,
    *,
    current_fy: int,
    term_years: int = 3,
    years: int = OUTLOOK_YEARS,
    points: list[TrendPoint] | None = None,
    targets: NationalTargets | None = None,
) -> list[OutlookRow]:
    """What the awards already granted give in the coming years, and what it takes to reach the target.

    A new award started in FY c+1 or later counts in every year of its term, so in FY f after
    k = f − c years of new awards (at most `term_years` of them still running) the headcount is
    existing(f) + n × min(k, term). The rows give the smallest n reaching the target in FY f.
    """
    target = targets.target_for(current_fy) if targets else target_for(current_fy)
    goal = target.headcount if target else 0
    if points is None:  # the caller's trend, when it reaches the outlook's years, saves a query
        points = trend(scope, until=current_fy + years)
    tracked = {p.fiscal_year: p.tracked for p in points}
    rows = []
    for k in range(1, years + 1):
        fy = current_fy + k
        existing = tracked.get(fy, 0)
        gap = max(goal - existing, 0)
        rows.append(OutlookRow(fy, existing, goal, gap, math.ceil(gap / min(k, term_years))))
    return rows


def first_year_meeting_target(rows: list[OutlookRow]) -> int | None:
    """When the target is met with nothing new granted (None: not within the outlook)."""
    return next((row.fiscal_year for row in rows if row.gap == 0), None)


@dataclass(frozen=True)
class OverlapSummary:
    students: int
    pairs: list[tuple[str, str, int]] = field(default_factory=list)


def overlap_summary(scope: Scope) -> OverlapSummary:
    """Students holding two or more living-cost supports in the same month, by pair (aggregates)."""
    overlaps = StudentYearOverlap.objects.filter(fiscal_year=scope.fiscal_year)
    if scope.university_id is not None:
        overlaps = overlaps.filter(university_id=scope.university_id)
    key = "person_key" if scope.national else "student_id"
    students = overlaps.aggregate(n=Count(key, distinct=True))["n"]
    pairs = overlaps.values("program_a", "program_b").annotate(n=Count(key, distinct=True)).order_by("-n")
    return OverlapSummary(students, [(p["program_a"], p["program_b"], p["n"]) for p in pairs])


@dataclass(frozen=True)
class ProgramInfo:
    code: str
    name_ja: str
    name_en: str
    is_postdoctoral: bool


def program_infos() -> list[ProgramInfo]:
    return [
        ProgramInfo(code, ja, en, audience == "postdoctoral")
        for code, ja, en, audience in Program.objects.order_by("display_order").values_list(
            "code", "name_ja", "name_en", "audience"
        )
    ]


def employment_indicator(*, first_year: int) -> list[enrolment_rules.EmploymentIndicator]:
    """The employment indicator of the national universities (卒業・修了者の就職・進学等の状況,
    doctoral course) over first_year..first_year+2, from the career records (careers) by the
    enrolment rules, ranked within the groups ①–⑥: fetch, then calculate."""
    names = national_universities()
    counts = completer_counts(
        first_year=first_year, last_year=first_year + enrolment_rules.WINDOW_YEARS - 1, university_ids=list(names)
    )
    rows = [
        enrolment_rules.CompleterRow(c.university_id, c.field, c.completers, c.employed, c.further_study)
        for c in counts
    ]
    return enrolment_rules.employment_indicator(rows, {pk: n.group for pk, n in names.items()})
