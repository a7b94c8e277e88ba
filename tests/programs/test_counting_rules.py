"""Issue #11: the counting rules, tables straight from DOMAIN.md (no database)."""

from datetime import date

import pytest

from programs import rules
from programs.rules import AwardTerms, Enrolment, FloorVersion, RateVersion, Suspension

FLOOR = [FloorVersion(date(2021, 4, 1), 1_800_000)]
M = rules.month_index


def award(
    program="SPRING",
    living=1_800_000,
    start=date(2024, 4, 1),
    end=date(2027, 3, 31),
    award_id=1,
    suspensions=(),
    exclusive=True,
    changes=(),
    audience="doctoral",
):
    return AwardTerms(
        award_id=award_id,
        program=program,
        audience=audience,
        annual_living_cost=living,
        start=start,
        end=end,
        suspensions=tuple(suspensions),
        is_exclusive=exclusive,
        amount_changes=tuple(changes),
    )


# --- Term limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "years", "suspended", "last_day"),
    [
        # "2024-02-29 + 3 years ends 2027-02-28" (Civil Code art. 143)
        (date(2024, 2, 29), 3, 0, date(2027, 2, 28)),
        # "the day before the same date N years after the start"
        (date(2024, 4, 1), 2, 0, date(2026, 3, 31)),
        (date(2024, 4, 15), 3, 0, date(2027, 4, 14)),
        (date(2024, 3, 1), 3, 0, date(2027, 2, 28)),
        # six suspended months push the term out by six months
        (date(2024, 4, 1), 3, 6, date(2027, 9, 30)),
        # 2023-08-31 + 3 years 6 months: no 2027-02-31, so the month's last day
        (date(2023, 8, 31), 3, 6, date(2027, 2, 28)),
    ],
)
def test_term_ends_the_day_before_the_same_date_or_the_months_last_day(start, years, suspended, last_day):
    assert rules.latest_end(start, years, suspended) == last_day
    rules.check_term(start=start, end=last_day, term_years=years, suspended_months=suspended)
    with pytest.raises(rules.RuleViolation):
        rules.check_term(
            start=start, end=last_day + rules.timedelta(days=1), term_years=years, suspended_months=suspended
        )


@pytest.mark.parametrize(
    ("start", "end", "suspensions", "months"),
    [
        # wholly within a suspension and inside the award: Jul–Sep
        (date(2024, 4, 1), date(2026, 3, 31), [Suspension(date(2024, 6, 15), date(2024, 9, 30))], 3),
        # the award as it will be starts after the old suspension: nothing lies inside it
        (date(2033, 4, 1), date(2035, 3, 31), [Suspension(date(2024, 6, 1), date(2025, 5, 31))], 0),
        # an open suspension counts only the award's own months (Nov–Mar)
        (date(2024, 4, 1), date(2025, 3, 31), [Suspension(date(2024, 11, 1), None)], 5),
        # a month only partly suspended does not extend the term
        (date(2024, 4, 1), date(2026, 3, 31), [Suspension(date(2024, 6, 2), date(2024, 6, 29))], 0),
    ],
)
def test_suspended_months_that_extend_the_term(start, end, suspensions, months):
    assert rules.term_suspended_months(start, end, suspensions) == months


@pytest.mark.parametrize(
    ("end", "suspension_end", "allowed"),
    [
        # DC2 (2 years) from 2024-04-01, suspended from 2025-04-01 with no end: every month the
        # award as it will be holds after that lies wholly within the open suspension, so each
        # later end extends the term by as much as it adds (a fixed point): always within it.
        (date(2026, 3, 31), None, True),
        (date(2028, 3, 31), None, True),
        (date(2040, 3, 31), None, True),
        # once the suspension has an end, only its months extend the term
        (date(2028, 3, 31), date(2027, 3, 31), True),  # 24 suspended months
        (date(2028, 3, 31), date(2027, 2, 28), False),  # 23: the term ends 2028-02-29
        (date(2028, 2, 29), date(2027, 2, 28), True),
    ],
)
def test_an_open_suspension_extends_the_term_as_far_as_the_award_runs(end, suspension_end, allowed):
    start = date(2024, 4, 1)
    suspensions = [Suspension(date(2025, 4, 1), suspension_end)]
    months = rules.term_suspended_months(start, end, suspensions)
    if allowed:
        rules.check_term(start=start, end=end, term_years=2, suspended_months=months)
    else:
        with pytest.raises(rules.RuleViolation):
            rules.check_term(start=start, end=end, term_years=2, suspended_months=months)
    # whatever the end, the months paid stay within the two years
    paid = award(start=start, end=end, suspensions=suspensions).active_months()
    assert len(paid) == rules.months_in_period(start, end) - months
    if allowed:
        assert len(paid) <= 24


@pytest.mark.parametrize(
    ("suspension_start", "allowed"),
    [(date(2024, 3, 31), False), (date(2024, 4, 1), True), (date(2026, 3, 31), True), (date(2026, 4, 1), False)],
)
def test_a_suspension_may_not_start_before_the_award_or_after_its_end(suspension_start, allowed):
    suspensions = [Suspension(suspension_start, None)]
    if allowed:
        rules.check_suspensions_inside(date(2024, 4, 1), date(2026, 3, 31), suspensions)
    else:
        with pytest.raises(rules.RuleViolation):
            rules.check_suspensions_inside(date(2024, 4, 1), date(2026, 3, 31), suspensions)


def test_an_open_suspension_runs_on_past_the_awards_end():
    # The award ends mid-March; the open suspension covers all of March, so March is not active.
    suspended = award(end=date(2025, 3, 15), suspensions=[Suspension(date(2024, 11, 1), None)])
    assert M(date(2025, 3, 1)) not in suspended.active_months()
    assert M(date(2024, 10, 1)) in suspended.active_months()


# --- Enrolment ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enrolment", "fy", "counts", "months"),
    [
        # reserved award (予約採用) from October 2024 in the master's course; entry April 2025
        (Enrolment(date(2025, 4, 1)), 2024, False, 0),
        (Enrolment(date(2025, 4, 1)), 2025, True, 12),
        # entry in the middle of a month: that month counts
        (Enrolment(date(2025, 3, 20)), 2024, True, 1),
        # completion on 2025-06-30: April–June count in FY2025, nothing in FY2026
        (Enrolment(date(2023, 4, 1), date(2025, 6, 30)), 2025, True, 3),
        (Enrolment(date(2023, 4, 1), date(2025, 6, 30)), 2026, False, 0),
    ],
)
def test_only_enrolled_months_count(enrolment, fy, counts, months):
    reserved = award(program="SPRING", start=date(2024, 10, 1), end=date(2027, 9, 30))
    outcome = rules.year_outcome([reserved], fy, FLOOR, [enrolment])
    assert outcome.counts is counts
    assert outcome.qualifying_months == months


def test_a_person_is_enrolled_when_any_record_is():
    moved = award(start=date(2024, 4, 1), end=date(2027, 3, 31))
    enrolments = [Enrolment(date(2022, 4, 1), date(2024, 9, 30)), Enrolment(date(2024, 10, 1))]
    assert rules.year_outcome([moved], 2024, FLOOR, enrolments).qualifying_months == 12


# --- Amounts in force -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "annual"),
    [
        (date(2025, 9, 1), 1_800_000),  # base amount (¥150,000 a month)
        (date(2025, 10, 1), 2_400_000),  # raised from 2025-10-01 after evaluation (¥200,000)
        # a change dated 2025-11-15 is not in force on 1 November: from December
        (date(2025, 11, 1), 2_400_000),
        (date(2025, 12, 1), 2_760_000),
    ],
)
def test_each_month_at_the_amount_in_force_on_its_first_day(month, annual):
    raised = award(
        living=1_800_000,
        start=date(2024, 4, 1),
        changes=[RateVersion(date(2025, 10, 1), 2_400_000), RateVersion(date(2025, 11, 15), 2_760_000)],
    )
    assert raised.annual_amount(M(month)) == annual
    assert rules.living_cost_rates([raised])[M(month)] == annual


def test_the_base_amount_applies_from_the_start_until_the_first_change():
    # A mid-month start: the first month is at the base amount although its first day is before the start.
    late = award(living=1_800_000, start=date(2024, 6, 20), changes=[RateVersion(date(2025, 4, 1), 2_400_000)])
    assert late.annual_amount(M(date(2024, 6, 1))) == 1_800_000
    assert late.annual_amount(M(date(2025, 4, 1))) == 2_400_000


def test_an_amount_change_can_carry_a_student_over_the_floor():
    # SPRING ¥1,500,000 (¥125,000 a month) raised to ¥2,400,000 from January 2025
    spring = award(living=1_500_000, changes=[RateVersion(date(2025, 1, 1), 2_400_000)])
    outcome = rules.year_outcome([spring], 2024, FLOOR)
    assert (outcome.counts, outcome.qualifying_months, outcome.peak_rate) == (True, 3, 2_400_000)


@pytest.mark.parametrize(
    ("annual", "start", "end", "expected"),
    [
        # ¥1,000,001 over January–December 2025: once at the end, not per fiscal year
        (1_000_001, date(2025, 1, 1), date(2025, 12, 31), 1_000_001),
        (2_900_000, date(2024, 4, 1), date(2024, 8, 31), 1_208_333),
    ],
)
def test_a_periods_amount_is_truncated_once(annual, start, end, expected):
    terms = award(living=annual, start=start, end=end)
    assert rules.yen(rules.award_twelfths(terms, rules.period_months(start, end))) == expected


# --- Attribution and what-if ----------------------------------------------------------------


def ra_then_spring():
    # RA ¥1,900,000 April–December (¥1,425,000 in FY2024), SPRING ¥2,000,000 January–March (¥500,000)
    ra = award(program="EMERGENT_RA", living=1_900_000, start=date(2024, 4, 1), end=date(2024, 12, 31), exclusive=False)
    spring = award(program="SPRING", living=2_000_000, start=date(2025, 1, 1), end=date(2027, 12, 31), award_id=2)
    return [ra, spring]


@pytest.mark.parametrize(
    ("floor", "program"),
    [
        (1, "EMERGENT_RA"),
        (1_800_000, "EMERGENT_RA"),  # the floor in force: identical to the default
        (1_900_000, "EMERGENT_RA"),
        (1_900_001, "SPRING"),  # only January–March reach it; the RA was not active then
        (2_000_000, "SPRING"),
        (2_000_001, None),
    ],
)
def test_what_if_floor_is_the_same_definition_attribution_included(floor, program):
    outcome = rules.year_outcome(ra_then_spring(), 2024, FLOOR)
    assert outcome.program == "EMERGENT_RA"
    assert rules.what_if(outcome, floor) == program


def test_attribution_is_the_largest_amount_over_active_enrolled_months():
    # DC1 from a reserved start in October (master's course) but entry in January: only
    # January–March are enrolled, so DC1 pays ¥600,000 there; RA all year ¥1,000,000 enrolled
    # only January–March = ¥250,000. DC1 wins. With entry in April 2024, RA's full year wins
    # over DC1's six months (¥1,000,000 vs ¥1,200,000 → DC1 still). Check amounts, not rates.
    ra = award(program="EMERGENT_RA", living=1_000_000, start=date(2024, 4, 1), end=date(2025, 3, 31), exclusive=False)
    dc1 = award(program="JSPS_DC1", living=2_400_000, start=date(2024, 10, 1), end=date(2027, 9, 30), award_id=2)
    outcome = rules.year_outcome([ra, dc1], 2024, FLOOR, [Enrolment(date(2025, 1, 1))])
    assert outcome.program == "JSPS_DC1"
    # Tie on amount: the award that started first
    a = award(
        program="EMERGENT_RA",
        living=2_400_000,
        start=date(2024, 4, 1),
        end=date(2024, 9, 30),
        award_id=7,
        exclusive=False,
    )
    b = award(program="SPRING", living=2_400_000, start=date(2024, 10, 1), end=date(2025, 3, 31), award_id=3)
    assert rules.year_outcome([b, a], 2024, FLOOR).program == "EMERGENT_RA"


# --- Exclusive programs ---------------------------------------------------------------------


def test_a_suspended_award_is_still_held():
    spring = award(
        program="SPRING",
        start=date(2024, 4, 1),
        end=date(2027, 3, 31),
        suspensions=[Suspension(date(2025, 4, 1), None)],
    )
    dc2 = award(program="JSPS_DC2", award_id=2, living=2_400_000, start=date(2025, 5, 1), end=date(2027, 3, 31))
    with pytest.raises(rules.RuleViolation) as error:
        rules.check_exclusive(dc2, [spring])
    assert "2025-05" in error.value.message


def test_a_hand_over_within_one_calendar_month_is_refused():
    spring = award(program="SPRING", start=date(2024, 4, 1), end=date(2025, 6, 10))
    dc1 = award(program="JSPS_DC1", award_id=2, living=2_400_000, start=date(2025, 6, 20), end=date(2028, 3, 31))
    with pytest.raises(rules.RuleViolation) as error:
        rules.check_exclusive(dc1, [spring])
    assert "2025-06" in error.value.message
