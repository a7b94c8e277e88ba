"""Issue #14: the counts kept beside the facts (NationalYearCount, UniversityYearCount) equal the
same counts taken from the fact rows afresh after every kind of write, and the national page
shows the same figures from them as from the fact rows."""

from datetime import date

import pytest

from programs.models import Program
from students import imports, services
from students.facts import counts_rebuild, facts_rebuild
from students.models import Award, NationalYearCount, Student, UniversityYearCount
from tests.factories import StudentFactory
from tests.students.kept_counts import assert_counts_kept, kept

pytestmark = pytest.mark.django_db

HEADER = "学籍番号,研究者番号,姓,名,学系,入学日,標準修業年限,在籍状況,修了・退学日,留学生,社会人学生,支援事業,支援開始日,支援終了日,生活費相当額（年額）,研究費（年額）,予約採用"


def test_the_population_is_counted_alike(population):
    national, _universities = kept()
    assert sum(n for (fy, *_rest), n in national.items() if fy == 2025) == 4
    assert_counts_kept()


def test_the_counts_follow_every_kind_of_write(population):
    b, staff_a, s = population["b"], population["staff_a"], population["students"]
    spring, ra = Program.objects.get(code="SPRING"), Program.objects.get(code="EMERGENT_RA")
    # A new award, counted (a new key), then edited below the floor, then its amount raised by an event.
    new = services.award_create(
        student=s[3],
        program=spring,
        start_date=date(2025, 4, 1),
        end_date=date(2027, 3, 31),
        annual_living_cost=1_800_000,
        acting_user=staff_a,
    )
    assert_counts_kept()
    new = services.award_update(award=new, annual_living_cost=100_000, acting_user=staff_a)
    assert_counts_kept()
    services.award_event_create(
        award=new, kind="amount_change", start_date=date(2025, 10, 1), annual_living_cost=3_000_000, acting_user=staff_a
    )
    assert_counts_kept()
    # The transfer's award at A deleted: the person's representative moves to B.
    services.award_delete(award=Award.objects.get(student=s[6]), acting_user=staff_a)
    assert_counts_kept()
    # A student's breakdown column, and an e-Rad number joining a record to another person.
    services.student_update(student=s[1], field="health", is_international=True, acting_user=staff_a)
    assert_counts_kept()
    # A record of a person with records at two universities deleted: its rows go, the person is
    # counted again without it; and a record of a person alone.
    services.student_delete(student=Student.objects.get(pk=s[7].pk), acting_user=population["staff_b"])
    assert_counts_kept()
    services.student_delete(student=Student.objects.get(pk=s[4].pk), acting_user=staff_a)
    assert_counts_kept()
    # A new student at B with an RA award, then an e-Rad number joining it to a student at A.
    other = StudentFactory(university=b)
    services.award_create(
        student=other,
        program=ra,
        start_date=date(2025, 4, 1),
        end_date=date(2026, 3, 31),
        annual_living_cost=2_000_000,
        acting_user=population["staff_b"],
    )
    assert_counts_kept()
    services.student_update(student=s[2], erad_number="22223333", acting_user=staff_a)
    services.student_update(student=other, erad_number="22223333", acting_user=population["staff_b"])
    assert_counts_kept()
    services.student_update(student=Student.objects.get(pk=other.pk), erad_number="", acting_user=staff_a)
    assert_counts_kept()


def test_an_upload_keeps_the_counts(population):
    a, staff_a = population["a"], population["staff_a"]
    content = "\r\n".join(
        [
            HEADER,
            # new students
            "U1,,山田,花子,工学系,2025-04-01,3,在籍,,1,0,SPRING,2025-04-01,2028-03-31,1800000,,0",
            "U2,33334444,佐藤,太郎,science,2025-04-01,3,enrolled,,0,1,EMERGENT_RA,2026-04-01,2027-03-31,2000000,,0",
            # an existing student's new award
            "S3,,名前,三,science,2024-04-01,3,在籍,,0,0,JSPS_DC1,2025-04-01,2028-03-31,2400000,,0",
        ]
    )
    plan = imports.import_check(university=a, content=(content + "\r\n").encode(), filename="counts.csv")
    assert plan.result.errors == []
    imports.import_apply(plan=plan, acting_user=staff_a)
    assert Student.objects.filter(university=a, student_number__in=["U1", "U2"]).count() == 2
    assert_counts_kept()


def test_a_rebuild_leaves_one_row_a_count_and_mends_counts_gone_wrong(population):
    s, staff_a = population["students"], population["staff_a"]
    for cost in (1_900_000, 1_000_000, 2_000_000):
        services.award_update(award=Award.objects.get(student=s[1]), annual_living_cost=cost, acting_user=staff_a)
    national, universities = kept()
    assert NationalYearCount.objects.count() > len(national)  # a change a row until summed up
    # A rebuild over up-to-date facts moves no count: it adds no row before it sums them up.
    facts_rebuild()
    assert_counts_kept()
    assert NationalYearCount.objects.count() == len(national)
    assert UniversityYearCount.objects.count() == len(universities)
    NationalYearCount.objects.create(
        fiscal_year=2025, person_program="SPRING", founder="national", field="science", national_group=4,
        is_international=False, is_working_adult=False, persons=5,
    )  # fmt: skip
    UniversityYearCount.objects.filter(program="SPRING").delete()
    counts_rebuild()
    assert_counts_kept()


def test_a_refresh_that_moves_no_count_adds_no_row(population):
    s, staff_a = population["students"], population["staff_a"]
    before = (NationalYearCount.objects.count(), UniversityYearCount.objects.count())
    services.student_update(student=s[3], family_name="別名", acting_user=staff_a)  # not on the facts
    services.award_update(award=Award.objects.get(student=s[1]), annual_research_cost=900_000, acting_user=staff_a)
    assert (NationalYearCount.objects.count(), UniversityYearCount.objects.count()) == before


def test_the_national_figures_from_the_kept_counts_equal_the_fact_rows_counted_afresh(population):
    """What the national page reads from the kept counts (changes not yet summed up among them)
    equals the fact rows counted as the page counted them before the kept counts."""
    from django.db.models import Count, Sum

    from dashboards import selectors
    from dashboards.selectors import Scope
    from students.demo import demo_generate
    from students.models import StudentYearAwards, StudentYearFact

    demo_generate(scale=0.003, first_fy=2021, last_fy=2025, seed=5)
    facts_rebuild()
    staff_a = population["staff_a"]
    services.award_delete(award=Award.objects.get(student=population["students"][6]), acting_user=staff_a)
    services.student_update(student=population["students"][1], field="health", acting_user=staff_a)
    assert NationalYearCount.objects.count() > len(kept()[0])
    counted = StudentYearFact.objects.filter(is_representative=True, person_counts=True)
    for fy in (2024, 2025):
        scope = Scope(fy)
        facts = counted.filter(fiscal_year=fy)
        assert selectors.headcount(scope) == facts.count() > 4
        assert selectors.by_program(scope) == dict(facts.values_list("person_program").annotate(n=Count("*")))
        columns = ["founder", "national_group", "field", "is_international", "is_working_adult"]
        assert selectors.breakdowns(scope, columns) == {
            c: dict(facts.values_list(c).annotate(n=Count("*")).order_by()) for c in columns
        }
        page = selectors.counted(scope, until=2030, program_years=[fy])
        assert page.per_year == dict(counted.values_list("fiscal_year").annotate(n=Count("*")).order_by())
        awards = StudentYearAwards.objects.filter(fiscal_year=fy)
        assert selectors.gross_awards(fy) == dict(awards.values_list("program").annotate(n=Sum("awards")).order_by())
        records = StudentYearFact.objects.filter(counts=True)
        table = {
            (r.university_id, r.counted, r.previous, r.awards) for r in selectors.university_table(scope)
        }  # fmt: skip
        per_university = dict(
            records.filter(fiscal_year=fy).values_list("university_id").annotate(n=Count("*")).order_by()
        )
        previous = dict(
            records.filter(fiscal_year=fy - 1).values_list("university_id").annotate(n=Count("*")).order_by()
        )
        held = dict(awards.values_list("university_id").annotate(n=Sum("awards")).order_by())
        assert table == {
            (u, per_university.get(u, 0), previous.get(u, 0), held.get(u, 0))
            for u in set(per_university) | set(previous) | set(held)
        }


def test_who_holds_a_program_read_from_the_kept_counts_equals_the_award_counts_read_afresh(population):
    """Who must report (students.selectors.programs_held, from the kept counts with their change
    rows not yet summed up) equals the derived award counts read afresh; a university whose only
    award of a program in a year is deleted holds it no more, and a postdoctoral award holds its
    program like any other."""
    from students.models import StudentYearAwards
    from students.selectors import programs_held

    a, b = population["a"], population["b"]
    years = range(2019, 2031)
    assert {(2025, a.pk, "EMERGENT_RA"), (2025, b.pk, "JSPS_PD"), (2024, a.pk, "SPRING")} <= programs_held(
        fiscal_years=years
    )
    only = Award.objects.get(student=population["students"][3])  # A's only EMERGENT_RA award
    services.award_delete(award=only, acting_user=population["staff_a"])
    afresh = set(
        StudentYearAwards.objects.filter(fiscal_year__in=years)
        .values_list("fiscal_year", "university_id", "program")
        .distinct()
    )
    assert programs_held(fiscal_years=years) == afresh
    assert (2025, a.pk, "EMERGENT_RA") not in afresh
    assert programs_held(fiscal_years=[2025], university_id=b.pk, programs=["JSPS_PD", "SPRING"]) == {
        (2025, b.pk, "JSPS_PD"),
        (2025, b.pk, "SPRING"),
    }
