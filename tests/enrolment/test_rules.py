"""The enrolment rules, worked out by hand from DOMAIN.md ("Enrolment statistics and the
doctoral-degree indicator") and seed 003 (the FY2024 allocation). No database."""

import math
from fractions import Fraction

import pytest

from enrolment import rules
from enrolment.rules import CompleterRow, StatisticRow, UniversityInfo

# --- Cohorts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        # Seed 003, window R2–R4 (FY2020–FY2022): 3 years → H30–R2, 4 → H29–R1, 5 → H28–H30.
        (3, (2018, 2019, 2020)),
        (4, (2017, 2018, 2019)),
        (5, (2016, 2017, 2018)),
    ],
)
def test_cohorts_that_could_graduate_in_the_r2_r4_window(term, expected):
    assert rules.cohort_years(2020, term) == expected


def test_a_standard_term_other_than_3_4_or_5_is_refused():
    with pytest.raises(ValueError, match="standard term"):
        rules.cohort_year(2020, 6)


# --- Deviation scores, weighted means ------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # one university in the field: 50
        ({"a": Fraction(1, 3)}, {"a": 50.0}),
        # no spread: 50 for everyone
        ({"a": Fraction(1, 2), "b": Fraction(1, 2)}, {"a": 50.0, "b": 50.0}),
        # 0 and 1: mean 1/2, population sd 1/2 → 50 ∓ 10
        ({"a": 0, "b": 1}, {"a": 40.0, "b": 60.0}),
        # 2,4,4,4,5,5,7,9: mean 5, population sd 2 (sample sd would be 2.14)
        (
            {"a": 2, "b": 4, "c": 4, "d": 4, "e": 5, "f": 5, "g": 7, "h": 9},
            {"a": 35.0, "b": 45.0, "c": 45.0, "d": 45.0, "e": 50.0, "f": 50.0, "g": 60.0, "h": 70.0},
        ),
        ({}, {}),
    ],
)
def test_deviation_scores(values, expected):
    assert rules.deviation_scores(values) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([(60.0, 30), (40.0, 10)], 55.0),  # (1800 + 400) / 40
        ([(60.0, 1), (40.0, 1)], 50.0),
        ([(70.0, 5), (10.0, 0)], 70.0),  # no weight, no say
        ([], None),
        ([(70.0, 0)], None),
    ],
)
def test_weighted_mean(pairs, expected):
    assert rules.weighted_mean(pairs) == expected


@pytest.mark.parametrize(
    ("degrees", "capacity", "expected"),
    [
        (15, 30, Fraction(1, 2)),
        (30, 30, Fraction(1)),
        (36, 30, Fraction(1)),  # capped at 100%
        (5, 0, None),
    ],
)
def test_degree_ratio_is_capped_at_100_percent(degrees, capacity, expected):
    assert rules.degree_ratio(degrees, capacity) == expected


def test_completion_ratio_is_not_capped():
    assert rules.completion_ratio(33, 30) == Fraction(11, 10)
    assert rules.completion_ratio(1, 0) is None


@pytest.mark.parametrize(
    ("counted", "enrolled", "expected"),
    [(3, 10, Fraction(3, 10)), (0, 10, Fraction(0)), (0, 0, None), (101, 1000, rules.COVERAGE_BASELINE_FY2018)],
)
def test_coverage_is_counted_over_enrolled(counted, enrolled, expected):
    assert rules.coverage(counted, enrolled) == expected


# --- Rank and allocation rate --------------------------------------------------------------


@pytest.mark.parametrize(
    ("rank", "size", "rate"),
    [
        (1, 10, 125),  # 10%: within the top 10% (the edge belongs to the better band)
        (2, 20, 125),  # 10%
        (3, 20, 120),  # 15%
        (4, 20, 120),  # 20%
        (5, 20, 115),  # 25%
        (6, 20, 115),  # 30%
        (8, 20, 110),  # 40%
        (9, 20, 105),  # 45%
        (10, 20, 100),  # 50%
        (11, 20, 95),  # 55%
        (12, 20, 95),  # 60%
        (14, 20, 90),  # 70%
        (16, 20, 85),  # 80%
        (18, 20, 80),  # 90%
        (19, 20, 75),  # 95%: beyond the top 90%
        (20, 20, 75),
        (1, 1, 100),  # alone in the group: nobody to compare with, neither raised nor cut
        (1, 3, 110),  # 33%
        (2, 3, 90),  # 67%
        (3, 3, 75),
        # group ① has 28 universities
        (12, 28, 105),  # 42.9%
        (13, 28, 100),  # 46.4%
        (14, 28, 100),  # 50%
        (15, 28, 95),  # 53.6%
    ],
)
def test_allocation_rate_by_position_in_the_group(rank, size, rate):
    assert rules.allocation_rate(rank, size) == rate


@pytest.mark.parametrize(
    ("rank", "rate"),
    # Group ④ has 10 designated universities; 70–130% read as the same steps stretched by 30/25.
    [(1, 130), (2, 124), (3, 118), (4, 112), (5, 100), (6, 94), (7, 88), (8, 82), (9, 76), (10, 70)],
)
def test_designated_universities_get_70_to_130_percent(rank, rate):
    assert rules.allocation_rate(rank, 10, designated=True) == rate


def test_designated_45_percent_band():
    assert rules.allocation_rate(9, 20, designated=True) == 106


# Seed 003_eb43dd8568f2312c.txt, every line on designated universities' rates (there is no table):
#   line 11:  "…1,000億円・75%～125%（指定国立大学については70%～130%）に設定している。"
#   line 90:  "※指定国立大学については 70%～130%で設定"
#   line 967: "(指定国立大学は70%～130%)"
SEED_DESIGNATED_RANGE = (70, 130)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 10, 20, 28])
def test_designated_rates_stay_within_the_seeds_70_to_130_and_reach_both_ends(size):
    """What the seed fixes: 70%～130%. Every rank of a designated group lies within it; with at
    least ten members the first is within the top 10% (130%) and the last past 90% (70%, the
    seed's "90%未満" band); 50% of the group still gets 100%."""
    low, high = SEED_DESIGNATED_RANGE
    rates = [rules.allocation_rate(rank, size, designated=True) for rank in range(1, size + 1)]
    assert all(low <= rate <= high for rate in rates)
    assert rates == sorted(rates, reverse=True)
    if size >= 10:
        assert rates[0] == high
        assert rates[-1] == low
        assert rules.allocation_rate(size // 2, size, designated=True) == 100


def test_band_table_shows_both_scales_with_the_seeds_ends():
    table = rules.band_table()
    assert table[0] == (10, 125, 130)
    assert table[-1] == (None, 75, 70)
    assert [row[2] for row in table] == [130, 124, 118, 112, 106, 100, 94, 88, 82, 76, 70]
    assert "70%～130%で設定" in str(rules.DESIGNATED_STEPS_ARE_OURS)


def test_rank_outside_the_group_is_refused():
    with pytest.raises(ValueError, match="rank"):
        rules.allocation_rate(4, 3)


@pytest.mark.parametrize(
    ("values", "ranks"),
    [
        ({"a": 60.0, "b": 55.0, "c": 55.0, "d": 40.0}, {"a": 1, "b": 2, "c": 2, "d": 4}),
        ({"a": 50.0, "b": 50.0}, {"a": 1, "b": 1}),
        ({"a": 50.0 + 1e-12, "b": 50.0}, {"a": 1, "b": 1}),  # float noise is not a difference
        ({"a": 50.1, "b": 50.0}, {"a": 1, "b": 2}),
    ],
)
def test_equal_indicators_share_the_better_position(values, ranks):
    assert rules.competition_ranks(values) == ranks


def test_tied_universities_share_the_better_band():
    results = [
        rules.UniversityIndicator(
            university=k, group=1, designated=False, degree_score=v, completion_score=v, indicator=v
        )
        for k, v in {"a": 60.0, "b": 55.0, "c": 55.0, "d": 40.0}.items()
    ]
    ranked = {r.university: (r.rank, r.rate) for r in rules.rank_and_rate(results)}
    # a is 1st of 4 (25%) → 115%; b and c are both 2nd (50%) → 100%; d is 4th (100%) → 75%
    assert ranked == {"a": (1, 115), "b": (2, 100), "c": (2, 100), "d": (4, 75)}


# --- The whole indicator, by hand ----------------------------------------------------------


def _years(university, field, years, *, capacity, entrants, degrees, completions, term=3):
    """Rows for several fiscal years; capacity/entrants may be a dict by year."""
    rows = []
    for year in years:
        cap = capacity[year] if isinstance(capacity, dict) else capacity
        ent = entrants[year] if isinstance(entrants, dict) else entrants
        rows.append(StatisticRow(university, field, year, cap, ent, degrees, completions, term))
    return rows


def example_rows():
    """Window FY2020–FY2022 (R2–R4).

    engineering (term 3, cohorts FY2018–FY2020), per year:
      A: capacity 10, entrants 10, degrees 5, on-time 4 → ratio 1 = 15/30 = 1/2, ratio 2 = 12/30 = 2/5
      B: capacity 10, entrants 10, degrees 12, on-time 8 → ratio 1 = 36/30 capped to 1, ratio 2 = 4/5
      C: capacity 20, entrants 20, degrees 15, on-time 12 → ratio 1 = 45/60 = 3/4, ratio 2 = 3/5
    health (term 4, cohorts FY2017–FY2019), A only: capacity 4, 5, 6 in FY2017–19 (100 later),
      degrees 1 and on-time 1 a year → capacity 15, entrants 15; one university → 50.
    """
    years = range(2018, 2023)
    health_capacity = {2017: 4, 2018: 5, 2019: 6, 2020: 100, 2021: 100, 2022: 100}
    return [
        *_years("A", "engineering", years, capacity=10, entrants=10, degrees=5, completions=4),
        *_years("B", "engineering", years, capacity=10, entrants=10, degrees=12, completions=8),
        *_years("C", "engineering", years, capacity=20, entrants=20, degrees=15, completions=12),
        *_years(
            "A",
            "health",
            range(2017, 2023),
            capacity=health_capacity,
            entrants=health_capacity,
            degrees=1,
            completions=1,
            term=4,
        ),
    ]


GROUP_1 = {"A": UniversityInfo(group=1), "B": UniversityInfo(group=1), "C": UniversityInfo(group=1)}


def test_indicator_worked_by_hand():
    # given: ratio 1 in engineering 1/2, 1 (capped from 6/5), 3/4: mean 3/4, population sd √(1/24)
    step = 10 * Fraction(1, 4) / math.sqrt(1 / 24)  # 12.247…
    # ratio 2 in engineering 2/5, 4/5, 3/5: mean 3/5, sd √(2/75); (1/5)/√(2/75) is the same 1.2247…
    step_2 = 10 * Fraction(1, 5) / math.sqrt(2 / 75)
    a_engineering, b_engineering = 50 - step, 50 + step
    # A: engineering weighted 30 (capacity and entrants), health 50 weighted 15
    a_degree = (a_engineering * 30 + 50 * 15) / 45
    a_completion = ((50 - step_2) * 30 + 50 * 15) / 45

    # when
    results = {r.university: r for r in rules.degree_indicator(example_rows(), GROUP_1, 2020)}

    # then
    a, b, c = results["A"], results["B"], results["C"]
    assert a.degree_score == pytest.approx(a_degree)
    assert a.completion_score == pytest.approx(a_completion)
    assert a.indicator == pytest.approx((a_degree + a_completion) / 2)  # 41.835…
    assert b.indicator == pytest.approx((b_engineering + 50 + step_2) / 2)  # 62.247…
    assert c.indicator == pytest.approx(50.0)
    # ranks within group ①: B 1st of 3 (33%) → 110%, C 2nd (67%) → 90%, A 3rd → 75%
    assert [(r.university, r.rank, r.group_size, r.rate) for r in (b, c, a)] == [
        ("B", 1, 3, 110),
        ("C", 2, 3, 90),
        ("A", 3, 3, 75),
    ]


def test_drill_down_shows_how_each_number_was_reached():
    results = {r.university: r for r in rules.degree_indicator(example_rows(), GROUP_1, 2020)}
    fields = {f.field: f for f in results["A"].fields}
    health = fields["health"]
    # term 4: cohorts FY2017–FY2019, capacity 4 + 5 + 6 (not the 100s of later years)
    assert health.cohort_years == (2017, 2018, 2019)
    assert (health.degrees, health.capacity, health.completions, health.entrants) == (3, 15, 3, 15)
    assert health.degree_ratio.peers == 1
    assert health.degree_ratio.score == 50.0
    b_engineering = {f.field: f for f in results["B"].fields}["engineering"]
    assert b_engineering.cohort_years == (2018, 2019, 2020)
    assert b_engineering.degree_ratio.raw == Fraction(36, 30)
    assert b_engineering.degree_ratio.value == Fraction(1)  # the cap
    assert b_engineering.degree_ratio.field_mean == pytest.approx(0.75)
    assert b_engineering.degree_ratio.field_sd == pytest.approx(math.sqrt(1 / 24))
    assert b_engineering.degree_ratio.peers == 3


def test_without_the_cap_the_scores_would_differ():
    # B's uncapped 6/5 would give mean 49/60 and another spread: the cap is what makes B +1.2247 sd
    results = {r.university: r for r in rules.degree_indicator(example_rows(), GROUP_1, 2020)}
    b = {f.field: f for f in results["B"].fields}["engineering"].degree_ratio
    uncapped = rules.deviation_scores({"A": Fraction(1, 2), "B": Fraction(6, 5), "C": Fraction(3, 4)})["B"]
    assert b.score == pytest.approx(50 + 10 * 0.25 / math.sqrt(1 / 24))
    assert b.score != pytest.approx(uncapped)


def test_scores_compare_across_groups_but_ranks_stay_within_the_group():
    universities = {"A": UniversityInfo(group=1), "B": UniversityInfo(group=2), "C": UniversityInfo(group=1)}
    results = {r.university: r for r in rules.degree_indicator(example_rows(), universities, 2020)}
    assert (results["B"].rank, results["B"].group_size, results["B"].rate) == (1, 1, 100)
    assert (results["C"].rank, results["A"].rank) == (1, 2)
    assert results["B"].indicator == pytest.approx(50 + 10 * 0.25 / math.sqrt(1 / 24))


def test_a_missing_cohort_year_leaves_the_field_out_and_says_which():
    rows = [r for r in example_rows() if not (r.university == "A" and r.field == "health" and r.fiscal_year == 2017)]
    results = {r.university: r for r in rules.degree_indicator(rows, GROUP_1, 2020)}
    health = {f.field: f for f in results["A"].fields}["health"]
    assert health.missing_years == (2017,)
    assert health.degree_ratio is None
    assert health.completion_ratio is None
    # A is now engineering only
    assert results["A"].indicator == pytest.approx(50 - 10 * 0.25 / math.sqrt(1 / 24))


def test_zero_entrants_give_no_completion_ratio():
    rows = [
        *_years("A", "science", range(2018, 2023), capacity=5, entrants=0, degrees=2, completions=0),
        *_years("B", "science", range(2018, 2023), capacity=5, entrants=5, degrees=2, completions=2),
    ]
    results = {
        r.university: r for r in rules.degree_indicator(rows, {"A": UniversityInfo(1), "B": UniversityInfo(1)}, 2020)
    }
    assert results["A"].completion_score is None
    assert results["A"].indicator is None  # not ranked without both halves
    assert results["A"].rank is None
    assert (results["B"].rank, results["B"].group_size, results["B"].rate) == (1, 1, 100)


def test_what_if_more_on_time_completions_raises_the_indicator():
    before = {r.university: r for r in rules.degree_indicator(example_rows(), GROUP_1, 2020)}
    # A +6 on-time completions in FY2022 engineering: ratio 2 = 18/30 = 3/5, equal to C's
    after = {
        r.university: r
        for r in rules.what_if_completions(
            example_rows(), GROUP_1, 2020, university="A", field="engineering", extra_completions=6
        )
    }
    a_engineering = {f.field: f for f in after["A"].fields}["engineering"].completion_ratio
    assert a_engineering.raw == Fraction(3, 5)
    assert after["A"].indicator > before["A"].indicator
    assert after["A"].completion_score > before["A"].completion_score


# --- Employment indicator ------------------------------------------------------------------


def test_employment_indicator_weighted_by_completers():
    rows = [
        CompleterRow("A", "engineering", completers=10, employed=6, further_study=2),  # 0.8
        CompleterRow("B", "engineering", completers=10, employed=4, further_study=0),  # 0.4
        CompleterRow("A", "science", completers=30, employed=20, further_study=1),  # alone → 50
        CompleterRow("B", "health", completers=0, employed=0, further_study=0),  # no completers
    ]
    results = {r.university: r for r in rules.employment_indicator(rows)}
    # engineering: 0.8 and 0.4 → 60 and 40; A = (60 × 10 + 50 × 30) / 40 = 52.5
    assert results["A"].indicator == pytest.approx(52.5)
    assert results["B"].indicator == pytest.approx(40.0)
    assert [f.field for f in results["B"].fields] == ["engineering"]


def test_group_4_is_ranked_on_the_designated_band():
    results = [
        rules.UniversityIndicator(
            university=n, group=4, designated=False, degree_score=v, completion_score=v, indicator=float(v)
        )
        for n, v in enumerate(range(60, 50, -1))
    ]
    ranked = [(r.rank, r.rate) for r in rules.rank_and_rate(results)]
    assert ranked[0] == (1, 130)
    assert ranked[-1] == (10, 70)


def test_a_five_year_term_pairs_the_window_with_entrants_five_years_earlier():
    """A field with a 5-year standard term (e.g. a medical course entered from a bachelor's): the
    R2–R4 window FY2020–FY2022 is compared with the capacity and entrants of FY2016–FY2018.
    D: capacity 8 a year (20 in FY2019 on), entrants 6 a year (30 later), 6 degrees and 3 on-time a
    year → ratio 1 = 18/24 = 75%, ratio 2 = 9/18 = 50%. E (term 3, same field): 100% capped from
    30/24 and 12/18 = 66.7%. Field mean 7/8, sd 1/8 → D 40, E 60 on ratio 1; ratio 2 mean 7/12,
    sd 1/12 → D 40, E 60. D's indicator is 40 (one field), E's 60."""
    later = dict.fromkeys(range(2019, 2023), 20)
    d_capacity = {2016: 8, 2017: 8, 2018: 8, **later}
    d_entrants = {2016: 6, 2017: 6, 2018: 6, **dict.fromkeys(later, 30)}
    rows = [
        *_years(
            "D", "health", range(2016, 2023), capacity=d_capacity, entrants=d_entrants, degrees=6, completions=3, term=5
        ),
        *_years("E", "health", range(2018, 2023), capacity=8, entrants=6, degrees=10, completions=4),
    ]
    results = {
        r.university: r for r in rules.degree_indicator(rows, {"D": UniversityInfo(2), "E": UniversityInfo(2)}, 2020)
    }
    d_health, e_health = results["D"].fields[0], results["E"].fields[0]
    assert d_health.cohort_years == (2016, 2017, 2018)
    assert (d_health.capacity, d_health.entrants, d_health.degrees, d_health.completions) == (24, 18, 18, 9)
    assert e_health.degree_ratio.raw == Fraction(30, 24)
    assert e_health.degree_ratio.value == 1
    assert results["D"].indicator == pytest.approx(40.0)
    assert results["E"].indicator == pytest.approx(60.0)
    assert [(r.rank, r.rate) for r in (results["E"], results["D"])] == [(1, 100), (2, 75)]
