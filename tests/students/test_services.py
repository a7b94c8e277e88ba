"""Service tests: every refusal of DOMAIN.md and DESIGN.md writes nothing."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from programs.models import Program
from students import services
from students.models import Award, AwardEvent, Student, StudentYearFact
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def student(reference, university_a):
    return StudentFactory(university=university_a, student_number="D0001")


def program(code):
    return Program.objects.get(code=code)


def errors_of(excinfo):
    return excinfo.value.message_dict


def test_award_create_fills_amounts_from_the_rule_and_refreshes_facts(student, staff_a):
    # when
    award = services.award_create(
        student=student,
        program=program("JSPS_DC1"),
        start_date=date(2024, 4, 1),
        end_date=date(2027, 3, 31),
        acting_user=staff_a,
    )
    # then
    assert award.annual_living_cost == 2_400_000
    fact = StudentYearFact.objects.get(student=student, fiscal_year=2024)
    assert fact.counts is True
    assert fact.program == "JSPS_DC1"
    assert fact.peak_rate == 2_400_000
    assert award.history.first().history_user == staff_a


def test_overlapping_exclusive_awards_refused(student, staff_a):
    services.award_create(
        student=student,
        program=program("SPRING"),
        start_date=date(2024, 4, 1),
        end_date=date(2027, 3, 31),
        acting_user=staff_a,
    )
    with pytest.raises(ValidationError) as excinfo:
        services.award_create(
            student=student,
            program=program("JSPS_DC2"),
            start_date=date(2025, 4, 1),
            end_date=date(2027, 3, 31),
            acting_user=staff_a,
        )
    assert "program" in errors_of(excinfo)
    assert Award.objects.count() == 1


def test_emergent_ra_may_combine_with_spring(student, staff_a):
    services.award_create(
        student=student,
        program=program("SPRING"),
        start_date=date(2024, 4, 1),
        end_date=date(2027, 3, 31),
        acting_user=staff_a,
    )
    services.award_create(
        student=student,
        program=program("EMERGENT_RA"),
        start_date=date(2024, 4, 1),
        end_date=date(2025, 3, 31),
        annual_living_cost=1_000_000,
        acting_user=staff_a,
    )
    fact = StudentYearFact.objects.get(student=student, fiscal_year=2024)
    assert fact.peak_rate == 2_800_000
    assert fact.program == "SPRING"


def test_end_past_the_term_refused(student, staff_a):
    with pytest.raises(ValidationError) as excinfo:
        services.award_create(
            student=student,
            program=program("JSPS_DC2"),
            start_date=date(2024, 4, 1),
            end_date=date(2026, 4, 1),
            acting_user=staff_a,
        )
    assert "end_date" in errors_of(excinfo)
    assert "2026-03-31" in errors_of(excinfo)["end_date"][0]
    assert not Award.objects.exists()


def test_end_before_start_refused(student, staff_a):
    with pytest.raises(ValidationError) as excinfo:
        services.award_create(
            student=student,
            program=program("SPRING"),
            start_date=date(2024, 4, 1),
            end_date=date(2024, 3, 31),
            acting_user=staff_a,
        )
    assert errors_of(excinfo)["end_date"] == ["終了日が開始日より前です。"]
    assert not Award.objects.exists()


def test_postdoc_program_for_enrolled_student_refused(student, staff_a):
    with pytest.raises(ValidationError) as excinfo:
        services.award_create(
            student=student,
            program=program("JSPS_PD"),
            start_date=date(2024, 4, 1),
            end_date=date(2027, 3, 31),
            acting_user=staff_a,
        )
    assert "program" in errors_of(excinfo)
    assert not Award.objects.exists()


@pytest.mark.parametrize("amount", [-1, 10_000_001, 1.5, "abc"])
def test_negative_or_absurd_amount_refused(student, staff_a, amount):
    with pytest.raises(ValidationError) as excinfo:
        services.award_create(
            student=student,
            program=program("SPRING"),
            start_date=date(2024, 4, 1),
            end_date=date(2027, 3, 31),
            annual_living_cost=amount,
            acting_user=staff_a,
        )
    assert "annual_living_cost" in errors_of(excinfo)
    assert not Award.objects.exists()


def test_unknown_field_refused(reference, university_a, staff_a):
    with pytest.raises(ValidationError) as excinfo:
        services.student_create(
            university=university_a,
            acting_user=staff_a,
            student_number="X1",
            field="astrology",
            entry_date=date(2024, 4, 1),
        )
    assert "field" in errors_of(excinfo)
    assert not Student.objects.exists()


def test_bad_erad_number_refused(reference, university_a, staff_a):
    with pytest.raises(ValidationError) as excinfo:
        services.student_create(
            university=university_a,
            acting_user=staff_a,
            student_number="X1",
            field="science",
            entry_date=date(2024, 4, 1),
            erad_number="1234",
        )
    assert "erad_number" in errors_of(excinfo)


def test_duplicate_student_number_refused(student, staff_a):
    with pytest.raises(ValidationError):
        services.student_create(
            university=student.university,
            acting_user=staff_a,
            student_number="D0001",
            field="science",
            entry_date=date(2024, 4, 1),
        )
    assert Student.objects.count() == 1


def test_suspension_pushes_term_end_by_suspended_months(student, staff_a):
    # given: a DC2 from 2024-04 to 2026-03, suspended July–December 2024 (six whole months)
    award = services.award_create(
        student=student,
        program=program("JSPS_DC2"),
        start_date=date(2024, 4, 1),
        end_date=date(2026, 3, 31),
        acting_user=staff_a,
    )
    services.award_event_create(
        award=award,
        kind="suspension",
        start_date=date(2024, 7, 1),
        end_date=date(2024, 12, 31),
        reason="出産",
        acting_user=staff_a,
    )
    # when: extended by six months, then by one more day
    services.award_event_create(
        award=award,
        kind="extension",
        start_date=date(2026, 3, 31),
        end_date=date(2026, 9, 30),
        reason="休止分の延長",
        acting_user=staff_a,
    )
    with pytest.raises(ValidationError) as excinfo:
        services.award_event_create(
            award=award, kind="extension", start_date=date(2026, 9, 30), end_date=date(2026, 10, 1), acting_user=staff_a
        )
    # then
    award.refresh_from_db()
    assert award.end_date == date(2026, 9, 30)
    assert "end_date" in errors_of(excinfo)
    assert AwardEvent.objects.filter(kind="extension").count() == 1
    assert AwardEvent.objects.get(kind="extension").previous_end_date == date(2026, 3, 31)


def test_open_suspension_then_resumption(student, staff_a):
    award = services.award_create(
        student=student,
        program=program("SPRING"),
        start_date=date(2024, 4, 1),
        end_date=date(2027, 3, 31),
        acting_user=staff_a,
    )
    services.award_event_create(award=award, kind="suspension", start_date=date(2024, 4, 1), acting_user=staff_a)
    award.refresh_from_db()
    assert award.status == "suspended"
    # The whole of FY2024 is suspended so far: the student does not count.
    assert StudentYearFact.objects.get(student=student, fiscal_year=2024).counts is False
    services.award_event_create(award=award, kind="resumption", start_date=date(2025, 1, 1), acting_user=staff_a)
    award.refresh_from_db()
    assert award.status == "active"
    suspension = AwardEvent.objects.get(kind="suspension")
    assert suspension.end_date == date(2024, 12, 31)
    assert StudentYearFact.objects.get(student=student, fiscal_year=2024).counts is True


def test_resumption_without_suspension_refused(student, staff_a):
    award = services.award_create(
        student=student,
        program=program("SPRING"),
        start_date=date(2024, 4, 1),
        end_date=date(2027, 3, 31),
        acting_user=staff_a,
    )
    with pytest.raises(ValidationError):
        services.award_event_create(award=award, kind="resumption", start_date=date(2025, 1, 1), acting_user=staff_a)
    assert not AwardEvent.objects.exists()


def test_early_termination_moves_the_end_and_keeps_the_old_one(student, staff_a):
    award = services.award_create(
        student=student,
        program=program("SPRING"),
        start_date=date(2024, 4, 1),
        end_date=date(2027, 3, 31),
        acting_user=staff_a,
    )
    event = services.award_event_create(
        award=award, kind="termination", start_date=date(2025, 3, 31), reason="DC採用のため", acting_user=staff_a
    )
    award.refresh_from_db()
    assert (award.end_date, award.status) == (date(2025, 3, 31), "terminated")
    assert event.previous_end_date == date(2027, 3, 31)
    assert not StudentYearFact.objects.filter(student=student, fiscal_year=2025).exists()
    with pytest.raises(ValidationError):
        services.award_event_create(award=award, kind="suspension", start_date=date(2025, 1, 1), acting_user=staff_a)


def test_an_early_end_is_not_withdrawn_over_an_exclusive_award_that_followed_it(student, staff_a):
    # SPRING ends early (DC1 from October); withdrawing that end would run SPRING to 2027 again,
    # beside DC1: refused as an extension to 2027 is (before, the end was restored unchecked).
    spring = services.award_create(
        student=student,
        program=program("SPRING"),
        start_date=date(2024, 4, 1),
        end_date=date(2027, 3, 31),
        acting_user=staff_a,
    )
    end = services.award_event_create(
        award=spring, kind="termination", start_date=date(2025, 9, 30), reason="DC採用のため", acting_user=staff_a
    )
    services.award_create(
        student=student,
        program=program("JSPS_DC1"),
        start_date=date(2025, 10, 1),
        end_date=date(2027, 3, 31),
        acting_user=staff_a,
    )
    with pytest.raises(ValidationError) as excinfo:
        services.award_event_withdraw(event=end, acting_user=staff_a)
    assert "program" in errors_of(excinfo)
    spring.refresh_from_db()
    assert (spring.end_date, spring.status) == (date(2025, 9, 30), "terminated")
    assert AwardEvent.objects.filter(pk=end.pk).exists()


def test_termination_outside_the_award_refused(student, staff_a):
    award = services.award_create(
        student=student,
        program=program("SPRING"),
        start_date=date(2024, 4, 1),
        end_date=date(2027, 3, 31),
        acting_user=staff_a,
    )
    with pytest.raises(ValidationError) as excinfo:
        services.award_event_create(award=award, kind="completion", start_date=date(2028, 3, 31), acting_user=staff_a)
    assert "start_date" in errors_of(excinfo)
    award.refresh_from_db()
    assert award.end_date == date(2027, 3, 31)


def test_stale_update_refused(student, staff_a):
    services.student_update(student=student, expected_version=1, acting_user=staff_a, family_name="佐藤")
    with pytest.raises(services.StaleUpdate):
        services.student_update(student=student, expected_version=1, acting_user=staff_a, family_name="鈴木")
    student.refresh_from_db()
    assert (student.family_name, student.version) == ("佐藤", 2)


def test_an_update_of_a_record_deleted_meanwhile_is_refused_as_stale_not_a_server_error(student, staff_a):
    # given: one user opened the student's form; another deleted the student since
    opened = Student.objects.get(pk=student.pk)
    services.student_delete(student=student, acting_user=staff_a)
    # then: saving the form is refused with a message (409 in the API), and nothing comes back
    with pytest.raises(services.StaleUpdate) as excinfo:
        services.student_update(student=opened, expected_version=1, acting_user=staff_a, family_name="鈴木")
    assert [e.code for e in excinfo.value.error_dict["__all__"]] == ["gone"]
    assert excinfo.value.messages == [str(services.RECORD_GONE)]
    assert not Student.objects.filter(pk=student.pk).exists()


def test_a_change_to_an_award_deleted_meanwhile_is_refused_as_stale_not_a_server_error(student, staff_a):
    award = services.award_create(
        student=student,
        program=program("SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2027, 3, 31),
        annual_living_cost=1_800_000,
        acting_user=staff_a,
    )
    opened = Award.objects.get(pk=award.pk)
    services.award_delete(award=award, acting_user=staff_a)
    with pytest.raises(services.StaleUpdate) as excinfo:
        services.award_event_create(
            award=opened,
            kind="suspension",
            start_date=date(2025, 10, 1),
            end_date=date(2025, 12, 31),
            acting_user=staff_a,
        )
    assert [e.code for e in excinfo.value.error_dict["__all__"]] == ["gone"]
    assert not AwardEvent.objects.exists()


def test_two_records_with_one_erad_number_are_one_person(reference, university_a, university_b, staff_a, staff_b):
    # given: a person moves from A to B in October 2024, SPRING at both
    a = StudentFactory(university=university_a, erad_number="12345678")
    b = StudentFactory(university=university_b, erad_number="12345678")
    services.award_create(
        student=a,
        program=program("SPRING"),
        start_date=date(2024, 4, 1),
        end_date=date(2024, 9, 30),
        acting_user=staff_a,
    )
    services.award_create(
        student=b,
        program=program("SPRING"),
        start_date=date(2024, 10, 1),
        end_date=date(2027, 3, 31),
        acting_user=staff_b,
    )
    facts = StudentYearFact.objects.filter(fiscal_year=2024)
    # then: counted at both universities, once nationally
    assert facts.filter(counts=True).count() == 2
    assert facts.filter(is_representative=True, person_counts=True).count() == 1
    assert facts.values("person_key").distinct().count() == 1
