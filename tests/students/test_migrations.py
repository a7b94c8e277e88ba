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
