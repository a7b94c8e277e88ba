"""Reads for the enrolment pages: reported rows turned into the rules' plain values ("fetch, then
calculate"), and counted students read from the derived facts as the dashboards read them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from django.db.models import Count, Max, Q, Sum

from enrolment import rules
from enrolment.models import EnrolmentStatistic
from programs.labels import localized_name
from students.models import Founder, Student, StudentYearFact, University

# The cohorts of a window reach back (term − 1) years before its first year: 4 for a 5-year term.
LOOKBACK_YEARS = max(rules.STANDARD_TERMS) - 1


@dataclass(frozen=True)
class UniversityName:
    pk: int
    name_ja: str
    name_en: str
    founder: str
    group: int | None
    designated: bool


def national_universities() -> dict[int, UniversityName]:
    rows = University.objects.filter(founder=Founder.NATIONAL).values(
        "pk", "name_ja", "name_en", "founder", "national_group", "is_designated"
    )
    return {
        r["pk"]: UniversityName(
            r["pk"], r["name_ja"], r["name_en"], r["founder"], r["national_group"], r["is_designated"]
        )
        for r in rows
    }


def university_names() -> dict[int, str]:
    """Each university's name in the page's language."""
    return {pk: localized_name(ja, en) for pk, ja, en in University.objects.values_list("pk", "name_ja", "name_en")}


def latest_reported_year() -> int | None:
    return EnrolmentStatistic.objects.aggregate(latest=Max("fiscal_year"))["latest"]


def default_first_year() -> int | None:
    """The latest complete window: the three years ending at the latest reported year."""
    latest = latest_reported_year()
    return None if latest is None else latest - rules.WINDOW_YEARS + 1


def statistic_rows(*, first_year: int, university_ids: list[int] | None = None) -> list[rules.StatisticRow]:
    """The reported rows a window needs: its three years and the cohorts back to five-year terms."""
    rows = EnrolmentStatistic.objects.filter(
        fiscal_year__gte=first_year - LOOKBACK_YEARS, fiscal_year__lte=first_year + rules.WINDOW_YEARS - 1
    )
    if university_ids is not None:
        rows = rows.filter(university_id__in=university_ids)
    values = rows.values_list(
        "university_id",
        "field",
        "fiscal_year",
        "admission_capacity",
        "entrants",
        "degrees_conferred",
        "completions_within_term",
        "standard_term_years",
    )
    return [rules.StatisticRow(*row) for row in values]


def indicator_inputs(*, first_year: int) -> tuple[list[rules.StatisticRow], dict[int, rules.UniversityInfo]]:
    """The national universities' rows and groups: the indicator is for national universities only."""
    names = national_universities()
    infos = {pk: rules.UniversityInfo(group=n.group, designated=n.designated) for pk, n in names.items()}
    return statistic_rows(first_year=first_year, university_ids=list(names)), infos


def indicator(*, first_year: int) -> list[rules.UniversityIndicator]:
    rows, infos = indicator_inputs(first_year=first_year)
    return rules.degree_indicator(rows, infos, first_year)


def indicator_what_if(
    *, first_year: int, university_id: int, field: str, extra_completions: int
) -> list[rules.UniversityIndicator]:
    rows, infos = indicator_inputs(first_year=first_year)
    return rules.what_if_completions(
        rows, infos, first_year, university=university_id, field=field, extra_completions=extra_completions
    )


# --- Coverage ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRow:
    key: Any
    counted: int
    enrolled: int

    @property
    def coverage(self) -> Fraction | None:
        return rules.coverage(self.counted, self.enrolled)


def _enrolled(fiscal_year: int, column: str) -> dict[Any, int]:
    rows = (
        EnrolmentStatistic.objects.filter(fiscal_year=fiscal_year)
        .values(column)
        .annotate(n=Sum("enrolled"))
        .order_by(column)
    )
    return {row[column]: row["n"] or 0 for row in rows}


def _counted_nationally(fiscal_year: int, column: str | None) -> dict[Any, int]:
    """Counted students, each person once (representative rows, person-level columns), as the
    national dashboard counts them; grouped by a fact column (founder, national_group, field)."""
    facts = StudentYearFact.objects.filter(fiscal_year=fiscal_year, is_representative=True, person_counts=True)
    if column is None:
        return {None: facts.count()}
    return {row[column]: row["n"] for row in facts.values(column).annotate(n=Count("pk")).order_by(column)}


def _counted_by_university(fiscal_year: int) -> dict[int, int]:
    """A university's own records (record-level `counts`): a person who moved counts at both."""
    rows = (
        StudentYearFact.objects.filter(fiscal_year=fiscal_year, counts=True)
        .values("university_id")
        .annotate(n=Count("pk"))
        .order_by("university_id")
    )
    return {row["university_id"]: row["n"] for row in rows}


def _rows(counted: dict[Any, int], enrolled: dict[Any, int]) -> list[CoverageRow]:
    keys = sorted(set(counted) | set(enrolled), key=lambda k: (k is None, str(k)))
    return [CoverageRow(key, counted.get(key, 0), enrolled.get(key, 0)) for key in keys]


def coverage_national(*, fiscal_year: int) -> CoverageRow:
    enrolled = EnrolmentStatistic.objects.filter(fiscal_year=fiscal_year).aggregate(n=Sum("enrolled"))["n"] or 0
    return CoverageRow(None, _counted_nationally(fiscal_year, None)[None], enrolled)


def coverage_trend(*, last_year: int) -> list[CoverageRow]:
    """National coverage of every reported fiscal year up to `last_year` (DOMAIN.md: against 30%
    and the FY2018 baseline, "with the trend"): two queries whatever the number of years."""
    enrolled = {
        row["fiscal_year"]: row["n"] or 0
        for row in EnrolmentStatistic.objects.filter(fiscal_year__lte=last_year)
        .values("fiscal_year")
        .annotate(n=Sum("enrolled"))
        .order_by("fiscal_year")
    }
    counted = {
        row["fiscal_year"]: row["n"]
        for row in StudentYearFact.objects.filter(
            fiscal_year__in=list(enrolled), is_representative=True, person_counts=True
        )
        .values("fiscal_year")
        .annotate(n=Count("pk"))
        .order_by("fiscal_year")
    }
    return [CoverageRow(year, counted.get(year, 0), enrolled[year]) for year in sorted(enrolled)]


def coverage_by(*, fiscal_year: int, dimension: str) -> list[CoverageRow]:
    """Coverage by founder, national_group or field (counted nationally: sums to the national total)."""
    enrolled_column = {
        "founder": "university__founder",
        "national_group": "university__national_group",
        "field": "field",
    }[dimension]
    return _rows(_counted_nationally(fiscal_year, dimension), _enrolled(fiscal_year, enrolled_column))


def coverage_by_university(*, fiscal_year: int, university_id: int | None = None) -> list[CoverageRow]:
    counted = _counted_by_university(fiscal_year)
    enrolled = _enrolled(fiscal_year, "university_id")
    rows = _rows(counted, enrolled)
    if university_id is not None:
        rows = [row for row in rows if row.key == university_id] or [CoverageRow(university_id, 0, 0)]
    return rows


def coverage_of_university_by_field(*, fiscal_year: int, university_id: int) -> list[CoverageRow]:
    facts = StudentYearFact.objects.filter(fiscal_year=fiscal_year, counts=True, university_id=university_id)
    counted = {r["field"]: r["n"] for r in facts.values("field").annotate(n=Count("pk")).order_by("field")}
    enrolled = {
        r["field"]: r["n"] or 0
        for r in EnrolmentStatistic.objects.filter(fiscal_year=fiscal_year, university_id=university_id)
        .values("field")
        .annotate(n=Sum("enrolled"))
        .order_by("field")
    }
    return _rows(counted, enrolled)


# --- Entrants from a master's course who are supported (Basic Plan: about 70%) -----------------


def _supported_entrants(fiscal_year: int, *, national: bool) -> dict[Any, tuple[int, int]]:
    """Counted students who entered the doctoral course in the fiscal year, as (from a master's
    course, entry route not recorded) by Student.entry_route. Nationally each person once (key
    None), by university each record (as coverage counts them). One query."""
    start, end = date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)
    facts = StudentYearFact.objects.filter(
        fiscal_year=fiscal_year, student__entry_date__gte=start, student__entry_date__lte=end
    )
    counts = {
        "masters": Count("pk", filter=Q(student__entry_route=Student.EntryRoute.MASTERS)),
        "unknown": Count("pk", filter=Q(student__entry_route="")),
    }
    if national:
        row = facts.filter(is_representative=True, person_counts=True).aggregate(**counts)
        return {None: (row["masters"], row["unknown"])}
    rows = facts.filter(counts=True).values("university_id").annotate(**counts).order_by("university_id")
    return {row["university_id"]: (row["masters"], row["unknown"]) for row in rows}


def _entrants_from_masters(fiscal_year: int) -> dict[int, int]:
    rows = (
        EnrolmentStatistic.objects.filter(fiscal_year=fiscal_year)
        .values("university_id")
        .annotate(n=Sum("entrants_from_masters"))
        .order_by("university_id")
    )
    return {row["university_id"]: row["n"] or 0 for row in rows}


@dataclass(frozen=True)
class MastersEntrants:
    """Supported entrants from a master's course against the reported entrants from one
    (counted / enrolled of `share`), and the supported entrants whose route is not recorded
    (they may have come from a master's course: the share is at least `share.coverage`)."""

    share: CoverageRow
    route_unknown: int


def masters_entrants_supported(*, fiscal_year: int) -> tuple[MastersEntrants, list[MastersEntrants]]:
    """(national, by university): counted entrants of the year whose entry route is a master's
    course / the entrants from a master's course the universities reported. Three queries."""
    reported = _entrants_from_masters(fiscal_year)
    national_masters, national_unknown = _supported_entrants(fiscal_year, national=True)[None]
    national = MastersEntrants(CoverageRow(None, national_masters, sum(reported.values())), national_unknown)
    by_university = _supported_entrants(fiscal_year, national=False)
    rows = _rows({key: masters for key, (masters, _unknown) in by_university.items()}, reported)
    return national, [MastersEntrants(row, by_university.get(row.key, (0, 0))[1]) for row in rows]


# --- The product's own figures beside the reported ones ---------------------------------------


@dataclass(frozen=True)
class OwnFigures:
    """What the product's own student records say for a university, fiscal year and field."""

    field: str
    enrolled: int  # records enrolled on 1 May
    entrants: int  # records entering in the fiscal year
    entrants_from_masters: int  # of which recorded as entering from a master's course
    completions_within_term: int  # completed in the year, within the standard term


def own_figures(*, university_id: int, fiscal_year: int) -> dict[str, OwnFigures]:
    """Counted from the university's student records (usually its supported students only, so at
    most the reported figures: a record count above a reported figure is a discrepancy)."""
    may_first = date(fiscal_year, 5, 1)
    start, end = date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)
    students = Student.objects.filter(university_id=university_id)
    enrolled_on_may_first = Q(entry_date__lte=may_first) & (
        Q(completion_date__isnull=True) | Q(completion_date__gte=may_first)
    )
    rows = students.values("field").annotate(
        enrolled=Count("pk", filter=enrolled_on_may_first),
        entrants=Count("pk", filter=Q(entry_date__gte=start, entry_date__lte=end)),
        masters=Count(
            "pk",
            filter=Q(entry_date__gte=start, entry_date__lte=end, entry_route=Student.EntryRoute.MASTERS),
        ),
    )
    figures: dict[str, dict[str, int]] = defaultdict(
        lambda: {"enrolled": 0, "entrants": 0, "masters": 0, "completions": 0}
    )
    for row in rows:
        for key in ("enrolled", "entrants", "masters"):
            figures[row["field"]][key] = row[key]
    completed = students.filter(
        status=Student.Status.COMPLETED, completion_date__gte=start, completion_date__lte=end
    ).values_list("field", "entry_date", "standard_term_years", "completion_date")
    for field_code, entry, term, completion in completed:
        # within the standard term: completed before the day `term` years after entry
        try:
            limit = entry.replace(year=entry.year + term)
        except ValueError:  # 29 February
            limit = date(entry.year + term, 3, 1)
        if completion < limit:
            figures[field_code]["completions"] += 1
    return {
        code: OwnFigures(code, f["enrolled"], f["entrants"], f["masters"], f["completions"])
        for code, f in figures.items()
        if f["enrolled"] or f["entrants"] or f["completions"]
    }
