"""The timeliness ranking reads lateness the database stores (`recorded_late` of awards and
changes, kept from their two dates): after every kind of write it says what the rule
(`dashboards.quality.recorded_late`) says, and the ranking is what the definitions give, counted
one record at a time, on a generated data set. On SQLite and PostgreSQL (DATABASE_URL)."""

import random
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from careers.demo import demo_careers
from careers.models import CareerOutcome
from careers.selectors import YEARS_AFTER, is_overdue
from dashboards import quality
from programs.models import Program
from reports.demo import demo_reports
from reports.selectors import report_statuses_by_year
from students import imports, services
from students.demo import demo_generate, demo_history
from students.facts import facts_rebuild
from students.models import Award, AwardEvent, Student
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

LONG_AGO = date(2025, 4, 1)  # recorded today: more than a month late


def stored_as_the_rule_says() -> None:
    rows = [
        row
        for model in (Award, AwardEvent)
        for row in model.objects.values_list("start_date", "created_at", "recorded_late")
    ]
    assert rows
    assert [stored for _s, _c, stored in rows] == [quality.recorded_late(s, c) for s, c, _stored in rows]
    assert not AwardEvent.objects.exclude(university_id=F("award__university_id")).exists()


def _award(student, start: date, end: date = date(2028, 3, 31)) -> Award:
    return services.award_create(
        student=student, program=Program.objects.get(code="SPRING"), start_date=start, end_date=end, acting_user=None
    )


@pytest.fixture
def recent() -> date:
    """A start within the month before today: recorded today, in time."""
    return timezone.localdate() - timedelta(days=10)


def test_award_create_and_start_date_edit(reference, university_a, recent):
    late = _award(StudentFactory(university=university_a, entry_date=date(2024, 4, 1)), LONG_AGO)
    in_time = _award(StudentFactory(university=university_a, entry_date=date(2024, 4, 1)), recent)
    assert dict(Award.objects.values_list("pk", "recorded_late")) == {late.pk: True, in_time.pk: False}
    services.award_update(award=late, acting_user=None, start_date=recent)
    services.award_update(award=in_time, acting_user=None, start_date=LONG_AGO)
    assert dict(Award.objects.values_list("pk", "recorded_late")) == {late.pk: False, in_time.pk: True}
    stored_as_the_rule_says()


def test_event_create_and_withdraw(reference, university_a, recent):
    award = _award(StudentFactory(university=university_a, entry_date=date(2024, 4, 1)), LONG_AGO)
    late = services.award_event_create(
        award=award, kind="suspension", start_date=date(2025, 10, 1), end_date=date(2025, 12, 31), acting_user=None
    )
    in_time = services.award_event_create(
        award=award, kind="amount_change", start_date=recent, acting_user=None, annual_living_cost=2_000_000
    )
    assert dict(AwardEvent.objects.values_list("pk", "recorded_late")) == {late.pk: True, in_time.pk: False}
    stored_as_the_rule_says()
    services.award_event_withdraw(event=in_time, acting_user=None)
    ranking = quality.quality_ranking(today=timezone.localdate())
    assert (ranking[0].checked["late_changes"], ranking[0].counts["late_changes"]) == (1, 1)


def test_upload_apply_and_delete(reference, university_a, staff_a, recent):
    header = ",".join(imports.headers("en"))
    rows = [
        f"U001,,山田,花子,engineering,2024-04-01,3,enrolled,,0,0,SPRING,{LONG_AGO},2028-03-31,,,0",
        f"U002,,佐藤,太郎,engineering,2024-04-01,3,enrolled,,0,0,SPRING,{recent},2028-03-31,,,0",
    ]
    plan = imports.import_check(
        university=university_a, content="\n".join([header, *rows, ""]).encode(), filename="awards.csv"
    )
    assert plan.result.errors == []
    imports.import_apply(plan=plan, acting_user=staff_a)
    late = Award.objects.get(student__student_number="U001")
    assert dict(Award.objects.values_list("student__student_number", "recorded_late")) == {"U001": True, "U002": False}
    services.award_event_create(award=late, kind="suspension", start_date=date(2025, 10, 1), acting_user=None)
    stored_as_the_rule_says()
    counts = quality.quality_ranking(today=timezone.localdate())[0].counts
    assert (counts["late_awards"], counts["late_changes"]) == (1, 1)

    services.award_delete(award=late, acting_user=None)  # and its change with it
    counts = quality.quality_ranking(today=timezone.localdate())[0].counts
    assert (counts["late_awards"], counts["late_changes"]) == (0, 0)
    assert quality.late_ids(university_a.pk) == ([], [])


# --- The ranking against the definitions, record by record ------------------------------------


def ranking_by_definition(today: date) -> dict[int, tuple[dict, dict]]:
    """Per university: (records checked, problems) of each kind, read one record at a time with
    the rules themselves."""
    checked: dict[int, Counter] = defaultdict(Counter)
    problems: dict[int, Counter] = defaultdict(Counter)
    for model, kind, university in (
        (Award, "late_awards", "university_id"),
        (AwardEvent, "late_changes", "award__university_id"),
    ):
        for uid, happened, recorded in model.objects.values_list(university, "start_date", "created_at"):
            checked[uid][kind] += 1
            problems[uid][kind] += quality.recorded_late(happened, recorded)
    finished = Student.objects.filter(status__in=["completed", "withdrawn"], completion_date__isnull=False)
    for student in finished.prefetch_related("careers"):
        recorded = {c.survey_point for c in student.careers.all()}
        for point in YEARS_AFTER:
            if is_overdue(student.completion_date, point, today):
                checked[student.university_id]["missing_careers"] += 1
                problems[student.university_id]["missing_careers"] += point not in recorded
    for statuses in report_statuses_by_year(fiscal_years=quality.fiscal_years_to_check(today), today=today).values():
        for status in statuses:
            if status.due_date and status.due_date < today:
                checked[status.university_id]["overdue_reports"] += 1
                problems[status.university_id]["overdue_reports"] += status.overdue
    return {
        uid: ({k: n for k, n in checked[uid].items() if n}, {k: n for k, n in problems[uid].items() if n})
        for uid in checked
    }


@pytest.fixture
def generated(reference):
    demo_generate(scale=0.004, first_fy=2019, last_fy=2025, seed=7)
    facts_rebuild()
    past = date(2026, 6, 30)
    demo_history(today=past)
    demo_careers(today=past, rng=random.Random(7))
    demo_reports(today=past, rng=random.Random(7))


@pytest.mark.parametrize("today", [date(2026, 7, 15), date(2027, 6, 10)])
def test_the_ranking_is_what_the_definitions_give(generated, today):
    expected = ranking_by_definition(today)
    assert sum(sum(problems.values()) for _checked, problems in expected.values()) > 0
    assert sum(1 for _checked, problems in expected.values() if problems.get("late_awards")) > 1
    ranking = quality.quality_ranking(today=today)
    got = {
        r.university_id: ({k: n for k, n in r.checked.items() if n}, {k: n for k, n in r.counts.items() if n})
        for r in ranking
    }
    assert got == expected
    assert ranking == sorted(ranking, key=lambda r: (r.too_few_to_rank, -r.rate, -r.total, r.university_name))
    university_id = ranking[0].university_id
    assert quality.quality_ranking(today=today, university_id=university_id) == [ranking[0]]
    CareerOutcome.objects.filter(university_id=university_id).delete()  # a write: the stored counts follow
    assert ranking_by_definition(today)[university_id] == next(
        ({k: n for k, n in r.checked.items() if n}, {k: n for k, n in r.counts.items() if n})
        for r in quality.quality_ranking(today=today)
        if r.university_id == university_id
    )
