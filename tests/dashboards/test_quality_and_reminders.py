"""Who must report and who is late; timeliness and data-quality counts; reminders by email."""

from datetime import UTC, date, datetime

import pytest
from django.core import mail

from careers import reminders as career_reminders
from careers.models import CareerOutcome
from dashboards import quality
from programs.models import Program
from reports import reminders as report_reminders
from reports.models import Report, ReportDeadline
from reports.selectors import report_statuses
from reports.services import deadline_set
from students.models import Award, AwardEvent, ReminderSent
from tests.factories import AwardFactory, StudentFactory, user_with_role

pytestmark = pytest.mark.django_db


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)  # noon in Japan


@pytest.mark.parametrize(
    ("happened", "recorded", "late"),
    [
        (date(2025, 4, 10), date(2025, 5, 10), False),  # exactly one month: in time
        (date(2025, 4, 10), date(2025, 5, 11), True),
        (date(2025, 1, 31), date(2025, 2, 28), False),  # one month after 31 January is 28 February
        (date(2025, 1, 31), date(2025, 3, 1), True),
    ],
)
def test_recorded_late_means_more_than_one_calendar_month(happened, recorded, late):
    assert quality.recorded_late(happened, at(recorded)) is late


@pytest.fixture
def two_universities(reference, university_a, university_b):
    """A: one award recorded late, one in time, one change recorded late, one completer with no
    career record, no FY2025 report. B: everything in time and its FY2025 report submitted."""
    a1 = AwardFactory(student=StudentFactory(university=university_a), start_date=date(2025, 4, 1))
    a2 = AwardFactory(student=StudentFactory(university=university_a), start_date=date(2025, 4, 1))
    Award.objects.filter(pk=a1.pk).update(created_at=at(date(2025, 6, 1)))
    Award.objects.filter(pk=a2.pk).update(created_at=at(date(2025, 4, 5)))
    event = AwardEvent.objects.create(award=a2, kind="suspension", start_date=date(2025, 10, 1))
    AwardEvent.objects.filter(pk=event.pk).update(created_at=at(date(2025, 12, 1)))
    StudentFactory(university=university_a, status="completed", completion_date=date(2025, 3, 31))
    b1 = AwardFactory(student=StudentFactory(university=university_b), start_date=date(2025, 4, 1))
    Award.objects.filter(pk=b1.pk).update(created_at=at(date(2025, 4, 2)))
    Report.objects.create(
        university=university_b,
        program=b1.program,
        fiscal_year=2025,
        state="submitted",
        submitted_at=at(date(2026, 6, 3)),
    )
    return a1


def test_report_statuses_put_the_late_first(two_universities, university_a, university_b):
    statuses = report_statuses(fiscal_year=2025, today=date(2026, 6, 10))
    assert [(s.university_name, s.state, s.overdue, s.submitted_late) for s in statuses] == [
        (university_a.name_ja, "not_started", True, False),
        (university_b.name_ja, "submitted", False, True),  # submitted on 3 June, due 31 May
    ]
    before = report_statuses(fiscal_year=2025, today=date(2026, 5, 31))
    assert not any(s.overdue for s in before)


def test_quality_ranking_counts_each_kind(two_universities, university_a, university_b):
    ranking = quality.quality_ranking(today=date(2026, 6, 10))
    first, second = ranking
    assert first.university_name == university_a.name_ja
    assert dict(first.counts) == {"late_awards": 1, "late_changes": 1, "missing_careers": 2, "overdue_reports": 1}
    # missing careers: completion (due 2025-03-31) and year 1 (due 2026-03-31), both past a month
    assert first.total == 5
    # checked: 2 awards, 1 change, 2 career records past their month, 1 report past its deadline
    assert dict(first.checked) == {"late_awards": 1 + 1, "late_changes": 1, "missing_careers": 2, "overdue_reports": 1}
    assert first.rate == 83.3  # 5 problems in 6 records
    assert second.total == 0
    assert (second.checked_total, second.rate) == (2, 0.0)  # 1 award, 1 report


def test_a_rate_from_a_handful_of_records_is_shown_after_the_ranked(reference, university_a, university_b):
    """A: 20 awards, 2 recorded late (10 per 100), ranked. B: 1 award, late (100 per 100), but
    one record is too few for a rate: B comes after A, its rate shown as a reference."""
    for number in range(20):
        award = AwardFactory(student=StudentFactory(university=university_a), start_date=date(2025, 4, 1))
        Award.objects.filter(pk=award.pk).update(created_at=at(date(2025, 6, 1) if number < 2 else date(2025, 4, 2)))
    award = AwardFactory(student=StudentFactory(university=university_b), start_date=date(2025, 4, 1))
    Award.objects.filter(pk=award.pk).update(created_at=at(date(2025, 6, 1)))

    ranking = quality.quality_ranking(today=date(2025, 12, 1))
    assert [(r.university_name, r.rate, r.too_few_to_rank) for r in ranking] == [
        (university_a.name_ja, 10.0, False),
        (university_b.name_ja, 100.0, True),
    ]


def test_a_university_sees_its_own_standing(two_universities, university_a, university_b):
    today = date(2026, 6, 10)
    own = quality.standing(university_id=university_a.pk, today=today)
    assert (own["row"].total, own["row"].checked_total, own["row"].rate) == (5, 6, 83.3)
    assert (own["place"], own["of"]) == (1, 1)  # the only university with problems
    clean = quality.standing(university_id=university_b.pk, today=today)
    assert (clean["row"].total, clean["place"], clean["of"]) == (0, None, 1)


def test_quality_ranking_compares_rates_not_sizes(reference, university_a, university_b):
    """A records 10 awards, 2 of them late; B records 1, late. A has more problems, B the higher
    rate: B comes first. (December 2025: no report or career record is due yet.)"""
    for number in range(10):
        award = AwardFactory(student=StudentFactory(university=university_a), start_date=date(2025, 4, 1))
        recorded = date(2025, 6, 1) if number < 2 else date(2025, 4, 2)
        Award.objects.filter(pk=award.pk).update(created_at=at(recorded))
    award = AwardFactory(student=StudentFactory(university=university_b), start_date=date(2025, 4, 1))
    Award.objects.filter(pk=award.pk).update(created_at=at(date(2025, 6, 1)))

    ranking = quality.quality_ranking(today=date(2025, 12, 1))
    assert [(r.university_name, r.total, r.checked_total, r.rate) for r in ranking] == [
        (university_b.name_ja, 1, 1, 100.0),
        (university_a.name_ja, 2, 10, 20.0),
    ]


def test_fix_list_names_the_universitys_own_items(two_universities, university_a):
    fixes = quality.fix_list(university=university_a, today=date(2026, 6, 10))
    assert fixes["counts"] == {"late_awards": 1, "late_changes": 1, "missing_careers": 2, "overdue_reports": 1}
    assert [row.award_id for row in fixes["late_awards"]] == [two_universities.pk]
    assert [d.survey_point for d in fixes["missing_careers"]] == ["completion", "year_1"]


@pytest.fixture
def due_report(reference, university_a):
    user = user_with_role("a_staff", "university_staff", university=university_a)
    user.email = "staff@a.example"
    user.save()
    AwardFactory(student=StudentFactory(university=university_a), start_date=date(2025, 4, 1))
    spring = Program.objects.get(code="SPRING")
    assert ReportDeadline.objects.get(program=spring, fiscal_year=2025).due_date == date(2026, 5, 31)
    return spring


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 5, 16), []),  # 15 days before: too early
        (date(2026, 5, 17), ["before"]),  # 14 days before
        (date(2026, 5, 31), ["before"]),  # the day itself
        (date(2026, 6, 1), ["overdue"]),
    ],
)
def test_report_reminders_go_out_at_the_right_times_once(due_report, today, expected):
    assert report_reminders.send_report_reminders(today) == len(expected)
    assert [key.split(":")[1] for key in ReminderSent.objects.values_list("key", flat=True)] == expected
    assert len(mail.outbox) == len(expected)
    if expected:
        assert mail.outbox[0].to == ["staff@a.example"]
        assert "SPRING" in mail.outbox[0].subject
        assert "2026-05-31" in mail.outbox[0].subject
    assert report_reminders.send_report_reminders(today) == 0  # beat runs again: nothing new
    assert len(mail.outbox) == len(expected)


def test_a_deadline_moved_later_gets_its_own_reminders(due_report):
    officer = user_with_role("officer", "program_officer", programs=Program.objects.filter(code="SPRING"))
    assert report_reminders.send_report_reminders(date(2026, 6, 1)) == 1  # overdue on the old deadline
    deadline_set(program=due_report, fiscal_year=2025, due_date=date(2026, 6, 10), acting_user=officer)
    assert report_reminders.send_report_reminders(date(2026, 6, 2)) == 1  # 8 days before the new deadline
    assert "2026-06-10" in mail.outbox[-1].subject
    assert "近づいています" in mail.outbox[-1].subject
    assert report_reminders.send_report_reminders(date(2026, 6, 5)) == 0
    assert report_reminders.send_report_reminders(date(2026, 6, 11)) == 1  # overdue on the new deadline
    assert "過ぎています" in mail.outbox[-1].subject
    assert len(mail.outbox) == 3


def test_no_reminder_once_the_report_is_submitted(due_report, university_a):
    Report.objects.create(university=university_a, program=due_report, fiscal_year=2025, state="submitted")
    assert report_reminders.send_report_reminders(date(2026, 6, 1)) == 0
    assert mail.outbox == []


def test_career_reminders_once_a_month_while_records_are_due(reference, university_a):
    user = user_with_role("a_staff", "university_staff", university=university_a)
    user.email = "staff@a.example"
    user.save()
    student = StudentFactory(university=university_a, status="completed", completion_date=date(2026, 3, 31))
    assert career_reminders.send_career_reminders(date(2026, 3, 30)) == 0  # nothing due yet
    assert career_reminders.send_career_reminders(date(2026, 4, 2)) == 1
    assert "1件" in mail.outbox[0].subject
    assert career_reminders.send_career_reminders(date(2026, 4, 20)) == 0  # same month
    CareerOutcome.objects.create(student=student, survey_point="completion", destination="unknown")
    assert career_reminders.send_career_reminders(date(2026, 5, 2)) == 0  # entered: nothing due
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("happened", "recorded", "late"),
    [
        (date(2025, 4, 10), datetime(2025, 5, 10, 14, 59, tzinfo=UTC), False),  # 23:59 on 10 May in Japan
        (date(2025, 4, 10), datetime(2025, 5, 10, 15, 0, tzinfo=UTC), True),  # 00:00 on 11 May in Japan
        (date(2025, 1, 31), datetime(2025, 2, 28, 3, 0, tzinfo=UTC), False),
        (date(2025, 1, 31), datetime(2025, 3, 1, 3, 0, tzinfo=UTC), True),
        (date(2024, 1, 30), datetime(2024, 2, 29, 3, 0, tzinfo=UTC), False),  # leap year: 29 Feb is the day
        (date(2025, 12, 15), datetime(2026, 1, 15, 3, 0, tzinfo=UTC), False),  # across the calendar year
        (date(2025, 12, 15), datetime(2026, 1, 16, 3, 0, tzinfo=UTC), True),
        (date(2025, 6, 1), datetime(2025, 5, 1, 3, 0, tzinfo=UTC), False),  # recorded in advance
        (date(2023, 6, 1), datetime(2025, 5, 1, 3, 0, tzinfo=UTC), True),
    ],
)
def test_lateness_in_the_database_agrees_with_recorded_late(reference, university_a, happened, recorded, late):
    """The ranking and the fix list read the lateness the database stores for each award and
    change (`recorded_late`, kept from the two dates); it must agree with the rule."""
    award = AwardFactory(student=StudentFactory(university=university_a), start_date=happened, end_date=happened)
    event = AwardEvent.objects.create(award=award, kind="completion", start_date=happened)
    Award.objects.filter(pk=award.pk).update(created_at=recorded)
    AwardEvent.objects.filter(pk=event.pk).update(created_at=recorded)
    assert quality.recorded_late(happened, recorded) is late
    assert list(Award.objects.filter(recorded_late=True).values_list("pk", flat=True)) == ([award.pk] if late else [])
    assert list(AwardEvent.objects.filter(recorded_late=True).values_list("pk", flat=True)) == (
        [event.pk] if late else []
    )
