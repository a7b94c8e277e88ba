"""Table-driven tests of programs.rules with the figures of DOMAIN.md (no database)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from programs import rules
from programs.rules import AwardTerms, FloorVersion, RateVersion, Suspension

FLOOR = [FloorVersion(date(2021, 4, 1), 1_800_000)]


def award(
    program="SPRING",
    living=1_800_000,
    start=date(2024, 4, 1),
    end=date(2027, 3, 31),
    audience="doctoral",
    award_id=1,
    suspensions=(),
    exclusive=True,
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
    )


@pytest.mark.parametrize(
    ("day", "fy", "label", "label_ja"),
    [
        (date(2025, 4, 1), 2025, "FY2025 (R7)", "令和7年度"),
        (date(2026, 3, 31), 2025, "FY2025 (R7)", "令和7年度"),
        (date(2025, 3, 31), 2024, "FY2024 (R6)", "令和6年度"),
        (date(2021, 4, 1), 2021, "FY2021 (R3)", "令和3年度"),
        (date(2019, 4, 1), 2019, "FY2019 (R1)", "令和元年度"),
        # before 令和: the indicator's cohorts reach back to 平成 years (there is no 令和0年度)
        (date(2019, 3, 31), 2018, "FY2018 (H30)", "平成30年度"),
        (date(2016, 4, 1), 2016, "FY2016 (H28)", "平成28年度"),
        (date(1989, 4, 1), 1989, "FY1989 (H1)", "平成元年度"),
        (date(1988, 4, 1), 1988, "FY1988", "1988年度"),
    ],
)
def test_fiscal_year_runs_april_to_march(day, fy, label, label_ja):
    assert rules.fiscal_year(day) == fy
    assert rules.fiscal_year_label(fy) == label
    assert rules.fiscal_year_label_ja(fy) == label_ja


@pytest.mark.parametrize(
    ("annual", "months", "expected"),
    [
        (2_400_000, 1, 200_000),  # DC: ¥200,000 a month
        (4_344_000, 1, 362_000),  # PD
        (5_352_000, 1, 446_000),  # CPD
        (2_900_000, 5, 1_208_333),  # SPRING × 5/12, truncated below ¥1
        (2_900_000, 12, 2_900_000),
        (3_900_000, 7, 2_275_000),
        (1, 1, 0),
    ],
)
def test_monthly_amount_truncates_below_one_yen(annual, months, expected):
    assert rules.monthly_amount(annual, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2024, 4, 1), date(2024, 4, 30), 1),
        (date(2024, 4, 15), date(2024, 5, 2), 2),  # two partial months count whole
        (date(2024, 4, 30), date(2024, 4, 30), 1),  # one day is a month
        (date(2024, 4, 1), date(2027, 3, 31), 36),
        (date(2024, 10, 10), date(2025, 3, 1), 6),
        (date(2024, 5, 1), date(2024, 4, 30), 0),
    ],
)
def test_partial_months_count_whole(start, end, months):
    assert rules.months_in_period(start, end) == months


def test_period_crossing_a_rule_version_is_summed_piece_by_piece():
    # given: DC at ¥2,400,000, then from FY2024 ¥2,760,000 with the final-year allowance
    versions = [RateVersion(date(2019, 4, 1), 2_400_000), RateVersion(date(2024, 4, 1), 2_760_000)]
    # when: January 2024 to June 2024 (3 months old, 3 months new)
    amount = rules.amount_for_period(versions, date(2024, 1, 1), date(2024, 6, 30))
    # then: 3 × 200,000 + 3 × 230,000
    assert amount == 600_000 + 690_000


def test_month_takes_the_version_in_force_on_its_first_day():
    versions = [RateVersion(date(2021, 4, 1), 1_200_000), RateVersion(date(2024, 4, 2), 2_400_000)]
    # April 2024 starts before the new version, so it is paid at the old one.
    assert rules.amount_for_period(versions, date(2024, 4, 1), date(2024, 4, 30)) == 100_000
    assert rules.amount_for_period(versions, date(2024, 5, 1), date(2024, 5, 31)) == 200_000


def test_truncation_happens_once_at_the_end():
    # 1,000,001 a year for 12 months: per-month truncation would give 12 × 83,333 = 999,996
    versions = [RateVersion(date(2024, 4, 1), 1_000_001)]
    assert rules.amount_for_period(versions, date(2024, 4, 1), date(2025, 3, 31)) == 1_000_001


def test_suspension_removes_only_months_entirely_within_it():
    # given: suspended from 2024-06-15 to 2024-09-30
    suspended = award(suspensions=[Suspension(date(2024, 6, 15), date(2024, 9, 30))])
    # then: June is partly paid, July–September are out
    assert suspended.suspended_months() == {rules.month_index(date(2024, m, 1)) for m in (7, 8, 9)}
    rates = rules.living_cost_rates([suspended])
    assert rules.month_index(date(2024, 6, 1)) in rates
    assert rules.month_index(date(2024, 7, 1)) not in rates


def test_open_suspension_runs_to_the_award_end():
    suspended = award(end=date(2025, 3, 31), suspensions=[Suspension(date(2024, 11, 1), None)])
    assert len(suspended.suspended_months()) == 5


@pytest.mark.parametrize(
    ("start", "end", "term", "suspended", "allowed"),
    [
        (date(2024, 4, 1), date(2027, 3, 31), 3, 0, True),
        (date(2024, 4, 1), date(2027, 4, 1), 3, 0, False),
        (date(2024, 4, 1), date(2026, 3, 31), 2, 0, True),  # DC2
        (date(2024, 4, 1), date(2027, 9, 30), 3, 6, True),  # six suspended months push the end out
        (date(2024, 4, 1), date(2027, 10, 1), 3, 6, False),
        (date(2024, 4, 1), date(2029, 3, 31), 5, 0, True),  # CPD
        (date(2024, 4, 1), date(2040, 3, 31), None, 0, True),  # EMERGENT_RA: per project
    ],
)
def test_term_limit_with_extension_for_suspended_months(start, end, term, suspended, allowed):
    if allowed:
        rules.check_term(start=start, end=end, term_years=term, suspended_months=suspended)
    else:
        with pytest.raises(rules.RuleViolation) as error:
            rules.check_term(start=start, end=end, term_years=term, suspended_months=suspended)
        assert error.value.field == "end_date"
        assert error.value.code == "term_exceeded"


@pytest.mark.parametrize(
    ("living", "counts"),
    [(1_800_000, True), (1_799_999, False), (2_400_000, True), (0, False)],
)
def test_exactly_the_floor_counts(living, counts):
    outcome = rules.year_outcome([award(living=living)], 2024, FLOOR)
    assert outcome.counts is counts
    assert outcome.peak_rate == living


def test_postdoc_never_counted():
    pd = award(program="JSPS_PD", living=4_344_000, audience="postdoctoral", exclusive=False)
    outcome = rules.year_outcome([pd], 2024, FLOOR)
    assert outcome.counts is False
    assert outcome.peak_rate == 0


def test_two_awards_of_one_student_add_up_and_attribute_to_the_largest():
    # given: EMERGENT_RA ¥1,000,000 alone is under the floor; with SPRING ¥1,200,000 it is over
    ra = award(program="EMERGENT_RA", living=1_000_000, award_id=1, exclusive=False, start=date(2024, 4, 1))
    spring = award(program="SPRING", living=1_200_000, award_id=2, start=date(2024, 10, 1))
    outcome = rules.year_outcome([ra, spring], 2024, FLOOR)
    assert outcome.counts is True
    assert outcome.peak_rate == 2_200_000
    # "the largest living-cost amount within that FY": RA pays 12 × 1,000,000 / 12 = ¥1,000,000,
    # SPRING 6 × 1,200,000 / 12 = ¥600,000 (a larger annual rate is not a larger amount).
    assert outcome.program == "EMERGENT_RA"
    assert outcome.qualifying_months == 6
    assert rules.national_breakdown([outcome]).total == 1


def test_attribution_tie_goes_to_the_award_that_started_first():
    first = award(program="EMERGENT_RA", living=1_800_000, award_id=9, exclusive=False, start=date(2024, 4, 1))
    later = award(program="SPRING", living=1_800_000, award_id=1, start=date(2024, 5, 1))
    assert rules.year_outcome([later, first], 2024, FLOOR).program == "EMERGENT_RA"


def test_award_that_never_reached_the_floor_is_not_attributed():
    # RA alone in April–September (under the floor); DC from October (over it)
    ra = award(
        program="EMERGENT_RA",
        living=2_000_000,
        award_id=1,
        exclusive=False,
        start=date(2024, 4, 1),
        end=date(2024, 9, 30),
    )
    dc = award(program="JSPS_DC2", living=2_400_000, award_id=2, start=date(2024, 10, 1), end=date(2026, 3, 31))
    low_ra = AwardTerms(**{**ra.__dict__, "annual_living_cost": 1_000_000})
    assert rules.year_outcome([low_ra, dc], 2024, FLOOR).program == "JSPS_DC2"


def test_suspended_whole_year_does_not_count():
    suspended = award(
        start=date(2024, 4, 1), end=date(2026, 3, 31), suspensions=[Suspension(date(2024, 4, 1), date(2025, 3, 31))]
    )
    assert rules.year_outcome([suspended], 2024, FLOOR).counts is False
    assert rules.year_outcome([suspended], 2025, FLOOR).counts is True


def test_floor_change_applies_from_its_effective_month():
    floors = [FloorVersion(date(2021, 4, 1), 1_800_000), FloorVersion(date(2026, 4, 1), 2_400_000)]
    spring = award(start=date(2025, 4, 1), end=date(2028, 3, 31))
    assert rules.year_outcome([spring], 2025, floors).counts is True
    assert rules.year_outcome([spring], 2026, floors).counts is False


def test_exclusive_programs_may_not_overlap_in_a_month():
    spring = award(program="SPRING", award_id=1, start=date(2024, 4, 1), end=date(2027, 3, 31))
    dc = award(program="JSPS_DC2", award_id=2, living=2_400_000, start=date(2025, 3, 15), end=date(2027, 3, 31))
    with pytest.raises(rules.RuleViolation) as error:
        rules.check_exclusive(dc, [spring])
    assert error.value.field == "program"
    assert "2025-03" in error.value.message


def test_exclusive_program_may_follow_in_the_next_month():
    spring = award(program="SPRING", award_id=1, start=date(2024, 4, 1), end=date(2025, 3, 31))
    dc = award(program="JSPS_DC2", award_id=2, start=date(2025, 4, 1), end=date(2027, 3, 31))
    rules.check_exclusive(dc, [spring])


def test_emergent_ra_combines_with_any_program():
    spring = award(program="SPRING", award_id=1)
    ra = award(program="EMERGENT_RA", award_id=2, exclusive=False)
    rules.check_exclusive(ra, [spring])
    rules.check_exclusive(spring, [ra])


def test_postdoc_program_refused_for_an_enrolled_student():
    with pytest.raises(rules.RuleViolation) as error:
        rules.check_audience(program="JSPS_PD", audience="postdoctoral", student_is_enrolled=True)
    assert error.value.code == "postdoc_for_student"
    rules.check_audience(program="JSPS_PD", audience="postdoctoral", student_is_enrolled=False)


def test_end_before_start_refused():
    with pytest.raises(rules.RuleViolation):
        rules.check_dates(date(2024, 5, 1), date(2024, 4, 30))


# --- Properties ---------------------------------------------------------------------------

award_strategy = st.builds(
    award,
    program=st.sampled_from(["SPRING", "BOOST", "JSPS_DC1", "EMERGENT_RA", "JSPS_PD"]),
    living=st.integers(min_value=0, max_value=4_000_000),
    start=st.dates(min_value=date(2021, 4, 1), max_value=date(2025, 3, 1)),
    award_id=st.integers(min_value=1, max_value=10_000),
).map(
    lambda a: AwardTerms(
        **{
            **a.__dict__,
            "end": rules.add_months(a.start, 14),
            "audience": "postdoctoral" if a.program == "JSPS_PD" else "doctoral",
        }
    )
)


@given(
    st.lists(st.lists(award_strategy, min_size=0, max_size=4), max_size=30), st.integers(min_value=2021, max_value=2025)
)
def test_program_breakdown_always_sums_to_the_total(students, fy):
    outcomes = [rules.year_outcome(awards, fy, FLOOR) for awards in students]
    breakdown = rules.national_breakdown(outcomes)
    assert sum(breakdown.by_program.values()) == breakdown.total
    assert breakdown.total == sum(1 for o in outcomes if o.counts)


@given(st.integers(min_value=0, max_value=10_000_000), st.integers(min_value=0, max_value=120))
def test_truncation_never_exceeds_the_exact_amount(annual, months):
    amount = rules.monthly_amount(annual, months)
    assert amount <= annual * months / 12
    assert annual * months / 12 - amount < 1


@given(
    st.lists(
        st.tuples(
            st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 1, 1)),
            st.integers(min_value=0, max_value=6_000_000),
        ),
        min_size=1,
        max_size=4,
    ),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 1, 1)),
    st.integers(min_value=0, max_value=60),
)
def test_period_amount_never_exceeds_the_exact_sum(versions, start, months):
    rates = [RateVersion(d, a) for d, a in versions]
    end = rules.add_months(start, months)
    exact = sum((rules.rate_in_force(rates, rules.month_start(m)) or 0) / 12 for m in rules.period_months(start, end))
    amount = rules.amount_for_period(rates, start, end)
    assert amount <= exact + 1e-6
    assert exact - amount < 1
