"""Reports and careers moved out of students (students 0009/0010, reports 0001, careers 0001):
the rows stay, accepted reports become year locks, and content types follow the models."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("students", "0008_award_university"), ("reports", None), ("careers", None)]


def migrate(targets, state_at):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(state_at).apps


@pytest.mark.django_db(transaction=True)
def test_moving_reports_and_careers_keeps_every_row():
    old = migrate(BEFORE, [BEFORE[0], ("contenttypes", "0002_remove_content_type_name")])
    University = old.get_model("students", "University")
    Program = old.get_model("programs", "Program")
    Student = old.get_model("students", "Student")
    Report = old.get_model("students", "Report")
    CareerOutcome = old.get_model("students", "CareerOutcome")
    ContentType = old.get_model("contenttypes", "ContentType")
    ContentType.objects.get_or_create(app_label="students", model="report")
    university = University.objects.create(name_ja="移行大学", founder="national")
    program = Program.objects.create(code="MIGRATE", name_ja="移行", agency="JST", audience="doctoral", term_years=3)
    student = Student.objects.create(
        university=university,
        student_number="M1",
        field="science",
        entry_date=date(2020, 4, 1),
        status="completed",
        completion_date=date(2023, 3, 31),
    )
    Report.objects.create(university=university, program=program, fiscal_year=2023, state="accepted")
    Report.objects.create(university=university, program=program, fiscal_year=2024, state="submitted")
    CareerOutcome.objects.create(student=student, survey_point="completion", destination="postdoc", sector="academia")

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    new = migrate(latest, latest)

    reports = new.get_model("reports", "Report").objects.order_by("fiscal_year")
    assert [(r.fiscal_year, r.state) for r in reports] == [(2023, "accepted"), (2024, "submitted")]
    assert new.get_model("careers", "CareerOutcome").objects.get().destination == "postdoc"
    locks = new.get_model("students", "YearLock").objects.values_list("program_id", "fiscal_year")
    assert list(locks) == [(program.pk, 2023)]  # only the accepted year is locked
    ContentType = new.get_model("contenttypes", "ContentType")
    assert ContentType.objects.filter(app_label="reports", model="report").exists()
    assert not ContentType.objects.filter(app_label="students", model="report").exists()


@pytest.mark.django_db(transaction=True)
def test_stored_lateness_and_the_changes_university_are_filled_for_existing_rows():
    """students 0026: awards and changes recorded before it get `recorded_late` (the rule, from
    their two dates) and each change its award's university."""
    from datetime import UTC, datetime

    from dashboards.quality import recorded_late

    before = [("students", "0025_upload_check_fingerprint")]
    old = migrate(before, before)
    University = old.get_model("students", "University")
    Program = old.get_model("programs", "Program")
    Student = old.get_model("students", "Student")
    Award = old.get_model("students", "Award")
    AwardEvent = old.get_model("students", "AwardEvent")
    university = University.objects.create(name_ja="移行大学", founder="national")
    program = Program.objects.create(code="MIGRATE", name_ja="移行", agency="JST", audience="doctoral", term_years=3)
    student = Student.objects.create(
        university=university, student_number="M1", field="science", entry_date=date(2024, 4, 1)
    )
    recorded = {
        date(2025, 4, 10): datetime(2025, 5, 10, 14, 59, tzinfo=UTC),  # 23:59 on 10 May in Japan: in time
        date(2025, 4, 11): datetime(2025, 5, 11, 15, 0, tzinfo=UTC),  # 00:00 on 12 May in Japan: late
    }
    for start, at in recorded.items():
        award = Award.objects.create(
            student=student,
            university=university,
            program=program,
            start_date=start,
            end_date=date(2027, 3, 31),
            annual_living_cost=1_800_000,
        )
        event = AwardEvent.objects.create(award=award, kind="suspension", start_date=start)
        Award.objects.filter(pk=award.pk).update(created_at=at)
        AwardEvent.objects.filter(pk=event.pk).update(created_at=at)

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    new = migrate(latest, latest)

    expected = {start: recorded_late(start, at) for start, at in recorded.items()}
    assert expected == {date(2025, 4, 10): False, date(2025, 4, 11): True}
    for model in ("Award", "AwardEvent"):
        rows = new.get_model("students", model).objects.values_list("start_date", "recorded_late")
        assert dict(rows) == expected, model
    events = new.get_model("students", "AwardEvent").objects.values_list("university_id", flat=True)
    assert list(events) == [university.pk, university.pk]
