"""Pure calculations for reported enrolment statistics (DOMAIN.md: "Enrolment statistics and the
doctoral-degree indicator"), with no database, clock or settings (messages are lazy translations,
as in programs.rules).

Ratios are exact fractions; only the standard deviation (a square root) and what follows it are
floats. Universities are named by any hashable key (their ids in practice).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

WINDOW_YEARS = 3
STANDARD_TERMS = (3, 4, 5)
CENTRE = 50
SPREAD = 10

# Coverage (DOMAIN.md: Coverage): the Basic Plan's aim and the FY2018 baseline.
COVERAGE_TARGET = Fraction(30, 100)
COVERAGE_BASELINE_FY2018 = Fraction(101, 1000)
# The Basic Plan's aim for those entering from a master's course (DOMAIN.md: "about 70%").
MASTERS_ENTRANTS_TARGET = Fraction(70, 100)

# (position within the top X% of the group, allocation rate %), from the seed's table:
# 上位10%以上 125%, 20% 120%, 30% 115%, 40% 110%, 45% 105%, 50% 100%, 60% 95%, 70% 90%,
# 80% 85%, 90% 80%, 90%未満 75%.
BANDS: tuple[tuple[int, int], ...] = (
    (10, 125),
    (20, 120),
    (30, 115),
    (40, 110),
    (45, 105),
    (50, 100),
    (60, 95),
    (70, 90),
    (80, 85),
    (90, 80),
)
LOWEST_RATE = 75
DESIGNATED_GROUP = 4
# Designated national universities (指定国立大学, group ④): 70%–130% instead of 75%–125%. The seed
# (003_eb43dd8568f2312c.txt) says this, and only this, in three places:
#   line 11:  "配分対象経費及び配分率については、令和4年度、5年度予算と同額・同率の1,000億円・
#              75%～125%（指定国立大学については70%～130%）に設定している。"
#   line 90:  "※指定国立大学については 70%～130%で設定"  (the note under the band table)
#   line 967: "(指定国立大学は70%～130%)"
# It gives no table of steps for them: only the two ends are the seed's (the top band 130%, the
# rest 70%). The steps between are the product's reading (see `allocation_rate`) and the pages
# say so (DESIGNATED_STEPS_ARE_OURS).
DESIGNATED_TOP_RATE, DESIGNATED_LOWEST_RATE = 130, 70
DESIGNATED_STRETCH = Fraction(DESIGNATED_TOP_RATE - 100, BANDS[0][1] - 100)  # 30/25
# Indicators equal to this many decimals share a rank (float noise is not a difference).
TIE_DECIMALS = 9

Key = Hashable


# --- Windows and cohorts ------------------------------------------------------------------


def window_years(first_year: int) -> tuple[int, ...]:
    """The three fiscal years of a window, e.g. R2–R4 = FY2020, FY2021, FY2022."""
    return tuple(range(first_year, first_year + WINDOW_YEARS))


def cohort_year(completion_year: int, standard_term_years: int) -> int:
    """The entry year of the cohort that completes within its standard term in `completion_year`.

    DOMAIN.md: "standard term 3 years: the capacities of the three entry years three years earlier;
    4 years: four earlier; 5: five". The years are counted back from the end of the fiscal year in
    which the degree is conferred, as the seed spells out for the R2–R4 window: 3 years → H30–R2
    (FY2018–FY2020), 4 years → H29–R1 (FY2017–FY2019), 5 years → H28–H30 (FY2016–FY2018). A
    student entering in April 2018 on a 3-year course completes in March 2021, i.e. in FY2020.
    """
    if standard_term_years not in STANDARD_TERMS:
        raise ValueError(f"standard term must be one of {STANDARD_TERMS}")
    return completion_year - standard_term_years + 1


def cohort_years(first_year: int, standard_term_years: int) -> tuple[int, ...]:
    """The three entry years that could graduate in the window starting at `first_year`."""
    return tuple(cohort_year(year, standard_term_years) for year in window_years(first_year))


# --- Plain statistics ---------------------------------------------------------------------


def _scored(values: Mapping[Key, Fraction | int | float]) -> tuple[dict[Key, float], float, float]:
    """(deviation score of each value, mean, population standard deviation), in one pass of exact
    arithmetic: the mean and variance are fractions; only the square root is a float."""
    if not values:
        return {}, 0.0, 0.0
    exact = {key: Fraction(value) for key, value in values.items()}
    mean = sum(exact.values(), Fraction(0)) / len(exact)
    variance = sum(((x - mean) ** 2 for x in exact.values()), Fraction(0)) / len(exact)
    if variance == 0:
        return dict.fromkeys(exact, float(CENTRE)), float(mean), 0.0
    sd = math.sqrt(variance)
    return {key: CENTRE + SPREAD * float(x - mean) / sd for key, x in exact.items()}, float(mean), sd


def deviation_scores(values: Mapping[Key, Fraction | int | float]) -> dict[Key, float]:
    """偏差値 of each value among all of them: 50 + 10 × (x − mean) / standard deviation.

    DOMAIN.md: "population standard deviation; a field with one university, or no spread,
    scores 50". The mean and variance are exact; only the square root is a float.
    """
    return _scored(values)[0]


def mean_and_sd(values: Iterable[Fraction]) -> tuple[float, float]:
    """(mean, population standard deviation), for showing how a score was reached."""
    _scores, mean, sd = _scored(dict(enumerate(values)))
    return mean, sd


def weighted_mean(pairs: Iterable[tuple[float, int]]) -> float | None:
    """Σ score × weight / Σ weight; None when there is no weight at all."""
    pairs = [(score, weight) for score, weight in pairs if weight > 0]
    total = sum(weight for _score, weight in pairs)
    if total == 0:
        return None
    return sum(score * weight for score, weight in pairs) / total


def share(part: int, whole: int) -> Fraction | None:
    """part / whole as an exact fraction; None when the whole is zero."""
    return Fraction(part, whole) if whole else None


def coverage(counted: int, enrolled: int) -> Fraction | None:
    """DOMAIN.md: "Coverage = counted students / enrolled doctoral students"; None when nobody
    is enrolled (a university or field that reported no students)."""
    return share(counted, enrolled)


# --- The doctoral-degree indicator (博士号授与の状況) ---------------------------------------


@dataclass(frozen=True)
class StatisticRow:
    """One reported row: a university's figures for one fiscal year and field."""

    university: Key
    field: str
    fiscal_year: int
    admission_capacity: int
    entrants: int
    degrees_conferred: int
    completions_within_term: int
    standard_term_years: int


@dataclass(frozen=True)
class UniversityInfo:
    group: int | None  # ①–⑥ (1–6); None: not in a group, not ranked
    designated: bool = False


@dataclass(frozen=True)
class RatioScore:
    """One ratio of one field at one university, with what it was compared against."""

    raw: Fraction  # before the cap
    value: Fraction  # what enters the deviation score
    weight: int  # capacity (ratio 1) or entrants (ratio 2) of the cohorts
    field_mean: float
    field_sd: float
    peers: int  # universities having the field
    score: float


@dataclass(frozen=True)
class FieldFigures:
    """Sums over the window for one university and field, and the two ratios' scores."""

    university: Key
    field: str
    degrees: int
    completions: int
    capacity: int
    entrants: int
    cohort_years: tuple[int, ...]
    missing_years: tuple[int, ...] = ()  # window or cohort years with no reported row
    degree_ratio: RatioScore | None = None
    completion_ratio: RatioScore | None = None

    @property
    def complete(self) -> bool:
        return not self.missing_years


@dataclass(frozen=True)
class UniversityIndicator:
    university: Key
    group: int | None
    designated: bool
    degree_score: float | None  # ratio-1 scores weighted by capacity
    completion_score: float | None  # ratio-2 scores weighted by entrants
    indicator: float | None  # plain mean of the two
    rank: int | None = None
    group_size: int = 0
    rate: int | None = None  # allocation rate, %
    fields: tuple[FieldFigures, ...] = ()


def field_figures(rows: Iterable[StatisticRow], first_year: int) -> list[FieldFigures]:
    """Per university and field: degrees and on-time completions over the window, and the
    capacity and entrants of the cohorts that could graduate in it.

    Each window year's cohort follows that year's reported standard term (`cohort_year`), so a
    field whose term changed still pairs each year's degrees with the right entry year. A
    university and field with no row in some window or cohort year is listed with those years
    missing and left out of the scores (its ratios would be made up).
    """
    by_key: dict[tuple[Key, str], dict[int, StatisticRow]] = defaultdict(dict)
    for row in rows:
        by_key[(row.university, row.field)][row.fiscal_year] = row
    window = window_years(first_year)
    figures = []
    for (university, field), years in by_key.items():
        if not any(year in years for year in window):
            continue  # the field is not taught in the window at all
        missing: list[int] = []
        degrees = completions = capacity = entrants = 0
        cohorts: list[int] = []
        for year in window:
            row = years.get(year)
            if row is None:
                missing.append(year)
                continue
            degrees += row.degrees_conferred
            completions += row.completions_within_term
            entry = cohort_year(year, row.standard_term_years)
            cohorts.append(entry)
            cohort = years.get(entry)
            if cohort is None:
                missing.append(entry)
                continue
            capacity += cohort.admission_capacity
            entrants += cohort.entrants
        figures.append(
            FieldFigures(
                university=university,
                field=field,
                degrees=degrees,
                completions=completions,
                capacity=capacity,
                entrants=entrants,
                cohort_years=tuple(cohorts),
                missing_years=tuple(sorted(set(missing))),
            )
        )
    return sorted(figures, key=lambda f: (str(f.field), str(f.university)))


def degree_ratio(degrees: int, capacity: int) -> Fraction | None:
    """Ratio 1: degrees conferred / admission capacity of the cohorts, capped at 100%."""
    raw = share(degrees, capacity)
    return None if raw is None else min(raw, Fraction(1))


def completion_ratio(completions: int, entrants: int) -> Fraction | None:
    """Ratio 2: completions within the standard term / entrants of the same cohorts (no cap)."""
    return share(completions, entrants)


def _score_field_ratio(
    figures: list[FieldFigures], part: str, whole: str, cap: bool
) -> dict[tuple[Key, str], RatioScore]:
    """Deviation scores of one ratio, field by field, across every university having the field.

    A university whose denominator is 0 has no ratio in that field; it carries no weight in
    the university's average either, so it is left out of the field's comparison.
    """
    scored: dict[tuple[Key, str], RatioScore] = {}
    by_field: dict[str, list[FieldFigures]] = defaultdict(list)
    for figure in figures:
        if figure.complete and getattr(figure, whole) > 0:
            by_field[figure.field].append(figure)
    for field, members in by_field.items():
        raws = {m.university: Fraction(getattr(m, part), getattr(m, whole)) for m in members}
        values = {key: min(raw, Fraction(1)) if cap else raw for key, raw in raws.items()}
        scores, mean, sd = _scored(values)
        for member in members:
            key = member.university
            scored[(key, field)] = RatioScore(
                raw=raws[key],
                value=values[key],
                weight=getattr(member, whole),
                field_mean=mean,
                field_sd=sd,
                peers=len(members),
                score=scores[key],
            )
    return scored


def degree_indicator(
    rows: Iterable[StatisticRow], universities: Mapping[Key, UniversityInfo], first_year: int
) -> list[UniversityIndicator]:
    """The doctoral-degree indicator (博士号授与の状況) of every university in `universities`.

    DOMAIN.md: "per university and field, ratio 1 = degrees conferred / admission capacity of the
    cohorts that could graduate in the window …, capped at 100%; ratio 2 = completions within the
    standard term / entrants of the same cohorts. Each ratio becomes a deviation score within its
    field across all universities that have the field … Per university: ratio-1 scores averaged
    weighted by capacity, ratio-2 scores weighted by entrants, and the indicator is the plain mean
    of the two. Universities are ranked within their group (①–⑥) and given an allocation rate by
    rank."

    The weights are the cohorts' capacity and entrants summed over the window (the ratios'
    denominators). A university with no scorable field for one of the ratios has no indicator and
    is not ranked; the others in its group are ranked among themselves.
    """
    rows = [row for row in rows if row.university in universities]
    figures = field_figures(rows, first_year)
    degree_scores = _score_field_ratio(figures, "degrees", "capacity", cap=True)
    completion_scores = _score_field_ratio(figures, "completions", "entrants", cap=False)
    per_university: dict[Key, list[FieldFigures]] = defaultdict(list)
    for figure in figures:
        key = (figure.university, figure.field)
        per_university[figure.university].append(
            replace(figure, degree_ratio=degree_scores.get(key), completion_ratio=completion_scores.get(key))
        )
    results = []
    for university, fields in per_university.items():
        info = universities[university]
        first = weighted_mean((f.degree_ratio.score, f.degree_ratio.weight) for f in fields if f.degree_ratio)
        second = weighted_mean(
            (f.completion_ratio.score, f.completion_ratio.weight) for f in fields if f.completion_ratio
        )
        value = None if first is None or second is None else (first + second) / 2
        results.append(
            UniversityIndicator(
                university=university,
                group=info.group,
                designated=info.designated,
                degree_score=first,
                completion_score=second,
                indicator=value,
                fields=tuple(fields),
            )
        )
    return rank_and_rate(results)


def rank_and_rate(results: Iterable[UniversityIndicator]) -> list[UniversityIndicator]:
    """Each result with its rank within its group, the group's size and its allocation rate."""
    results = list(results)
    groups: dict[int, list[UniversityIndicator]] = defaultdict(list)
    for result in results:
        if result.group is not None and result.indicator is not None:
            groups[result.group].append(result)
    ranked: dict[Key, UniversityIndicator] = {}
    for group, members in groups.items():
        ranks = competition_ranks({m.university: m.indicator for m in members if m.indicator is not None})
        for member in members:
            rank = ranks[member.university]
            designated = member.designated or group == DESIGNATED_GROUP
            ranked[member.university] = replace(
                member,
                rank=rank,
                group_size=len(members),
                rate=allocation_rate(rank, len(members), designated=designated),
            )
    out = [ranked.get(r.university, r) for r in results]
    return sorted(
        out,
        key=lambda r: (r.group is None, r.group or 0, r.rank is None, r.rank or 0, str(r.university)),
    )


def competition_ranks(values: Mapping[Key, float]) -> dict[Key, int]:
    """Rank 1 for the highest value. Equal values share the better position and the next value
    takes the position after all of them (1, 2, 2, 4): a tie never pushes a university down a
    band, and nobody gains a band from another's tie. Values equal to `TIE_DECIMALS` decimals
    are equal."""
    rounded = {key: round(value, TIE_DECIMALS) for key, value in values.items()}
    ordered = sorted(rounded.values(), reverse=True)
    first_position: dict[float, int] = {}
    for position, value in enumerate(ordered, start=1):
        first_position.setdefault(value, position)
    return {key: first_position[value] for key, value in rounded.items()}


def allocation_rate(rank: int, group_size: int, *, designated: bool = False) -> int:
    """Allocation rate (%) of the rank-th university of a group of `group_size`.

    Seed 003 table: the position from the top as a share of the group, rank / size, placed in
    the first band it falls within: within the top 10% → 125%, 20% → 120%, 30% → 115%,
    40% → 110%, 45% → 105%, 50% → 100%, 60% → 95%, 70% → 90%, 80% → 85%, 90% → 80%, the rest 75%.
    "Within the top X%" includes the edge: 1st of 10 is exactly 10% and gets 125%. A university
    alone in its group has nobody to be compared with (1st of 1 would read as "100%, the rest"):
    it gets 100%, neither raised nor cut (the product's reading; no group has one member today).

    Designated national universities (group ④): the seed says only "※指定国立大学については
    70%～130%で設定" (line 90, see DESIGNATED_TOP_RATE) and calls the table itself approximate
    ("順位に応じて概ね以下のとおりに設定する", line 71); it publishes no steps for them. What is
    the seed's: the top band gets 130% and the rest 70%. What is ours: the same positions with the
    same 11 steps spread over the wider range, each rate's distance from 100% stretched by 30/25
    (130, 124, 118, 112, 106, 100, 94, 88, 82, 76, 70), so 50% still gets 100% and no step is
    skipped. The pages label these steps as an estimate (DESIGNATED_STEPS_ARE_OURS).
    """
    if group_size <= 0 or not 1 <= rank <= group_size:
        raise ValueError("rank must lie within the group")
    if group_size == 1:
        return 100
    rate = LOWEST_RATE
    for top_percent, band_rate in BANDS:
        if rank * 100 <= top_percent * group_size:
            rate = band_rate
            break
    if designated:
        return int(100 + (rate - 100) * DESIGNATED_STRETCH)
    return rate


DESIGNATED_STEPS_ARE_OURS = _(
    "指定国立大学（グループ④）の配分率は、資料では「70%～130%で設定」とだけ示され、段階の表はありません。"
    "上位10%の130%と90%未満の70%以外の段階は、上の表の段階を70%～130%に比例して広げた本システムの推計です。"
)


def band_table() -> list[tuple[int | None, int, int]]:
    """(within the top X% of the group, or None for the rest; rate; designated universities' rate)."""
    rows: list[tuple[int | None, int, int]] = [
        (top, rate, int(100 + (rate - 100) * DESIGNATED_STRETCH)) for top, rate in BANDS
    ]
    rows.append((None, LOWEST_RATE, DESIGNATED_LOWEST_RATE))
    return rows


def what_if_completions(
    rows: Iterable[StatisticRow],
    universities: Mapping[Key, UniversityInfo],
    first_year: int,
    *,
    university: Key,
    field: str,
    extra_completions: int,
) -> list[UniversityIndicator]:
    """The indicator recomputed as if `university` had `extra_completions` more on-time
    completions in `field` in the window's last year (everyone else's figures unchanged: the
    deviation scores move for the whole field)."""
    last = window_years(first_year)[-1]
    changed = [
        replace(row, completions_within_term=row.completions_within_term + extra_completions)
        if (row.university, row.field, row.fiscal_year) == (university, field, last)
        else row
        for row in rows
    ]
    return degree_indicator(changed, universities, first_year)


# --- The employment indicator (卒業・修了者の就職・進学等の状況, doctoral course) -------------


@dataclass(frozen=True)
class CompleterRow:
    """Doctoral completers of a university and field over the three years, and where they went."""

    university: Key
    field: str
    completers: int
    employed: int
    further_study: int


@dataclass(frozen=True)
class EmploymentField:
    """One field of one university: its ratio, and the field's figures it was scored against."""

    field: str
    completers: int
    employed: int
    further_study: int
    ratio: Fraction
    field_mean: float
    field_sd: float
    peers: int
    score: float


@dataclass(frozen=True)
class EmploymentIndicator:
    university: Key
    indicator: float | None
    fields: tuple[EmploymentField, ...]
    rank: int | None = None
    group_size: int = 0

    @property
    def completers(self) -> int:
        return sum(f.completers for f in self.fields)

    @property
    def ratio(self) -> Fraction | None:
        """(employed + further study) / completers over all the university's fields."""
        return share(sum(f.employed + f.further_study for f in self.fields), self.completers)


def employment_indicator(
    rows: Iterable[CompleterRow], groups: Mapping[Key, int | None] | None = None
) -> list[EmploymentIndicator]:
    """DOMAIN.md: "(employed + further study) / completers over three years, per field, as
    deviation scores weighted by completers". Fields with no completers carry no weight and are
    left out of their field's comparison. With `groups`, each university is ranked within its
    group (①–⑥) as for the doctoral-degree indicator (ties share the better position)."""
    by_field: dict[str, dict[Key, CompleterRow]] = defaultdict(dict)
    for row in rows:
        if row.completers > 0:
            by_field[row.field][row.university] = row
    per_university: dict[Key, list[EmploymentField]] = defaultdict(list)
    for field, members in by_field.items():
        ratios = {key: Fraction(r.employed + r.further_study, r.completers) for key, r in members.items()}
        scores, mean, sd = _scored(ratios)
        for key, row in members.items():
            per_university[key].append(
                EmploymentField(
                    field,
                    row.completers,
                    row.employed,
                    row.further_study,
                    ratios[key],
                    mean,
                    sd,
                    len(members),
                    scores[key],
                )
            )
    results = [
        EmploymentIndicator(
            university=key,
            indicator=weighted_mean((f.score, f.completers) for f in fields),
            fields=tuple(sorted(fields, key=lambda f: f.field)),
        )
        for key, fields in per_university.items()
    ]
    if groups is None:
        return sorted(results, key=lambda r: str(r.university))
    by_group: dict[int, dict[Key, float]] = defaultdict(dict)
    for result in results:
        group = groups.get(result.university)
        if group is not None and result.indicator is not None:
            by_group[group][result.university] = result.indicator
    ranks = {
        key: (rank, len(members)) for members in by_group.values() for key, rank in competition_ranks(members).items()
    }
    ranked = [
        replace(result, rank=ranks[result.university][0], group_size=ranks[result.university][1])
        if result.university in ranks
        else result
        for result in results
    ]
    return sorted(
        ranked,
        key=lambda r: (groups.get(r.university) is None, groups.get(r.university) or 0, r.rank or 0, str(r.university)),
    )


# --- Checking a reported row ----------------------------------------------------------------

# Error messages live next to the rules so tests can assert their exact text.
NOT_A_COUNT = _("0以上{max}以下の整数で入力してください。")
REQUIRED = _("必須です。")
UNKNOWN_FIELD = _("不明な学系です: {value}")
BAD_TERM = _("標準修業年限は3・4・5年のいずれかです。")
BAD_YEAR = _("年度は{first}〜{last}の西暦（例: 2024）で入力してください。")
ABOVE_ENTRANTS = _("入学者数（{entrants}人）を超えています。")
COMPLETIONS_ABOVE_DEGREES = _("学位（課程博士）授与数（{degrees}人）を超えています。")
COMPLETIONS_ABOVE_ENROLLED = _("在籍者数（{enrolled}人）を超えています。")
COMPLETIONS_ABOVE_COHORT = _("入学年度（{fy}）の入学者数（{entrants}人）を超えています。")
ENTRANTS_BELOW_COMPLETIONS = _(
    "この入学者が標準修業年限内に修了した{fy}の修了者数（{completions}人）を下回っています。"
)

MAX_COUNT = 100_000  # no university has this many doctoral students in one field; above is a typo
FIRST_YEAR, LAST_YEAR = 2000, 2100
COUNT_FIELDS = (
    "admission_capacity",
    "entrants",
    "entrants_from_masters",
    "entrants_working_adults",
    "entrants_international",
    "enrolled",
    "degrees_conferred",
    "completions_within_term",
)
SUB_COUNTS = ("entrants_from_masters", "entrants_working_adults", "entrants_international")
REQUIRED_FIELDS = ("fiscal_year", "field", *COUNT_FIELDS[:2], *COUNT_FIELDS[5:], "standard_term_years")


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: Any  # lazy text: read in the language of whoever reads it (an upload's stored errors)


def _is_count(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and 0 <= value <= MAX_COUNT


def check_statistic(values: Mapping[str, Any], fields: Iterable[str]) -> list[Problem]:
    """What is wrong with one reported row on its own (every problem, field by field).

    Counts are whole numbers from 0; each "of which" count is at most the entrants; completions
    within the standard term are degree holders, so at most the degrees conferred (a doctoral
    course is completed with the degree: DOMAIN.md counts 課程博士 degrees and completions apart,
    but a completion without the degree does not exist), and at most the enrolled (whoever
    completes in a year was enrolled on 1 May of it).
    """
    problems: list[Problem] = []
    known_fields = set(fields)
    for name in REQUIRED_FIELDS:
        if values.get(name) is None or values.get(name) == "":
            problems.append(Problem(name, "required", REQUIRED))
    year = values.get("fiscal_year")
    if year not in (None, "") and not (isinstance(year, int) and FIRST_YEAR <= year <= LAST_YEAR):
        problems.append(Problem("fiscal_year", "invalid", format_lazy(BAD_YEAR, first=FIRST_YEAR, last=LAST_YEAR)))
    field = values.get("field")
    if field not in (None, "") and field not in known_fields:
        problems.append(Problem("field", "unknown_field", format_lazy(UNKNOWN_FIELD, value=field)))
    term = values.get("standard_term_years")
    if term not in (None, "") and term not in STANDARD_TERMS:
        problems.append(Problem("standard_term_years", "invalid", BAD_TERM))
    counts_ok = True
    for name in COUNT_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        if not _is_count(value):
            counts_ok = False
            problems.append(Problem(name, "invalid", format_lazy(NOT_A_COUNT, max=f"{MAX_COUNT:,}")))
    if not counts_ok:
        return problems
    entrants = values.get("entrants")
    if entrants is not None:
        for name in SUB_COUNTS:
            if (values.get(name) or 0) > entrants:
                problems.append(Problem(name, "above_entrants", format_lazy(ABOVE_ENTRANTS, entrants=entrants)))
    degrees, completions = values.get("degrees_conferred"), values.get("completions_within_term")
    if degrees is not None and completions is not None and completions > degrees:
        problems.append(
            Problem(
                "completions_within_term",
                "above_degrees",
                format_lazy(COMPLETIONS_ABOVE_DEGREES, degrees=degrees),
            )
        )
    enrolled = values.get("enrolled")
    if enrolled is not None and completions is not None and completions > enrolled:
        # whoever completes in a year was enrolled on 1 May of that year
        problems.append(
            Problem(
                "completions_within_term", "above_enrolled", format_lazy(COMPLETIONS_ABOVE_ENROLLED, enrolled=enrolled)
            )
        )
    return problems


@dataclass(frozen=True)
class CohortFigures:
    """What the cross-year check needs of a row: its term, entrants and on-time completions."""

    standard_term_years: int
    entrants: int
    completions_within_term: int


def check_cohorts(
    fiscal_year: int,
    row: CohortFigures,
    others: Mapping[int, CohortFigures],
    label: Callable[[int], str] = str,
) -> list[Problem]:
    """On-time completions in a year cannot exceed the entrants of the cohort they come from
    (`cohort_year`), checked both ways: a row's completions against its cohort's entrants, and a
    row's entrants against the completions of the later year drawn from it. `others` holds the
    same university's and field's other years as they will be (stored rows overlaid by the
    ones being written); a year not reported yet is not checked."""
    problems = []
    cohort = others.get(cohort_year(fiscal_year, row.standard_term_years))
    if cohort is not None and row.completions_within_term > cohort.entrants:
        problems.append(
            Problem(
                "completions_within_term",
                "above_cohort",
                format_lazy(
                    COMPLETIONS_ABOVE_COHORT,
                    fy=label(cohort_year(fiscal_year, row.standard_term_years)),
                    entrants=cohort.entrants,
                ),
            )
        )
    for later_year, later in sorted(others.items()):
        if later_year == fiscal_year or later.standard_term_years not in STANDARD_TERMS:
            continue
        if cohort_year(later_year, later.standard_term_years) == fiscal_year and (
            later.completions_within_term > row.entrants
        ):
            problems.append(
                Problem(
                    "entrants",
                    "below_completions",
                    format_lazy(
                        ENTRANTS_BELOW_COMPLETIONS, fy=label(later_year), completions=later.completions_within_term
                    ),
                )
            )
    return problems
