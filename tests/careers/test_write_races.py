"""Two career records of one student and survey point written at once (PostgreSQL only).

The second writer gets the refusal a sequential duplicate gets, never the unique constraint's
error (a 500); see tests/races.py for how the interleaving is forced.
"""

from datetime import date

import pytest

from careers import services as career_services
from careers.models import CareerOutcome
from tests.factories import StudentFactory, UniversityFactory, user_with_role
from tests.races import Race, needs_postgresql, refused_as_after

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True)]
TODAY = date(2026, 11, 23)


def test_two_outcomes_of_one_student_and_point_created_at_once_the_second_is_refused(monkeypatch):
    # Two staff record the student's outcome at completion at the same moment. The first has
    # checked that the point has no record yet and waits; the second runs meanwhile. Before: the
    # second wrote its record and the first's insert hit the unique constraint (a 500).
    university = UniversityFactory()
    student = StudentFactory(university=university, status="completed", completion_date=date(2025, 3, 31))
    staff = user_with_role("staff", "university_staff", university=university)

    def create(destination):
        return career_services.career_create(
            student=student, acting_user=staff, today=TODAY, survey_point="completion", destination=destination
        )

    race = Race()
    race.pause_after(monkeypatch, career_services, "_career_validate")

    errors = race.run(lambda: create("student"), lambda: create("unknown"))

    assert refused_as_after(errors, lambda: create("unknown")), errors
    assert list(CareerOutcome.objects.values_list("survey_point", "destination")) == [("completion", "student")]


def test_an_outcome_moved_to_a_point_being_created_at_once_is_refused(monkeypatch):
    # One staff moves the student's year-1 record to completion while another records completion.
    # Before: the edit checked completion (free), the create wrote it, the edit hit the constraint.
    university = UniversityFactory()
    student = StudentFactory(university=university, status="completed", completion_date=date(2025, 3, 31))
    staff = user_with_role("staff", "university_staff", university=university)
    year_1 = career_services.career_create(
        student=student, acting_user=staff, today=TODAY, survey_point="year_1", destination="postdoc", sector="academia"
    )

    def move():
        return career_services.career_update(
            career=CareerOutcome.objects.get(pk=year_1.pk), acting_user=staff, today=TODAY, survey_point="completion"
        )

    race = Race()
    race.pause_after(monkeypatch, career_services, "_career_validate")

    def create():
        return career_services.career_create(
            student=student, acting_user=staff, today=TODAY, survey_point="completion", destination="unknown"
        )

    errors = race.run(move, create)

    assert refused_as_after(errors, create), errors
    assert sorted(CareerOutcome.objects.values_list("survey_point", "destination")) == [("completion", "postdoc")]


# --- The upload's apply beside a form's create or edit of the same record ---------------------
#
# The file was checked before the race; its apply runs beside the form. Whichever commits second
# gets what it would get one after the other: the form its refusal, the upload its row error with
# nothing written (all or nothing). The answer one after the other is read from a second plan of
# the same file, checked with the first, applied after the race.

HEADER = "学籍番号,調査時点,進路,セクター,勤務先,国・地域\n"


def graduate():
    university = UniversityFactory()
    student = StudentFactory(
        university=university, student_number="G1", status="completed", completion_date=date(2025, 3, 31)
    )
    return student, user_with_role("staff", "university_staff", university=university)


def checked_plans(student, row):
    """Two plans of one file, checked now: one for the race, one to apply after it."""
    return [
        career_services.career_upload_check(
            university=student.university, content=(HEADER + row).encode(), filename="c.csv", today=TODAY
        )
        for _ in range(2)
    ]


def row_errors(result):
    return [(e.row, str(e.column), str(e.message), e.field, e.code) for e in result.errors]


def upload_refused_as_after(result, plan, staff) -> bool:
    """The race's apply was refused on its rows as the same file checked with it is, applied now."""
    return bool(result.errors) and row_errors(result) == row_errors(
        career_services.career_upload_apply(plan=plan, acting_user=staff)
    )


def careers():
    return list(CareerOutcome.objects.values_list("survey_point", "destination", "employer", "version"))


def test_an_outcome_created_in_the_form_beside_an_upload_creating_it_is_refused_as_after(monkeypatch):
    # The upload has checked its record of G1 at completion again (its student held) and waits;
    # staff record the same point in the form meanwhile. The form waits for the student, then is
    # refused as a duplicate is one after the other, never stopped by the unique constraint.
    student, staff = graduate()
    plan, _ = checked_plans(student, "G1,completion,postdoc,academia,甲大学,JP\n")
    race = Race()
    race.pause_after(monkeypatch, career_services, "_career_validate")

    def create():
        return career_services.career_create(
            student=student, acting_user=staff, today=TODAY, survey_point="completion", destination="unknown"
        )

    errors = race.run(lambda: career_services.career_upload_apply(plan=plan, acting_user=staff), create)

    assert refused_as_after(errors, create), errors
    assert plan.result.ok
    assert careers() == [("completion", "postdoc", "甲大学", 1)]


def test_an_upload_creating_an_outcome_the_form_creates_at_once_is_refused_on_its_row(monkeypatch):
    # The form records G1 at completion and waits; the file, checked while the point was free,
    # is applied meanwhile. It waits for the student, then finds the form's record: refused on
    # its row as one after the other, nothing of it written.
    student, staff = graduate()
    plan, after = checked_plans(student, "G1,completion,postdoc,academia,甲大学,JP\n")
    race = Race()
    race.pause_after(monkeypatch, career_services, "_career_validate")
    results = []

    errors = race.run(
        lambda: career_services.career_create(
            student=student, acting_user=staff, today=TODAY, survey_point="completion", destination="unknown"
        ),
        lambda: results.append(career_services.career_upload_apply(plan=plan, acting_user=staff)),
    )

    assert errors == []
    assert upload_refused_as_after(results[0], after, staff), row_errors(results[0])
    assert careers() == [("completion", "unknown", "", 1)]


def test_an_outcome_edited_in_the_form_beside_an_upload_updating_it_is_refused_as_after(monkeypatch):
    # The upload changes G1's completion record and waits before writing it; staff edit the same
    # record in the form (the version they read) meanwhile. The form waits for the student, then
    # is refused as stale, as one after the other; before the upload's update was written over.
    student, staff = graduate()
    career = career_services.career_create(
        student=student, acting_user=staff, today=TODAY, survey_point="completion", destination="postdoc",
        sector="academia", employer="甲大学", country="JP",
    )  # fmt: skip
    plan, _ = checked_plans(student, "G1,completion,permanent_research,academia,甲大学,JP\n")
    assert plan.result.students_updated == 1
    race = Race()
    race.pause_after(monkeypatch, career_services, "_career_validate")

    def edit():
        return career_services.career_update(
            career=CareerOutcome.objects.get(pk=career.pk),
            acting_user=staff,
            today=TODAY,
            expected_version=1,
            employer="乙研究所",
        )

    errors = race.run(lambda: career_services.career_upload_apply(plan=plan, acting_user=staff), edit)

    assert refused_as_after(errors, edit), errors
    assert plan.result.ok
    assert careers() == [("completion", "permanent_research", "甲大学", 2)]


def test_an_upload_updating_an_outcome_the_form_edits_at_once_is_refused_on_its_row(monkeypatch):
    # Staff edit G1's completion record in the form and wait before committing; the file, checked
    # against the record as it was, is applied meanwhile. It waits for the student, then finds
    # the record changed since its check (CHANGED_SINCE_CHECK) and writes nothing: the form's
    # edit stays, not written over by the file's copy of the record.
    student, staff = graduate()
    career = career_services.career_create(
        student=student, acting_user=staff, today=TODAY, survey_point="completion", destination="postdoc",
        sector="academia", employer="甲大学", country="JP",
    )  # fmt: skip
    plan, after = checked_plans(student, "G1,completion,permanent_research,academia,甲大学,JP\n")
    race = Race()
    race.pause_after(monkeypatch, career_services, "_career_validate")
    results = []

    errors = race.run(
        lambda: career_services.career_update(
            career=CareerOutcome.objects.get(pk=career.pk),
            acting_user=staff,
            today=TODAY,
            expected_version=1,
            employer="乙研究所",
        ),
        lambda: results.append(career_services.career_upload_apply(plan=plan, acting_user=staff)),
    )

    assert errors == []
    assert upload_refused_as_after(results[0], after, staff), row_errors(results[0])
    assert [e.code for e in results[0].errors] == ["stale"]
    assert careers() == [("completion", "postdoc", "乙研究所", 2)]


def test_an_outcome_deleted_beside_an_upload_updating_it_stays_deleted(monkeypatch):
    # The upload has read the record's version (unchanged since its check) and waits before
    # writing it; staff delete the record meanwhile. The delete waits for the student, then
    # deletes the file's version of it, as one after the other. Before: the delete took no lock
    # of the student, went through at once, and the upload's save (an UPDATE finding no row, then
    # an INSERT) brought the record back.
    student, staff = graduate()
    career = career_services.career_create(
        student=student, acting_user=staff, today=TODAY, survey_point="completion", destination="postdoc",
        sector="academia",
    )  # fmt: skip
    plan, _ = checked_plans(student, "G1,completion,permanent_research,academia,,\n")
    race = Race()
    race.pause_after(monkeypatch, career_services, "_career_validate")

    errors = race.run(
        lambda: career_services.career_upload_apply(plan=plan, acting_user=staff),
        lambda: career_services.career_delete(career=CareerOutcome.objects.get(pk=career.pk), acting_user=staff),
    )

    assert errors == []
    assert plan.result.ok
    assert careers() == []


def test_an_upload_updating_an_outcome_the_form_deletes_at_once_is_refused_on_its_row(monkeypatch):
    # Staff delete G1's completion record and wait before committing; the file, checked against
    # the record, is applied meanwhile. It waits for the student, then finds the record deleted
    # since its check (CHANGED_SINCE_CHECK) and writes nothing. Before: the apply read the
    # record still there, its UPDATE waited for the delete, found no row and inserted the
    # record again.
    student, staff = graduate()
    career = career_services.career_create(
        student=student, acting_user=staff, today=TODAY, survey_point="completion", destination="postdoc",
        sector="academia",
    )  # fmt: skip
    plan, after = checked_plans(student, "G1,completion,permanent_research,academia,,\n")
    race = Race()
    race.pause_after(monkeypatch, CareerOutcome, "delete")
    results = []

    errors = race.run(
        lambda: career_services.career_delete(career=CareerOutcome.objects.get(pk=career.pk), acting_user=staff),
        lambda: results.append(career_services.career_upload_apply(plan=plan, acting_user=staff)),
    )

    assert errors == []
    assert upload_refused_as_after(results[0], after, staff), row_errors(results[0])
    assert [e.code for e in results[0].errors] == ["stale"]
    assert careers() == []
