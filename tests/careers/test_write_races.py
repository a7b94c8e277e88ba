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
