import pytest

from dashboards import selectors
from dashboards.selectors import Scope

pytestmark = pytest.mark.django_db
FY = 2025


def test_national_headcount_counts_each_person_once(population):
    assert selectors.headcount(Scope(FY)) == 4


def test_university_figures_count_their_own_records(population):
    assert selectors.headcount(Scope(FY, university_id=population["a"].pk)) == 3
    assert selectors.headcount(Scope(FY, university_id=population["b"].pk)) == 2


def test_program_breakdown_sums_to_the_total(population):
    # s5 goes to EMERGENT_RA: the largest living-cost amount within the FY, not the largest rate.
    assert selectors.by_program(Scope(FY)) == {"SPRING": 2, "JSPS_DC1": 1, "EMERGENT_RA": 1}
    assert selectors.by_program(Scope(FY, university_id=population["b"].pk)) == {"SPRING": 1, "EMERGENT_RA": 1}


@pytest.mark.parametrize("university", [None, "a", "b"])
def test_what_if_at_the_floor_in_force_is_identical_to_the_default(population, university):
    university_id = population[university].pk if university else None
    default = Scope(FY, university_id=university_id)
    what_if = Scope(FY, floor=1_800_000, university_id=university_id)
    assert selectors.by_program(what_if) == selectors.by_program(default)
    assert selectors.headcount(what_if) == selectors.headcount(default)


def test_gross_awards_include_every_program(population):
    assert selectors.gross_awards(FY) == {"SPRING": 6, "JSPS_DC1": 1, "EMERGENT_RA": 2, "JSPS_PD": 1}


def test_breakdowns_by_founder_field_and_attributes(population):
    scope = Scope(FY)
    # The transfer (s6 at A, s7 at B) is carried by its representative: equal peaks, so the lower id, s6.
    assert selectors.breakdown(scope, "founder") == {"national": 3, "private": 1}
    assert selectors.breakdown(scope, "field") == {"engineering": 2, "science": 1, "humanities": 1}
    assert selectors.breakdown(scope, "is_international") == {False: 3, True: 1}
    assert selectors.breakdown(scope, "is_working_adult") == {False: 3, True: 1}


@pytest.mark.parametrize(("floor", "expected"), [(1_200_000, 6), (1_800_000, 4), (1_800_001, 2), (2_400_000, 1)])
def test_what_if_floor_recounts(population, floor, expected):
    assert selectors.headcount(Scope(FY, floor=floor)) == expected


def test_what_if_floor_breakdown_still_sums(population):
    by_program = selectors.by_program(Scope(FY, floor=1_200_000))
    assert sum(by_program.values()) == 6
    assert by_program["EMERGENT_RA"] == 2  # s3, who counts only at the lower floor, and s5


def test_university_table_with_change_from_previous_year(population):
    rows = {r.name_ja: r for r in selectors.university_table(Scope(FY))}
    assert (rows["甲大学"].counted, rows["甲大学"].previous, rows["甲大学"].awards) == (3, 1, 6)
    assert (rows["乙大学"].counted, rows["乙大学"].previous, rows["乙大学"].change) == (2, 0, 2)


def test_duplicate_support_by_pair(population):
    summary = selectors.overlap_summary(Scope(FY))
    assert summary.students == 1
    assert summary.pairs == [("EMERGENT_RA", "SPRING", 1)]


def test_outlook_arithmetic(population):
    # FY2026: s1, s2, s7 and s9 (back from suspension) count; s5's SPRING alone is ¥1,200,000.
    rows = selectors.outlook(Scope(FY), current_fy=FY)
    first = rows[0]
    assert (first.fiscal_year, first.from_existing_awards, first.target) == (2026, 4, 22_500)
    assert first.new_awards_per_year == 22_500 - 4
    second = rows[1]  # FY2027: s9 has ended; two years of new awards are running
    assert second.from_existing_awards == 3
    assert second.new_awards_per_year == 11_249  # ceil(22,497 / 2)
    third = rows[2]  # FY2028: every existing award has ended; three cohorts of new awards
    assert third.from_existing_awards == 0
    assert third.new_awards_per_year == 7_500
    assert selectors.first_year_meeting_target(rows) is None


@pytest.mark.parametrize(("floor", "pinned"), [(None, 11), (2_000_000, 13)])
def test_national_page_query_count_does_not_grow_with_data(population, django_assert_num_queries, floor, pinned):
    """A constant (24 and 28 before #14's cuts): the targets, programs, the last fiscal year, the
    counted students per year and program (a what-if floor adds its bands), gross awards, the five
    breakdowns in one, overlaps (two), the university table (the kept counts and awards per
    university in one, the names; a what-if floor adds its counted fact rows), the transfers."""
    from dashboards.tables import dashboard_tables

    with django_assert_num_queries(pinned):
        dashboard_tables(Scope(FY, floor), current_fy=FY)


@pytest.mark.parametrize("floor", [None, 1, 1_200_000, 1_800_000, 2_000_000, 2_400_001])
@pytest.mark.parametrize("university", [None, "a", "b"])
def test_the_pages_combined_reads_equal_the_selectors_one_by_one(population, floor, university):
    """The page reads the counted students per year and program, the breakdowns and the targets
    once (`counted`, `breakdowns`, `national_targets`); each equals the selector it stands for."""
    from programs import reference
    from students.demo import demo_generate
    from students.facts import facts_rebuild

    demo_generate(scale=0.003, first_fy=2021, last_fy=2025, seed=5)
    facts_rebuild()
    university_id = population[university].pk if university else None
    targets = selectors.national_targets()
    columns = ["founder", "national_group", "field", "is_international", "is_working_adult"]
    published_years = sorted(reference.PUBLISHED_BREAKDOWN)
    for fy in (2019, 2021, 2023, FY, 2026):
        scope = Scope(fy, floor, university_id)
        read = selectors.counted(scope, until=2031, program_years=[fy, *published_years])
        assert read.headcount(fy) == selectors.headcount(scope) == sum(read.per_program[fy].values())
        assert read.per_program[fy] == selectors.by_program(scope)
        assert {y: read.per_program[y] for y in published_years} == selectors.by_program_per_year(
            scope, published_years
        )
        assert selectors.trend(scope, until=2031, tracked=read.per_year, targets=targets) == selectors.trend(
            scope, until=2031
        )
        assert selectors.breakdowns(scope, columns) == {c: selectors.breakdown(scope, c) for c in columns}
        assert targets.target_for(fy) == selectors.target_for(fy)
        assert targets.published_headcounts() == selectors.published_headcounts()
    assert selectors.headcount(Scope(FY, university_id=university_id)) > 0
