"""Pure calculations of the domain (DOMAIN.md), with no database, clock or settings.

Months are whole numbers (`month_index`: year × 12 + month − 1) so that periods can be
compared and counted cheaply; `month_start` turns one back into a date. Every function
takes the dates it evaluates as arguments.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

Month = int


class cached_property:  # a drop-in for functools.cached_property
    """functools.cached_property without the lock Python 3.11 takes on every first access (3.12
    dropped it: python/cpython#87634): computed once per instance, then read from its __dict__.
    A rebuild computes several for each of hundreds of thousands of awards; the rules objects
    are built and read by one thread."""

    def __init__(self, func):
        self.func = func
        self.attrname = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner, name):
        self.attrname = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.attrname] = self.func(instance)
        return value


DOCTORAL = "doctoral"
POSTDOCTORAL = "postdoctoral"
REIWA_OFFSET = 2018  # FY = 2018 + 令和 year (DOMAIN.md: Fiscal year)


class RuleViolation(Exception):
    """A write that breaks a rule of DOMAIN.md; `field` names the input at fault."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code


# Error messages live next to the rules so tests can assert their exact text.
END_BEFORE_START = _("終了日が開始日より前です。")
TERM_EXCEEDED = _("終了日が支援期間（{term}年{extra}）を超えています。最長 {max_end} まで。")
EXCLUSIVE_OVERLAP = _("{other} と同じ月に重複して受給できません（{month}）。")
SUSPENSION_OUTSIDE_AWARD = _("休止の開始日が支援期間（{start}〜{end}）の外です。")
NO_RULE_AMOUNT = _("{day} には {program} の支給額ルールがありません。生活費相当額を入力してください。")
POSTDOC_FOR_STUDENT = _("{program} は博士号取得者向けの事業です。在籍中の博士課程学生には登録できません。")


# --- Fiscal years and months -------------------------------------------------------------


def fiscal_year(day: date) -> int:
    """Fiscal year of a date: April 1 to March 31 (DOMAIN.md: Fiscal year)."""
    return day.year if day.month >= 4 else day.year - 1


def reiwa_year(fy: int) -> int:
    """令和 year of a fiscal year: FY2025 = 令和7年度 (FY = 2018 + 令和 year)."""
    return fy - REIWA_OFFSET


HEISEI_OFFSET = 1988  # FY1989 = 平成元年度 … FY2018 = 平成30年度 (令和 began on 1 May 2019, in FY2019)


def _era(fy: int) -> tuple[str, str, int] | None:
    """(Japanese era, its initial, year) of a fiscal year; None before 平成. A fiscal year is
    named by the era in force when it ends: FY2018 (April 2018 – March 2019) is 平成30年度."""
    if fy > REIWA_OFFSET:
        return "令和", "R", fy - REIWA_OFFSET
    if fy > HEISEI_OFFSET:
        return "平成", "H", fy - HEISEI_OFFSET
    return None


def fiscal_year_label_ja(fy: int) -> str:
    """'令和7年度' for FY2025; '令和元年度' for FY2019; '平成30年度' for FY2018 (the indicator's
    cohorts reach back there: there is no 令和0年度)."""
    era = _era(fy)
    if era is None:
        return f"{fy}年度"
    name, _initial, year = era
    return f"{name}{'元' if year == 1 else year}年度"


def fiscal_year_label(fy: int) -> str:
    """'FY2025 (R7)' for FY2025, 'FY2018 (H30)' for FY2018."""
    era = _era(fy)
    return f"FY{fy}" if era is None else f"FY{fy} ({era[1]}{era[2]})"


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def month_index(day: date) -> Month:
    return day.year * 12 + day.month - 1


def month_start(month: Month) -> date:
    return date(month // 12, month % 12 + 1, 1)


def month_end(month: Month) -> date:
    year, mon = month // 12, month % 12 + 1
    return date(year, mon, calendar.monthrange(year, mon)[1])


def fiscal_year_months(fy: int) -> range:
    """The twelve months of a fiscal year, April to March."""
    first = fy * 12 + 3
    return range(first, first + 12)


def months_in_period(start: date, end: date) -> int:
    """Calendar months in a period; a month only partly inside counts whole (DOMAIN.md: Months)."""
    if end < start:
        return 0
    return month_index(end) - month_index(start) + 1


def period_months(start: date, end: date) -> range:
    return range(month_index(start), month_index(end) + 1)


def months_fully_within(start: date, end: date | None, *, until: date | None = None) -> set[Month]:
    """Months lying entirely within [start, end]; an open end runs to `until` (inclusive)."""
    last = end if end is not None else until
    if last is None or last < start:
        return set()
    first_full = month_index(start) if start.day == 1 else month_index(start) + 1
    last_full = month_index(last) if last == month_end(month_index(last)) else month_index(last) - 1
    return set(range(first_full, last_full + 1))


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day."""
    index = month_index(day) + months
    year, mon = index // 12, index % 12 + 1
    return date(year, mon, min(day.day, calendar.monthrange(year, mon)[1]))


# --- Yen ----------------------------------------------------------------------------------


def monthly_amount(annual_yen: int, months: int) -> int:
    """Annual amount × months / 12, truncated below ¥1 (DOMAIN.md: Monthly amount)."""
    return annual_yen * months // 12


@dataclass(frozen=True)
class RateVersion:
    """An annual amount in force from `effective_from` until the next version."""

    effective_from: date
    annual_yen: int


def rate_in_force(versions: Sequence[RateVersion], day: date) -> int | None:
    """The annual amount of the latest version whose effective date is on or before `day`."""
    current = None
    for version in sorted(versions, key=lambda v: v.effective_from):
        if version.effective_from <= day:
            current = version.annual_yen
    return current


def amount_for_period(versions: Sequence[RateVersion], start: date, end: date, *, skip: Iterable[Month] = ()) -> int:
    """Amount paid over [start, end] at annual rates that change by effective date.

    DOMAIN.md (Versions, Yen): each month at the version in force on its first day, the
    pieces summed, and the total truncated below ¥1 once, at the end. A month before the
    first version pays nothing. `skip` removes months (suspensions).
    """
    skipped = set(skip)
    twelfths = 0
    for month in period_months(start, end):
        if month in skipped:
            continue
        annual = rate_in_force(versions, month_start(month))
        if annual is not None:
            twelfths += annual
    return twelfths // 12


# --- Awards, rates and counting -----------------------------------------------------------


@dataclass(frozen=True)
class Suspension:
    start: date
    end: date | None  # open: still suspended


@dataclass(frozen=True)
class Enrolment:
    """One record's time in the doctoral course: from `entry` to `leaving` (None: still enrolled)."""

    entry: date
    leaving: date | None = None

    def includes(self, month: Month) -> bool:
        """DOMAIN.md (Enrolment): "from the month of `entry_date` to the month of completion or
        withdrawal"."""
        first, last = self.months
        return first <= month and (last is None or month <= last)

    @cached_property
    def months(self) -> tuple[Month, Month | None]:
        """(first, last) enrolled month; None: still enrolled."""
        return month_index(self.entry), None if self.leaving is None else month_index(self.leaving)


def enrolled_months(enrolments: Sequence[Enrolment] | None, months: Iterable[Month]) -> list[Month]:
    """The months (of `months`) in which the person is enrolled in the doctoral course at any of
    their records; None means no enrolment limit (rule tests that are not about enrolment)."""
    if enrolments is None:
        return list(months)
    if len(enrolments) == 1 and isinstance(months, range) and months.step == 1:
        # One record (most people): the months between entry and leaving, without a test per month.
        first, last = enrolments[0].months
        return list(range(max(first, months.start), months.stop if last is None else min(last + 1, months.stop)))
    bounds = [e.months for e in enrolments]
    return [m for m in months if any(first <= m and (last is None or m <= last) for first, last in bounds)]


@dataclass(frozen=True)
class AwardTerms:
    """What the rules need of one award (fetched from the database by students.facts).

    `annual_living_cost` is the base amount: in force from the start until the first dated
    amount change in `amount_changes` (DOMAIN.md: Amounts in force).
    """

    award_id: int
    program: str
    audience: str
    annual_living_cost: int
    start: date
    end: date
    suspensions: tuple[Suspension, ...] = ()
    is_exclusive: bool = False
    amount_changes: tuple[RateVersion, ...] = ()

    def annual_amount(self, month: Month) -> int:
        """DOMAIN.md (Amounts in force): "Each month is paid at the amount in force on its first
        day"; the base amount holds until the first change."""
        if not self.amount_changes:
            return self.annual_living_cost
        return _amount_at(self.annual_living_cost, self.amount_changes, month_start(month))

    @cached_property
    def pays_living_cost(self) -> bool:
        return self.annual_living_cost > 0 or any(c.annual_yen > 0 for c in self.amount_changes)

    def suspended_months(self) -> set[Month]:
        """Award months that fall entirely within a suspension (DOMAIN.md: Living-cost rate: "an
        open suspension (no end date yet) runs on, past the award's end")."""
        return set(self._suspended)

    @cached_property
    def _suspended(self) -> frozenset[Month]:
        if not self.suspensions:
            return frozenset()
        months: set[Month] = set()
        own = self.held_months()
        if not own:
            return frozenset()
        for suspension in self.suspensions:
            months |= months_fully_within(suspension.start, suspension.end, until=month_end(own[-1]))
        return frozenset(months & set(own))

    def held_months(self) -> range:
        """Calendar months the award touches, suspended ones included (a suspended award is still
        held: DOMAIN.md Exclusive programs)."""
        return period_months(self.start, self.end)

    @cached_property
    def _active(self) -> frozenset[Month]:
        # Computed once per award: counting asks for it for every fiscal year and month.
        return frozenset(set(self.held_months()) - self._suspended)

    def active_months(self) -> frozenset[Month]:
        return self._active

    @cached_property
    def amounts(self) -> dict[Month, int]:
        """The annual amount in force in each active month (`annual_amount`), computed once: a
        rebuild asks for it for every fiscal year and every what-if band."""
        if not self.amount_changes:
            return dict.fromkeys(sorted(self._active), self.annual_living_cost)
        return {month: self.annual_amount(month) for month in sorted(self._active)}


def _amount_at(base: int, changes: Sequence[RateVersion], day: date) -> int:
    current = base
    for change in sorted(changes, key=lambda c: c.effective_from):
        if change.effective_from <= day:
            current = change.annual_yen
    return current


@dataclass(frozen=True)
class FloorVersion:
    effective_from: date
    annual_yen: int


def floor_in_force(floors: Sequence[FloorVersion], month: Month) -> int | None:
    """The floor in force on the month's first day (None before the first floor)."""
    return _floor_at(tuple(floors), month)


@lru_cache(maxsize=256)
def _fiscal_year_floors(floors: tuple[FloorVersion, ...], fy: int) -> dict[Month, int | None]:
    """`floor_in_force` for each month of a fiscal year (the floors hashed once per year, not per month)."""
    return {month: _floor_at(floors, month) for month in fiscal_year_months(fy)}


@lru_cache(maxsize=4096)
def _floor_at(floors: tuple[FloorVersion, ...], month: Month) -> int | None:
    return rate_in_force([RateVersion(f.effective_from, f.annual_yen) for f in floors], month_start(month))


def living_cost_rates(awards: Iterable[AwardTerms]) -> dict[Month, int]:
    """Living-cost rate per month: "the sum of the annual living-cost amounts in force that month
    of that student's awards active in that month" (DOMAIN.md).

    Research cost, career-development cost and KAKENHI never count, and the programs' audience
    is doctoral students, so postdoctoral awards add nothing.
    """
    rates: dict[Month, int] = {}
    for award in awards:
        if award.audience != DOCTORAL:
            continue
        if not rates:  # the first award's amounts are the rates so far (most students have one)
            rates.update(award.amounts)
            continue
        for month, annual in award.amounts.items():
            rates[month] = rates.get(month, 0) + annual
    return rates


@dataclass(frozen=True)
class FloorBand:
    """For every what-if floor X with `above` < X ≤ `up_to`, the student counts and is attributed
    to `program` (the attribution only changes where X passes a monthly rate)."""

    above: int
    up_to: int
    program: str


@dataclass(frozen=True)
class YearOutcome:
    """One student's (or person's) standing in one fiscal year."""

    fiscal_year: int
    peak_rate: int  # highest living-cost rate over the enrolled months of the year
    counts: bool
    program: str | None  # attributed program when `counts`
    qualifying_months: int
    bands: tuple[FloorBand, ...] = ()


def attributed_program(
    awards: Sequence[AwardTerms], qualifying: Iterable[Month], enrolled: Sequence[Month]
) -> str | None:
    """DOMAIN.md (Program breakdown): "among the awards active in at least one month where the
    rate reached the floor, the one paying the largest living-cost amount within that FY (its
    monthly amounts over its active enrolled months of the FY); ties: the award that started
    first, then the lower id". `qualifying` are enrolled months (a subset of `enrolled`)."""
    reached = set(qualifying)
    doctoral = [a for a in awards if a.audience == DOCTORAL]
    return next(
        (award.program for *_key, months, award in _ranking(doctoral, enrolled) if not reached.isdisjoint(months)), None
    )


def _ranking(
    doctoral: Sequence[AwardTerms], enrolled: Sequence[Month]
) -> list[tuple[int, date, int, list[Month], AwardTerms]]:
    """The awards active in an enrolled month, in the order of attribution: the largest amount
    within the FY first (monthly amounts are annual / 12, so sums of annual amounts compare the
    amounts exactly), then the earlier start, then the lower id; with their active enrolled months."""
    ranked = []
    for award in doctoral:
        amounts = award.amounts
        months = [m for m in enrolled if m in amounts]
        if months:
            ranked.append((-sum(amounts[m] for m in months), award.start, award.award_id, months, award))
    ranked.sort(key=lambda r: r[:3])
    return ranked


def year_outcome(
    awards: Sequence[AwardTerms],
    fy: int,
    floors: Sequence[FloorVersion],
    enrolments: Sequence[Enrolment] | None = None,
) -> YearOutcome:
    """Whether a student counts toward the target in FY `fy`, and which program gets them.

    DOMAIN.md (Counted toward the target): "a doctoral student ... whose living-cost rate reaches
    the floor in force in at least one enrolled month of FY y"; attribution by
    `attributed_program`. The bands answer "What-if floor X (X ≥ ¥1): the same definition with X
    in place of the floor in force, attribution included".
    """
    return year_outcomes(awards, [fy], floors, enrolments)[fy]


def year_outcomes(
    awards: Sequence[AwardTerms],
    fiscal_years: Iterable[int],
    floors: Sequence[FloorVersion],
    enrolments: Sequence[Enrolment] | None = None,
) -> dict[int, YearOutcome]:
    """`year_outcome` for several fiscal years of one student (or person), the monthly rates
    computed once for all of them."""
    doctoral = [a for a in awards if a.audience == DOCTORAL]
    all_rates = living_cost_rates(doctoral)
    # Each year looks only at the awards held in it (an award active in no month of a year
    # cannot be attributed there), in their given order.
    held_in: dict[int, list[AwardTerms]] = {}
    for award in doctoral:
        for fy in range(fiscal_year(award.start), fiscal_year(award.end) + 1):
            held_in.setdefault(fy, []).append(award)
    floors = tuple(floors)
    return {fy: _year_outcome(held_in.get(fy, []), all_rates, fy, floors, enrolments) for fy in fiscal_years}


def _year_outcome(
    doctoral: Sequence[AwardTerms],
    all_rates: dict[Month, int],
    fy: int,
    floors: tuple[FloorVersion, ...],
    enrolments: Sequence[Enrolment] | None,
) -> YearOutcome:
    enrolled = enrolled_months(enrolments, fiscal_year_months(fy))
    rates = {m: all_rates.get(m, 0) for m in enrolled}
    peak = max(rates.values(), default=0)
    floor_of = _fiscal_year_floors(floors, fy)
    qualifying = [m for m in enrolled if (floor := floor_of[m]) is not None and rates[m] >= floor]
    # `attributed_program` for every what-if floor at once: the ranking does not depend on the
    # floor, which only decides the candidates ("active in at least one month where the rate
    # reached the floor"): for a floor X, the awards whose highest rate over those months reaches X.
    ranked = [
        (max(rates[m] for m in months), months, award.program) for *_key, months, award in _ranking(doctoral, enrolled)
    ]
    bands: list[FloorBand] = []
    below = 0
    for level in sorted({r for r in rates.values() if r > 0}):
        program = next((program for highest, _months, program in ranked if highest >= level), "")
        if bands and bands[-1].program == program:
            bands[-1] = FloorBand(bands[-1].above, level, program)
        else:
            bands.append(FloorBand(below, level, program))
        below = level
    if not qualifying:
        return YearOutcome(fy, peak, False, None, 0, tuple(bands))
    reached = set(qualifying)
    chosen = next(program for _highest, months, program in ranked if not reached.isdisjoint(months))
    return YearOutcome(fy, peak, True, chosen, len(qualifying), tuple(bands))


def what_if(outcome: YearOutcome, floor: int) -> str | None:
    """The program a student counts for under a what-if floor (None: not counted)."""
    return next((b.program for b in outcome.bands if b.above < floor <= b.up_to), None)


def concurrent_pairs(awards: Sequence[AwardTerms], fy: int) -> set[tuple[str, str]]:
    """Pairs of programs paying living cost to one student in the same month of FY `fy`.

    The Ministry of Finance (May 2022) asked to see who receives several supports at once.
    """
    # Only awards held in the year can share a month of it (most students hold one award a year).
    paying = [a for a in awards if fiscal_year(a.start) <= fy <= fiscal_year(a.end) and a.pays_living_cost]
    if len(paying) < 2:
        return set()
    months = set(fiscal_year_months(fy))
    pairs: set[tuple[str, str]] = set()
    for i, first in enumerate(paying):
        first_months = first.active_months() & months
        for second in paying[i + 1 :]:
            if first_months & second.active_months():
                pairs.add(tuple(sorted((first.program, second.program))))  # type: ignore[arg-type]
    return pairs


def fiscal_years_touched(awards: Iterable[AwardTerms]) -> set[int]:
    years: set[int] = set()
    for award in awards:
        years.update(range(fiscal_year(award.start), fiscal_year(award.end) + 1))
    return years


def award_twelfths(award: AwardTerms, months: Iterable[Month]) -> int:
    """Twelve times what the award pays over `months` (active months only), not yet truncated:
    DOMAIN.md (Monthly amount) "A period's amount is the sum of its months' amounts, truncated
    below ¥1 once, at the end (never per piece, never per fiscal year and then summed)"."""
    active = award.active_months()
    return sum(award.annual_amount(m) for m in months if m in active)


def yen(twelfths: int) -> int:
    """Truncate a sum of twelfths below ¥1, once, at the end (DOMAIN.md: Yen)."""
    return twelfths // 12


# --- Validation ---------------------------------------------------------------------------


def check_dates(start: date, end: date) -> None:
    if end < start:
        raise RuleViolation(END_BEFORE_START, field="end_date", code="end_before_start")


def period_end(start: date, months: int) -> date:
    """Last day of a period of `months` calendar months counted from `start`.

    DOMAIN.md (Term limits): "the term ends on the day before the same date N years after the
    start; where that month has no such day, on the month's last day (Civil Code art. 143:
    2024-02-29 + 3 years ends 2027-02-28)".
    """
    index = month_index(start) + months
    year, mon = index // 12, index % 12 + 1
    last_day = calendar.monthrange(year, mon)[1]
    if start.day > last_day:
        return date(year, mon, last_day)
    return date(year, mon, start.day) - timedelta(days=1)


def latest_end(start: date, term_years: int, suspended_months: int) -> date:
    """Last day an award may run: the term from its start, pushed out by suspended months
    (DOMAIN.md: Term limits)."""
    return period_end(start, term_years * 12 + suspended_months)


def term_suspended_months(start: date, end: date, suspensions: Iterable[Suspension]) -> int:
    """Months that extend the term: DOMAIN.md (Term limits) "Suspension extends it by the number
    of months wholly within a suspension that lie inside the award", the award taken as it will
    be (`start`, `end`), never as it was.

    An open suspension "runs on, past the award's end" (DOMAIN.md Living-cost rate), so it covers
    every month of the award as it will be from its first whole month on: moving the end later
    adds as many suspended months as months, and the limit moves with it. Every later end is a
    fixed point of `check_term` with these months; none of those months pays, so the paid months
    stay within the term. The bound returns when the suspension ends: the services check a
    resumption against the term of the award as it will be."""
    inside = set(period_months(start, end))
    months: set[Month] = set()
    for suspension in suspensions:
        months |= months_fully_within(suspension.start, suspension.end, until=month_end(max(inside, default=0)))
    return len(months & inside)


def check_suspensions_inside(start: date, end: date, suspensions: Iterable[Suspension]) -> None:
    """DOMAIN.md (Term limits): "a suspension may not start before the award or after its end"."""
    for suspension in suspensions:
        if not start <= suspension.start <= end:
            raise RuleViolation(
                format_lazy(SUSPENSION_OUTSIDE_AWARD, start=start.isoformat(), end=end.isoformat()),
                field="start_date",
                code="suspension_outside",
            )


def check_term(*, start: date, end: date, term_years: int | None, suspended_months: int = 0) -> None:
    """DOMAIN.md (Term limits): "an award may not run past the program's term ... Suspension
    extends it by the number of months wholly within a suspension that lie inside the award";
    callers pass `suspended_months` from `term_suspended_months` for the award as it will be."""
    if term_years is None:
        return
    limit = latest_end(start, term_years, suspended_months)
    if end > limit:
        extra = format_lazy(_("＋休止{months}か月"), months=suspended_months) if suspended_months else ""
        raise RuleViolation(
            format_lazy(TERM_EXCEEDED, term=term_years, extra=extra, max_end=limit.isoformat()),
            field="end_date",
            code="term_exceeded",
        )


def exclusive_conflict(candidate: AwardTerms, others: Iterable[AwardTerms]) -> tuple[AwardTerms, Month] | None:
    """First other exclusive award held in a calendar month the candidate holds, with that month.

    DOMAIN.md (Exclusive programs): "one person (every record sharing an e-Rad number) may not
    hold two of them in the same calendar month, suspended months included (a suspended award is
    still held)". `others` are the awards of every record of the person. None: no conflict."""
    if not candidate.is_exclusive:
        return None
    mine: frozenset[Month] | None = None  # computed only when another exclusive award is there
    for other in others:
        if other.award_id == candidate.award_id or not other.is_exclusive:
            continue
        # Calendar months, not days: a hand-over on 10 and 20 June shares June.
        if month_index(other.end) < month_index(candidate.start) or month_index(other.start) > month_index(
            candidate.end
        ):
            continue
        mine = frozenset(candidate.held_months()) if mine is None else mine
        shared = mine.intersection(other.held_months())
        if shared:
            return other, min(shared)
    return None


def check_exclusive(candidate: AwardTerms, others: Iterable[AwardTerms]) -> None:
    conflict = exclusive_conflict(candidate, others)
    if conflict:
        other, month = conflict
        raise RuleViolation(
            format_lazy(EXCLUSIVE_OVERLAP, other=other.program, month=month_start(month).strftime("%Y-%m")),
            field="program",
            code="exclusive_overlap",
        )


def check_audience(*, program: str, audience: str, student_is_enrolled: bool) -> None:
    if audience == POSTDOCTORAL and student_is_enrolled:
        raise RuleViolation(
            format_lazy(POSTDOC_FOR_STUDENT, program=program), field="program", code="postdoc_for_student"
        )


@dataclass(frozen=True)
class Breakdown:
    total: int
    by_program: dict[str, int] = field(default_factory=dict)


def national_breakdown(outcomes: Iterable[YearOutcome]) -> Breakdown:
    """Count persons that count and attribute each to exactly one program."""
    by_program: dict[str, int] = {}
    total = 0
    for outcome in outcomes:
        if outcome.counts and outcome.program is not None:
            total += 1
            by_program[outcome.program] = by_program.get(outcome.program, 0) + 1
    return Breakdown(total, by_program)
