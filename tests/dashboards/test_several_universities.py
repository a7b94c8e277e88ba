"""Persons counted at two or more universities in a year (DOMAIN.md: A person, a transfer), read
from the person-level columns the facts refresh keeps, equal to the definition over every record
of the year (group by person, distinct universities where a record counts) at the floor in force
and at what-if floors, through additions, edits and deletions, and after a rebuild."""

from datetime import date

import pytest
from django.db.models import Count, Q

from dashboards.selectors import Scope, persons_at_several_universities
from programs.models import Program
from students import services
from students.demo import demo_generate
from students.facts import facts_rebuild
from students.models import StudentYearFact
from tests.dashboards.test_rebuild import snapshot
from tests.factories import StudentFactory, UniversityFactory, user_with_role

pytestmark = pytest.mark.django_db
FY = 2025
FLOORS = [
    None,
    1,
    900_000,
    1_000_000,
    1_200_000,
    1_200_001,
    1_500_000,
    1_500_001,
    1_799_999,
    1_800_000,
    1_800_001,
    2_000_000,
    2_400_000,
    2_400_001,
    5_000_000,
]


def by_grouping(scope: Scope) -> int:
    """The definition over every record of the year: persons whose records count (peak_rate >= X
    at a what-if floor X) at two or more distinct universities."""
    condition = Q(counts=True) if scope.floor is None else Q(peak_rate__gte=scope.floor)
    return (
        StudentYearFact.objects.filter(fiscal_year=scope.fiscal_year)
        .filter(condition)
        .values("person_key")
        .annotate(universities=Count("university_id", distinct=True))
        .filter(universities__gt=1)
        .count()
    )


def assert_both_definitions_agree(years=range(2021, 2028)) -> None:
    for fy in years:
        for floor in FLOORS:
            scope = Scope(fy, floor)
            assert persons_at_several_universities(scope) == by_grouping(scope), (fy, floor)


def _award(student, code, start, end, living, user):
    return services.award_create(
        student=student,
        program=Program.objects.get(code=code),
        start_date=start,
        end_date=end,
        annual_living_cost=living,
        acting_user=user,
    )


@pytest.fixture
def transfers(reference):
    """Persons in FY2025 (peaks are annual living-cost rates; the floor in force is ¥1,800,000):

    | person | records (university: support)                                   | counted at | X up to   |
    |--------|-----------------------------------------------------------------|------------|-----------|
    | P1     | A: SPRING ¥1.8M Apr–Sep; B: DC1 ¥2.4M from Oct                    | A, B       | 1,800,000 |
    | P2     | A: EMERGENT_RA ¥1.2M all year; B: SPRING ¥1.8M from Oct           | B          | 1,200,000 |
    | P3     | A: SPRING ¥1.5M Apr–Jul; B: SPRING ¥2.0M Aug–Nov; C: RA ¥1.0M Dec– | B          | 1,500,000 |
    | P4     | A: SPRING ¥1.8M in FY2024; B: SPRING ¥1.8M from FY2025             | one a year | —         |
    | P5     | A: SPRING ¥1.8M all year; B: EMERGENT_RA ¥1.0M, suspended all year | A          | 0         |
    """
    a, b, c = (UniversityFactory(name_ja=name) for name in ("甲大学", "乙大学", "丙大学"))
    user = user_with_role("several_admin", "administrator")
    apr, mar = date(2025, 4, 1), date(2026, 3, 31)

    def record(university, erad, entry=date(2024, 4, 1)):
        return StudentFactory(university=university, erad_number=erad, entry_date=entry)

    p1a, p1b = record(a, "10000001"), record(b, "10000001", date(2025, 10, 1))
    _award(p1a, "SPRING", apr, date(2025, 9, 30), 1_800_000, user)
    _award(p1b, "JSPS_DC1", date(2025, 10, 1), date(2028, 3, 31), 2_400_000, user)
    p2a, p2b = record(a, "10000002"), record(b, "10000002", date(2025, 10, 1))
    _award(p2a, "EMERGENT_RA", apr, mar, 1_200_000, user)
    _award(p2b, "SPRING", date(2025, 10, 1), date(2028, 3, 31), 1_800_000, user)
    p3a, p3b, p3c = record(a, "10000003"), record(b, "10000003"), record(c, "10000003")
    _award(p3a, "SPRING", apr, date(2025, 7, 31), 1_500_000, user)
    _award(p3b, "SPRING", date(2025, 8, 1), date(2025, 11, 30), 2_000_000, user)
    _award(p3c, "EMERGENT_RA", date(2025, 12, 1), mar, 1_000_000, user)
    p4a, p4b = record(a, "10000004"), record(b, "10000004", date(2025, 4, 1))
    _award(p4a, "SPRING", date(2024, 4, 1), date(2025, 3, 31), 1_800_000, user)
    _award(p4b, "SPRING", apr, date(2027, 3, 31), 1_800_000, user)
    p5a, p5b = record(a, "10000005"), record(b, "10000005")
    _award(p5a, "SPRING", apr, mar, 1_800_000, user)
    suspended = _award(p5b, "EMERGENT_RA", apr, mar, 1_000_000, user)
    services.award_event_create(
        award=suspended, kind="suspension", start_date=apr, end_date=mar, reason="休学", acting_user=user
    )
    return {"p1": (p1a, p1b), "p3": (p3a, p3b, p3c), "p5": (p5a, p5b)}


def several_columns(student, fy=FY):
    return StudentYearFact.objects.filter(student=student, fiscal_year=fy).values_list(
        "person_several_universities", "person_several_up_to"
    )[0]


@pytest.mark.parametrize(
    ("floor", "expected"),
    [(None, 1), (1, 3), (1_200_000, 3), (1_200_001, 2), (1_500_000, 2), (1_500_001, 1), (1_800_000, 1), (2_000_000, 0)],
)
def test_persons_at_several_universities_at_the_floor_in_force_and_what_if_floors(transfers, floor, expected):
    assert persons_at_several_universities(Scope(FY, floor)) == expected
    assert by_grouping(Scope(FY, floor)) == expected


def test_the_columns_are_the_persons_and_equal_on_each_of_their_records(transfers):
    assert {several_columns(s) for s in transfers["p1"]} == {(True, 1_800_000)}
    assert {several_columns(s) for s in transfers["p3"]} == {(False, 1_500_000)}
    assert {several_columns(s) for s in transfers["p5"]} == {(False, 0)}  # B's suspended record peaks at 0
    assert several_columns(transfers["p1"][1], 2026) == (False, None)  # only at B in FY2026


def test_both_definitions_agree_on_generated_data_with_transfers(transfers):
    demo_generate(scale=0.005, first_fy=2021, last_fy=2025, seed=11)
    facts_rebuild()
    assert StudentYearFact.objects.filter(person_several_up_to__isnull=False).exists()
    assert_both_definitions_agree()
    assert persons_at_several_universities(Scope(FY)) > 1  # the demo's transfers beside P1


def test_a_transfer_added_edited_and_deleted_keeps_the_columns_exact_and_equal_to_a_rebuild(reference):
    a, b = UniversityFactory(name_ja="甲大学"), UniversityFactory(name_ja="乙大学")
    user = user_with_role("several_editor", "administrator")
    first = StudentFactory(university=a, erad_number="20000001", entry_date=date(2024, 4, 1))
    _award(first, "SPRING", date(2025, 4, 1), date(2025, 9, 30), 1_800_000, user)

    def check(expected_columns, expected_count):
        assert several_columns(first) == expected_columns
        assert persons_at_several_universities(Scope(FY)) == expected_count
        assert_both_definitions_agree(years=[2024, 2025, 2026])
        incremental = snapshot()
        facts_rebuild()
        assert snapshot() == incremental

    check((False, None), 0)
    # the second record is added (the person moves to B), then its support
    second = services.student_create(
        university=b,
        acting_user=user,
        student_number="T1",
        family_name="転学",
        field="science",
        entry_date=date(2025, 10, 1),
        erad_number="20000001",
    )
    check((False, None), 0)
    support = _award(second, "SPRING", date(2025, 10, 1), date(2028, 3, 31), 2_400_000, user)
    check((True, 1_800_000), 1)
    # edited: B's support falls below the floor, then the e-Rad number is cleared and set again
    support = services.award_update(award=support, annual_living_cost=1_500_000, acting_user=user)
    check((False, 1_500_000), 0)
    services.student_update(student=second, erad_number="", acting_user=user)
    check((False, None), 0)
    second.refresh_from_db()
    services.student_update(student=second, erad_number="20000001", acting_user=user)
    check((False, 1_500_000), 0)
    services.award_update(award=support, annual_living_cost=2_400_000, acting_user=user)
    check((True, 1_800_000), 1)
    # deleted: its support, then the record
    services.award_delete(award=support, acting_user=user)
    check((False, None), 0)
    _award(second, "SPRING", date(2025, 10, 1), date(2028, 3, 31), 2_400_000, user)
    check((True, 1_800_000), 1)
    second.refresh_from_db()
    services.student_delete(student=second, acting_user=user)
    check((False, None), 0)


def test_the_migration_fills_the_stored_rows_as_the_refresh_computes_them(transfers):
    import importlib

    from django.apps import apps

    demo_generate(scale=0.005, first_fy=2021, last_fy=2025, seed=11)
    facts_rebuild()
    computed = snapshot()
    StudentYearFact.objects.update(person_several_universities=False, person_several_up_to=None)
    importlib.import_module("students.migrations.0023_several_universities").fill(apps, None)
    assert snapshot() == computed
