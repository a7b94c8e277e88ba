"""The home page's work list: what waits for staff, officers and ministry viewers."""

from datetime import UTC, date, datetime

import pytest

from careers.models import CareerOutcome
from dashboards import todo
from programs.models import Program
from reports.models import Report
from tests.factories import AwardFactory, StudentFactory, user_with_role

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 10)  # FY2025 reports were due on 31 May 2026


@pytest.fixture
def population(reference, university_a, university_b):
    """A: SPRING and BOOST awards in FY2025, no reports; one completer (31 March 2025) with the
    record at completion entered and the one a year later not. B: its SPRING report submitted."""
    for code in ("SPRING", "BOOST"):
        AwardFactory(
            student=StudentFactory(university=university_a),
            program=Program.objects.get(code=code),
            start_date=date(2025, 4, 1),
        )
    completer = StudentFactory(university=university_a, status="completed", completion_date=date(2025, 3, 31))
    CareerOutcome.objects.create(student=completer, survey_point="completion", destination="postdoc", sector="academia")
    b_award = AwardFactory(student=StudentFactory(university=university_b), start_date=date(2025, 4, 1))
    return Report.objects.create(
        university=university_b,
        program=b_award.program,
        fiscal_year=2025,
        state="submitted",
        submitted_at=datetime(2026, 5, 20, 3, tzinfo=UTC),
    )


def test_staff_see_their_late_reports_and_career_records(population, university_a):
    counts = {str(t.label): t.count for t in todo.staff_todos(university_id=university_a.pk, today=TODAY)}
    assert counts["期限を過ぎた未提出の報告"] == 2  # SPRING and BOOST for FY2025
    assert counts["提出が必要な報告（期限前）"] == 0
    assert counts["期限を過ぎた進路の未登録"] == 1  # year 1: due 2026-03-31, a month of grace gone
    assert counts["登録時期を迎えた進路"] == 0
    # The factories record both awards today, long after they started in April 2025: 2 late
    # awards, 1 overdue career record and 2 overdue reports count against the university.
    assert counts["データの適時性・品質の指摘"] == 2 + 1 + 2
    waiting = todo.reports_to_act_on(university_id=university_a.pk, today=TODAY)
    assert [(s.program_code, s.overdue) for s in waiting] == [("BOOST", True), ("SPRING", True)]
    # On 20 May the same reports are still ahead of their deadline.
    before = {str(t.label): t.count for t in todo.staff_todos(university_id=university_a.pk, today=date(2026, 5, 20))}
    assert (before["期限を過ぎた未提出の報告"], before["提出が必要な報告（期限前）"]) == (0, 2)


def test_officers_see_the_reports_submitted_to_them(population):
    spring = Program.objects.filter(code="SPRING").values_list("pk", flat=True)
    assert todo.reports_awaiting_officer(program_ids=list(spring)) == (1, [population])
    boost = Program.objects.filter(code="BOOST").values_list("pk", flat=True)
    assert todo.reports_awaiting_officer(program_ids=list(boost)) == (0, [])
    assert todo.reports_awaiting_officer(program_ids=None, shown=0)[0] == 1  # the count beyond what is shown
    assert todo.overdue_reports(today=TODAY, program_ids=None) == 2  # A's SPRING and BOOST


def test_home_page_by_role(client, population, university_a):
    assert "大学の担当者" in client.get("/").content.decode()  # the introduction, for visitors

    client.force_login(user_with_role("staff", "university_staff", university=university_a))
    page = client.get("/").content.decode()
    assert 'id="todo"' in page
    assert 'id="awaiting"' not in page
    assert "大学の担当者" not in page

    client.force_login(user_with_role("officer", "program_officer", programs=Program.objects.filter(code="SPRING")))
    page = client.get("/").content.decode()
    assert f'href="/students/reports/{population.pk}/"' in page
    assert 'id="todo"' not in page

    client.force_login(user_with_role("jsps", "program_officer", programs=Program.objects.filter(code="JSPS_DC1")))
    page = client.get("/").content.decode()
    assert f'href="/students/reports/{population.pk}/"' not in page
    assert "審査を待つ報告はありません" in page

    client.force_login(user_with_role("ministry", "ministry_viewer"))
    page = client.get("/").content.decode()
    assert 'id="overdue-reports"' in page
    assert 'id="awaiting"' not in page
    assert "/students/reports/" not in page  # aggregates only: no report pages offered


@pytest.mark.parametrize("today", [date(2026, 5, 20), TODAY])
def test_the_overdue_count_is_the_statuses_overdue(population, university_a, university_b, today):
    """The home page counts overdue reports without building the statuses: the same number, for
    every program set, with a draft (not in), a submitted report (in) and a report of a pair with
    no award of the year (it must report all the same)."""
    from reports.selectors import overdue_count, report_statuses

    spring, boost = Program.objects.get(code="SPRING"), Program.objects.get(code="BOOST")
    Report.objects.create(university=university_a, program=boost, fiscal_year=2025, state="draft")
    Report.objects.create(university=university_b, program=boost, fiscal_year=2025, state="draft")
    for program_ids in (None, [spring.pk], [boost.pk], [spring.pk, boost.pk], []):
        expected = sum(s.overdue for s in report_statuses(fiscal_year=2025, today=today, program_ids=program_ids))
        assert overdue_count(fiscal_year=2025, today=today, program_ids=program_ids) == expected
    assert overdue_count(fiscal_year=2025, today=TODAY) == 3  # A's SPRING and BOOST, B's BOOST draft


@pytest.mark.parametrize("today", [date(2026, 5, 20), TODAY, date(2027, 6, 10)])
def test_past_deadline_counts_are_the_statuses_counts_per_university(population, university_a, university_b, today):
    """The timeliness ranking counts reports past their deadline (checked) and overdue per
    university without building the statuses: the same numbers, over several years."""
    from collections import Counter

    from reports.models import ReportDeadline
    from reports.selectors import past_deadline_counts, report_statuses_by_year

    boost = Program.objects.get(code="BOOST")
    ReportDeadline.objects.update_or_create(program=boost, fiscal_year=2026, defaults={"due_date": date(2027, 5, 31)})
    AwardFactory(student=StudentFactory(university=university_b), program=boost, start_date=date(2026, 4, 1))
    Report.objects.create(university=university_a, program=boost, fiscal_year=2024, state="accepted")
    Report.objects.create(university=university_b, program=boost, fiscal_year=2025, state="draft")
    years = [2023, 2024, 2025, 2026]
    for university_id in (None, university_a.pk, university_b.pk):
        checked, overdue = Counter(), Counter()
        for statuses in report_statuses_by_year(fiscal_years=years, today=today, university_id=university_id).values():
            for s in statuses:
                if s.due_date is not None and s.due_date < today:
                    checked[s.university_id] += 1
                    overdue[s.university_id] += s.overdue
        counted = past_deadline_counts(fiscal_years=years, today=today, university_id=university_id)
        assert (dict(counted[0]), {u: counted[1][u] for u in checked}) == (dict(checked), dict(overdue))
