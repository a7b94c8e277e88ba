"""Issue #11: the counted number through the services, each case from DOMAIN.md.

Every test here failed on the code before the issue was fixed.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from dashboards import selectors
from dashboards.selectors import Scope
from programs.models import Program
from reports.selectors import report_figures
from students import services
from students.facts import facts_rebuild
from students.models import Award, AwardEvent, Student, StudentYearFact
from students.selectors import student_timeline
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def program(code):
    return Program.objects.get(code=code)


def award(student, code, start, end, user, living=None, **extra):
    return services.award_create(
        student=student,
        program=program(code),
        start_date=start,
        end_date=end,
        annual_living_cost=living,
        acting_user=user,
        **extra,
    )


def fact(student, fy):
    return StudentYearFact.objects.get(student=student, fiscal_year=fy)


# --- 2. Enrolment ---------------------------------------------------------------------------


@pytest.mark.parametrize(("fy", "counts"), [(2024, False), (2025, True)])
def test_reserved_award_counts_from_entry(reference, university_a, staff_a, fy, counts):
    # DOMAIN.md (Enrolment): "A reserved award (予約採用) made during the master's course counts from entry."
    student = StudentFactory(university=university_a, entry_date=date(2025, 4, 1))
    award(student, "SPRING", date(2024, 10, 1), date(2027, 9, 30), staff_a, is_reserved=True)
    assert fact(student, fy).counts is counts
    assert selectors.headcount(Scope(fy)) == int(counts)


@pytest.mark.parametrize(("fy", "counts"), [(2025, True), (2026, False)])
def test_months_after_completion_do_not_count(reference, university_a, staff_a, fy, counts):
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    award(student, "JSPS_DC1", date(2024, 4, 1), date(2027, 3, 31), staff_a)
    services.student_update(student=student, status="completed", completion_date=date(2025, 6, 30), acting_user=staff_a)
    assert fact(student, fy).counts is counts


# --- 5. Term limits -------------------------------------------------------------------------


def test_term_of_an_award_starting_on_29_february(reference, university_a, staff_a):
    # "2024-02-29 + 3 years ends 2027-02-28" (Civil Code art. 143)
    student = StudentFactory(university=university_a, entry_date=date(2023, 4, 1))
    award(student, "JSPS_DC1", date(2024, 2, 29), date(2027, 2, 28), staff_a)
    with pytest.raises(ValidationError) as error:
        award(student, "SPRING", date(2030, 2, 28), date(2033, 2, 28), staff_a)
    assert "end_date" in error.value.message_dict


def test_an_edit_is_checked_against_the_award_as_it_will_be(reference, university_a, staff_a):
    # A two-year DC2 with a year's suspension, moved to 2032–2035: the old suspension no longer
    # lies inside the award, so it extends nothing (and may not start before the award).
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    dc2 = award(student, "JSPS_DC2", date(2024, 4, 1), date(2026, 3, 31), staff_a)
    services.award_event_create(
        award=dc2, kind="suspension", start_date=date(2024, 6, 1), end_date=date(2025, 5, 31), acting_user=staff_a
    )
    with pytest.raises(ValidationError):
        services.award_update(award=dc2, start_date=date(2032, 4, 1), end_date=date(2035, 3, 31), acting_user=staff_a)
    dc2.refresh_from_db()
    assert dc2.end_date == date(2026, 3, 31)
    # where it stays, the suspension's 12 months extend the term, nothing more
    with pytest.raises(ValidationError):
        services.award_update(award=dc2, end_date=date(2027, 4, 30), acting_user=staff_a)
    services.award_update(award=dc2, end_date=date(2027, 3, 31), acting_user=staff_a)


def test_an_extension_into_a_following_dc2_is_refused_like_the_same_edit(reference, university_a, staff_a):
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    spring = award(student, "SPRING", date(2024, 4, 1), date(2025, 3, 31), staff_a)
    award(student, "JSPS_DC2", date(2025, 4, 1), date(2027, 3, 31), staff_a)
    with pytest.raises(ValidationError) as edit:
        services.award_update(award=spring, end_date=date(2025, 6, 30), acting_user=staff_a)
    with pytest.raises(ValidationError) as extension:
        services.award_event_create(
            award=spring,
            kind="extension",
            start_date=date(2025, 3, 31),
            end_date=date(2025, 6, 30),
            acting_user=staff_a,
        )
    assert extension.value.message_dict == edit.value.message_dict
    assert not AwardEvent.objects.filter(kind="extension").exists()


# --- 3. What-if attribution -----------------------------------------------------------------


@pytest.fixture
def three_awards(reference, university_a, staff_a):
    """RA ¥2,300,000 Apr–Jun (¥575,000 in FY2025), SPRING ¥1,900,000 Jul–Mar (¥1,425,000),
    RA ¥500,000 Oct–Mar (¥250,000): the highest rate (Oct–Mar, ¥2,400,000) and the highest
    annual amount (RA ¥2,300,000) are not where the largest amount is (SPRING)."""
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    award(student, "EMERGENT_RA", date(2025, 4, 1), date(2025, 6, 30), staff_a, living=2_300_000)
    award(student, "SPRING", date(2025, 7, 1), date(2027, 3, 31), staff_a, living=1_900_000)
    award(student, "EMERGENT_RA", date(2025, 10, 1), date(2026, 3, 31), staff_a, living=500_000)
    return student


@pytest.mark.parametrize("national", [True, False])
def test_what_if_at_the_floor_in_force_gives_the_default_breakdown(three_awards, university_a, national):
    university_id = None if national else university_a.pk
    default = selectors.by_program(Scope(2025, university_id=university_id))
    assert default == {"SPRING": 1}
    assert selectors.by_program(Scope(2025, floor=1_800_000, university_id=university_id)) == default


@pytest.mark.parametrize(
    ("floor", "expected"),
    [
        (1, {"SPRING": 1}),
        (2_300_000, {"SPRING": 1}),
        (2_400_000, {"SPRING": 1}),  # only Oct–Mar: SPRING ¥1,425,000 against RA ¥250,000
        (2_400_001, {}),
    ],
)
def test_what_if_any_floor(three_awards, floor, expected):
    assert selectors.by_program(Scope(2025, floor=floor)) == expected
    assert selectors.headcount(Scope(2025, floor=floor)) == sum(expected.values())


def test_what_if_attribution_changes_where_the_floor_passes_a_rate(reference, university_a, staff_a):
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    award(student, "EMERGENT_RA", date(2025, 4, 1), date(2025, 12, 31), staff_a, living=1_900_000)
    award(student, "SPRING", date(2026, 1, 1), date(2028, 12, 31), staff_a, living=2_000_000)
    assert selectors.by_program(Scope(2025)) == {"EMERGENT_RA": 1}
    assert selectors.by_program(Scope(2025, floor=1_800_000)) == {"EMERGENT_RA": 1}
    assert selectors.by_program(Scope(2025, floor=1_900_001)) == {"SPRING": 1}


# --- 1. Amounts ------------------------------------------------------------------------------


def test_an_amount_change_is_a_dated_event(reference, university_a, staff_a):
    # SPRING at ¥1,500,000 (¥125,000 a month), raised to ¥2,400,000 from January 2025
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    spring = award(student, "SPRING", date(2024, 4, 1), date(2027, 3, 31), staff_a, living=1_500_000)
    assert fact(student, 2024).counts is False
    event = services.award_event_create(
        award=spring,
        kind="amount_change",
        start_date=date(2025, 1, 1),
        annual_living_cost=2_400_000,
        acting_user=staff_a,
    )
    assert event.annual_living_cost == 2_400_000
    assert fact(student, 2024).counts is True
    years = {y.fiscal_year: y for y in student_timeline(student)[0].years}
    assert years[2024].living_cost == 9 * 125_000 + 3 * 200_000
    # editing the base amount changes the months before the change only
    services.award_update(award=spring, annual_living_cost=1_200_000, acting_user=staff_a)
    years = {y.fiscal_year: y for y in student_timeline(student)[0].years}
    assert years[2024].living_cost == 9 * 100_000 + 3 * 200_000
    assert years[2025].living_cost == 2_400_000
    assert fact(student, 2025).peak_rate == 2_400_000


def test_of_two_amount_changes_on_one_day_the_one_recorded_later_is_in_force(reference, university_a, staff_a):
    # given: a SPRING award at ¥1,500,000, raised to ¥2,400,000 from January 2025, and then a
    # second change of the same day recorded to ¥1,800,000 (a correction)
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    spring = award(student, "SPRING", date(2024, 4, 1), date(2027, 3, 31), staff_a, living=1_500_000)
    for amount in (2_400_000, 1_800_000):
        services.award_event_create(
            award=spring,
            kind="amount_change",
            start_date=date(2025, 1, 1),
            annual_living_cost=amount,
            acting_user=staff_a,
        )
    # then: the later one is in force, in the facts and on the student's page alike
    assert fact(student, 2025).peak_rate == 1_800_000
    years = {y.fiscal_year: y for y in student_timeline(student)[0].years}
    assert years[2024].living_cost == 9 * 125_000 + 3 * 150_000


def test_an_amount_change_needs_an_amount_inside_the_award(reference, university_a, staff_a):
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    spring = award(student, "SPRING", date(2024, 4, 1), date(2027, 3, 31), staff_a)
    with pytest.raises(ValidationError) as error:
        services.award_event_create(
            award=spring, kind="amount_change", start_date=date(2025, 1, 1), acting_user=staff_a
        )
    assert "annual_living_cost" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.award_event_create(
            award=spring,
            kind="amount_change",
            start_date=date(2028, 1, 1),
            annual_living_cost=2_000_000,
            acting_user=staff_a,
        )


def test_a_period_total_is_truncated_once(reference, university_a, staff_a):
    # ¥1,000,001 a year over January–December 2025: ¥1,000,001, not 250,000 + 750,000
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    award(student, "EMERGENT_RA", date(2025, 1, 1), date(2025, 12, 31), staff_a, living=1_000_001)
    timeline = student_timeline(student)[0]
    assert [y.living_cost for y in timeline.years] == [250_000, 750_000]
    assert timeline.total_living_cost == 1_000_001


def test_report_figures_truncate_once_over_all_awards(reference, university_a, staff_a):
    # three awards of ¥1,000,001 for 7 months: 3 × 7,000,007 / 12 = 1,750,001.75 → ¥1,750,001
    for number in range(3):
        student = StudentFactory(university=university_a, student_number=f"T{number}", entry_date=date(2024, 4, 1))
        award(student, "EMERGENT_RA", date(2025, 4, 1), date(2025, 10, 31), staff_a, living=1_000_001)
    figures = report_figures(university=university_a, program=program("EMERGENT_RA"), fiscal_year=2025)
    assert figures["living_cost_paid"] == 1_750_001


def test_no_default_amount_before_the_programs_first_rule(reference, university_a, staff_a):
    # BOOST's first rule version is 2024-04-01
    student = StudentFactory(university=university_a, entry_date=date(2023, 4, 1))
    with pytest.raises(ValidationError) as error:
        award(student, "BOOST", date(2023, 10, 1), date(2026, 9, 30), staff_a)
    assert "annual_living_cost" in error.value.message_dict
    assert not Award.objects.exists()
    entered = award(student, "BOOST", date(2023, 10, 1), date(2026, 9, 30), staff_a, living=3_000_000)
    assert entered.annual_living_cost == 3_000_000


def test_the_api_asks_for_an_amount_before_the_programs_first_rule(reference, university_a, staff_a, client):
    student = StudentFactory(university=university_a, entry_date=date(2023, 4, 1), student_number="D0010")
    client.force_login(staff_a)
    payload = {"student": student.pk, "program": "BOOST", "start_date": "2023-10-01", "end_date": "2026-09-30"}
    response = client.post("/api/v1/awards/", payload, content_type="application/json")
    assert response.status_code == 422, response.content  # a rule refusal (#12: 400 is only a schema mismatch)
    assert [e["field"] for e in response.json()["errors"]] == ["annual_living_cost"]
    assert not Award.objects.exists()
    # from the first rule version (2024-04-01) the rule gives the amount: ¥300,000 a month
    response = client.post(
        "/api/v1/awards/",
        {**payload, "start_date": "2024-04-01", "end_date": "2027-03-31"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Award.objects.get().annual_living_cost == 3_600_000


def test_dc_final_year_special_allowance_from_a_date(reference, university_a, staff_a):
    # DOMAIN.md: ¥360,000 a year (¥30,000 a month) from FY2024, living cost, granted from a date
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    dc1 = award(student, "JSPS_DC1", date(2024, 4, 1), date(2027, 3, 31), staff_a)
    event = services.award_event_create(
        award=dc1, kind="amount_change", start_date=date(2026, 4, 1), special_allowance=True, acting_user=staff_a
    )
    assert event.annual_living_cost == 2_760_000
    assert fact(student, 2026).peak_rate == 2_760_000
    assert fact(student, 2025).peak_rate == 2_400_000


def test_no_special_allowance_before_fy2024(reference, university_a, staff_a):
    student = StudentFactory(university=university_a, entry_date=date(2021, 4, 1))
    dc1 = award(student, "JSPS_DC1", date(2021, 4, 1), date(2024, 3, 31), staff_a)
    with pytest.raises(ValidationError):
        services.award_event_create(
            award=dc1, kind="amount_change", start_date=date(2023, 4, 1), special_allowance=True, acting_user=staff_a
        )


# --- 6. Persons ------------------------------------------------------------------------------


@pytest.fixture
def moved(reference, university_a, university_b, staff_a, staff_b):
    """One person (e-Rad 87654321): SPRING at A April–September 2025, then at B from October."""
    a = StudentFactory(university=university_a, erad_number="87654321", entry_date=date(2024, 4, 1))
    b = StudentFactory(university=university_b, erad_number="87654321", entry_date=date(2025, 10, 1))
    award(a, "SPRING", date(2025, 4, 1), date(2025, 9, 30), staff_a)
    award(b, "SPRING", date(2025, 10, 1), date(2028, 3, 31), staff_b)
    assert selectors.headcount(Scope(2025)) == 1
    return a, b


def facts_snapshot():
    return sorted(
        StudentYearFact.objects.values_list(
            "student_id",
            "fiscal_year",
            "is_representative",
            "person_counts",
            "person_program",
            "person_key",
            "person_several_universities",
            "person_several_up_to",
        )
    )


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("number", ["", "11112222"])
def test_changing_or_clearing_an_erad_number_recounts_both_persons(moved, staff_a, which, number):
    services.student_update(student=moved[which], erad_number=number, acting_user=staff_a)
    assert selectors.headcount(Scope(2025)) == 2
    incremental = facts_snapshot()
    facts_rebuild()
    assert facts_snapshot() == incremental


def test_joining_two_records_counts_them_once(reference, university_a, university_b, staff_a, staff_b):
    a = StudentFactory(university=university_a, erad_number="", entry_date=date(2024, 4, 1))
    b = StudentFactory(university=university_b, erad_number="87654321", entry_date=date(2025, 10, 1))
    award(a, "SPRING", date(2025, 4, 1), date(2025, 9, 30), staff_a)
    award(b, "SPRING", date(2025, 10, 1), date(2028, 3, 31), staff_b)
    assert selectors.headcount(Scope(2025)) == 2
    services.student_update(student=a, erad_number="87654321", acting_user=staff_a)
    assert selectors.headcount(Scope(2025)) == 1


def test_one_university_records_an_erad_number_once(reference, university_a, university_b, staff_a, staff_b):
    data = {"field": "science", "entry_date": date(2024, 4, 1), "erad_number": "12345678"}
    services.student_create(university=university_a, acting_user=staff_a, student_number="D1", **data)
    services.student_create(university=university_b, acting_user=staff_b, student_number="D1", **data)  # a transfer
    with pytest.raises(ValidationError) as error:
        services.student_create(university=university_a, acting_user=staff_a, student_number="D2", **data)
    assert "この研究者番号の学生はこの大学に既に登録されています。" in str(error.value)
    other = services.student_create(
        university=university_a, acting_user=staff_a, student_number="D3", **{**data, "erad_number": ""}
    )
    with pytest.raises(ValidationError):
        services.student_update(student=other, erad_number="12345678", acting_user=staff_a)
    # records without a number are not constrained
    services.student_create(
        university=university_a, acting_user=staff_a, student_number="D4", **{**data, "erad_number": ""}
    )
    assert Student.objects.filter(university=university_a).count() == 3


# --- 8. Duplicates and deletion --------------------------------------------------------------


def test_a_second_award_with_the_same_student_program_and_start_is_a_validation_error(reference, university_a, staff_a):
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    award(student, "EMERGENT_RA", date(2024, 4, 1), date(2025, 3, 31), staff_a, living=1_000_000)
    with pytest.raises(ValidationError) as error:
        award(student, "EMERGENT_RA", date(2024, 4, 1), date(2024, 9, 30), staff_a, living=1_000_000)
    assert "start_date" in error.value.message_dict


def test_the_api_answers_409_for_a_duplicate_award(reference, university_a, staff_a, client):
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1), student_number="D0009")
    award(student, "EMERGENT_RA", date(2024, 4, 1), date(2025, 3, 31), staff_a, living=1_000_000)
    client.force_login(staff_a)
    response = client.post(
        "/api/v1/awards/",
        {
            "student": student.pk,
            "program": "EMERGENT_RA",
            "start_date": "2024-04-01",
            "end_date": "2024-09-30",
            "annual_living_cost": 1_000_000,
        },
        content_type="application/json",
    )
    assert response.status_code == 409, response.content  # a conflict with the award recorded (Ref: #12)
    assert response.json()["errors"][0]["code"] == "duplicate_award"


def test_deleting_a_student_refuses_awards_in_a_locked_year(reference, university_a, staff_a):
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    award(student, "SPRING", date(2024, 4, 1), date(2027, 3, 31), staff_a)
    # an accepted report's lock (reports.services.report_accept writes it)
    services.year_lock(university_id=university_a.pk, program_id=program("SPRING").pk, fiscal_year=2025)
    with pytest.raises(ValidationError):
        services.student_delete(student=student, acting_user=staff_a)
    assert Student.objects.filter(pk=student.pk).exists()
    assert Award.objects.filter(student=student).exists()


def test_deleting_a_student_records_who_did_it(reference, university_a, staff_a):
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    spring = award(student, "SPRING", date(2024, 4, 1), date(2027, 3, 31), staff_a)
    services.award_event_create(award=spring, kind="suspension", start_date=date(2025, 4, 1), acting_user=staff_a)
    services.student_delete(student=student, acting_user=staff_a)
    assert Student.history.get(id=student.pk, history_type="-").history_user == staff_a
    assert Award.history.get(id=spring.pk, history_type="-").history_user == staff_a
    assert AwardEvent.history.filter(history_type="-").get().history_user == staff_a


# --- 4. Exclusive programs --------------------------------------------------------------------


def test_exclusive_programs_are_checked_across_the_persons_records(moved, staff_a):
    a, _b = moved
    # A's own SPRING ends in September; the person's SPRING at B runs from October
    with pytest.raises(ValidationError) as error:
        award(a, "JSPS_DC2", date(2025, 10, 1), date(2027, 9, 30), staff_a)
    assert "program" in error.value.message_dict


def test_an_erad_number_joining_two_exclusive_awards_in_one_month_is_refused(moved, staff_a):
    a, _b = moved
    other = StudentFactory(university=a.university, entry_date=date(2024, 4, 1))
    award(other, "JSPS_DC1", date(2025, 4, 1), date(2028, 3, 31), staff_a)
    services.student_update(student=a, erad_number="", acting_user=staff_a)
    with pytest.raises(ValidationError) as error:
        # other's DC1 and the person's SPRING at B share October 2025 onwards
        services.student_update(student=other, erad_number="87654321", acting_user=staff_a)
    assert "erad_number" in error.value.message_dict
    other.refresh_from_db()
    assert other.erad_number == ""


def test_a_suspended_award_is_still_held(reference, university_a, staff_a):
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    spring = award(student, "SPRING", date(2024, 4, 1), date(2027, 3, 31), staff_a)
    services.award_event_create(award=spring, kind="suspension", start_date=date(2025, 4, 1), acting_user=staff_a)
    with pytest.raises(ValidationError):
        award(student, "JSPS_DC2", date(2025, 5, 1), date(2027, 3, 31), staff_a)


def test_a_hand_over_within_one_calendar_month_is_refused(reference, university_a, staff_a):
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    award(student, "SPRING", date(2024, 4, 1), date(2025, 6, 10), staff_a)
    with pytest.raises(ValidationError) as error:
        award(student, "JSPS_DC1", date(2025, 6, 20), date(2028, 3, 31), staff_a)
    assert "2025-06" in str(error.value)


# --- Uploads run the same rules -------------------------------------------------------------

UPLOAD_HEADER = (
    "学籍番号,研究者番号,姓,名,学系,入学日,標準修業年限,在籍状況,修了・退学日,留学生,社会人学生,"
    "支援事業,支援開始日,支援終了日,生活費相当額（年額）,研究費（年額）,予約採用"
)


def upload(university, rows):
    from students import imports

    content = ("\r\n".join([UPLOAD_HEADER, *rows]) + "\r\n").encode("utf-8")
    return imports.import_check(university=university, content=content, filename="upload.csv")


def test_upload_needs_an_amount_before_the_programs_first_rule(reference, university_a):
    plan = upload(university_a, ["U1,,山田,花子,工学系,2023-04-01,3,在籍,,0,0,BOOST,2023-10-01,2026-09-30,,,0"])
    assert [(e.row, e.column) for e in plan.result.errors] == [(2, "生活費相当額（年額）")]
    plan = upload(university_a, ["U1,,山田,花子,工学系,2023-04-01,3,在籍,,0,0,BOOST,2023-10-01,2026-09-30,3000000,,0"])
    assert plan.result.ok


def test_upload_refuses_an_erad_number_twice_in_one_university(reference, university_a, staff_a):
    StudentFactory(university=university_a, student_number="OLD1", erad_number="12345678")
    plan = upload(university_a, ["U1,12345678,山田,花子,工学系,2024-04-01,3,在籍,,0,0,,,,,,"])
    assert [(e.row, e.column) for e in plan.result.errors] == [(2, "研究者番号")]


def test_upload_checks_exclusive_programs_across_the_persons_records(moved, university_a):
    # the person's record at B holds SPRING from October 2025; a DC2 at A from September overlaps
    plan = upload(
        university_a,
        [
            f"{moved[0].student_number},87654321,山田,花子,工学系,2024-04-01,3,在籍,,0,0,JSPS_DC2,2025-10-01,2027-09-30,,,0"
        ],
    )
    assert [(e.row, e.column) for e in plan.result.errors] == [(2, "支援事業")]


def test_upload_checks_the_award_as_it_will_be_against_its_suspensions(reference, university_a, staff_a):
    student = StudentFactory(university=university_a, student_number="U7", entry_date=date(2024, 4, 1))
    dc2 = award(student, "JSPS_DC2", date(2024, 4, 1), date(2026, 3, 31), staff_a)
    services.award_event_create(
        award=dc2, kind="suspension", start_date=date(2025, 10, 1), end_date=date(2025, 12, 31), acting_user=staff_a
    )
    row = "U7,,山田,花子,工学系,2024-04-01,3,在籍,,0,0,JSPS_DC2,2024-04-01,{end},2400000,0,0"
    # the three suspended months extend the term to 2026-06-30, and no further
    assert upload(university_a, [row.format(end="2026-06-30")]).result.ok
    assert not upload(university_a, [row.format(end="2026-07-31")]).result.ok
    # "a suspension may not start ... after its end": the award may not be cut short before it
    refused = upload(university_a, [row.format(end="2025-06-30")])
    assert [(e.row, e.column) for e in refused.result.errors] == [(2, "支援事業")]


# --- 5. Open suspensions: the term of the award as it will be ----------------------------------


def months_paid(student, fy):
    return {y.fiscal_year: y.months for y in student_timeline(student)[0].years}[fy]


def test_terminating_a_suspended_award_leaves_its_last_month_suspended(reference, university_a, staff_a):
    # DOMAIN.md (Living-cost rate): "an open suspension (no end date yet) runs on, past the award's
    # end". SPRING suspended from 2025-06-01 and terminated on 2026-01-15: January 2026 lies wholly
    # within the suspension, so FY2025 pays April and May only (the code before closed the
    # suspension on 2026-01-15 and paid January).
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    spring = award(student, "SPRING", date(2024, 4, 1), date(2027, 3, 31), staff_a, living=2_400_000)
    services.award_event_create(award=spring, kind="suspension", start_date=date(2025, 6, 1), acting_user=staff_a)
    services.award_event_create(award=spring, kind="termination", start_date=date(2026, 1, 15), acting_user=staff_a)
    assert months_paid(student, 2025) == 2
    assert fact(student, 2025).peak_rate == 2_400_000
    incremental = facts_snapshot()
    facts_rebuild()
    assert facts_snapshot() == incremental


@pytest.fixture
def dc2_suspended(reference, university_a, staff_a):
    """DC2 (2 years) from 2024-04-01 to 2026-03-31, suspended from 2025-04-01 with no end yet."""
    student = StudentFactory(university=university_a, entry_date=date(2024, 4, 1))
    dc2 = award(student, "JSPS_DC2", date(2024, 4, 1), date(2026, 3, 31), staff_a)
    services.award_event_create(award=dc2, kind="suspension", start_date=date(2025, 4, 1), acting_user=staff_a)
    return dc2


def test_an_extension_under_an_open_suspension_adds_only_suspended_months(dc2_suspended, staff_a):
    # The reading of DOMAIN.md (Term limits) for an open suspension: it runs on past the award's
    # end, so every month an extension adds lies wholly within it and extends the term by one
    # month: each later end is a fixed point of "the term of the award as it will be". The award
    # still pays 12 months (April 2024 – March 2025), within its two years.
    for end in (date(2027, 3, 31), date(2029, 3, 31)):
        services.award_event_create(
            award=dc2_suspended, kind="extension", start_date=date(2026, 3, 31), end_date=end, acting_user=staff_a
        )
        dc2_suspended.refresh_from_db()
        assert dc2_suspended.end_date == end
    services.award_update(award=dc2_suspended, end_date=date(2031, 3, 31), acting_user=staff_a)
    paid = sum(y.months for y in student_timeline(dc2_suspended.student)[0].years)
    assert paid == 12


@pytest.mark.parametrize(
    ("resumption", "allowed"),
    [
        # suspended April 2025 – March 2027 (24 months) extends the two years to 2028-03-31
        (date(2027, 4, 1), True),
        # suspended April 2025 – February 2027 (23 months): the term ends 2028-02-29
        (date(2027, 3, 1), False),
    ],
)
def test_a_resumption_is_checked_against_the_term_of_the_award_as_it_will_be(
    dc2_suspended, staff_a, resumption, allowed
):
    # Extended to 2028-03-31 while suspended (allowed: those months are suspended). Resuming
    # ends the suspension, the months after it pay again and count against the term.
    services.award_event_create(
        award=dc2_suspended,
        kind="extension",
        start_date=date(2026, 3, 31),
        end_date=date(2028, 3, 31),
        acting_user=staff_a,
    )
    if allowed:
        services.award_event_create(award=dc2_suspended, kind="resumption", start_date=resumption, acting_user=staff_a)
        dc2_suspended.refresh_from_db()
        assert dc2_suspended.status == Award.Status.ACTIVE
        assert sum(y.months for y in student_timeline(dc2_suspended.student)[0].years) == 24
        return
    with pytest.raises(ValidationError) as error:
        services.award_event_create(award=dc2_suspended, kind="resumption", start_date=resumption, acting_user=staff_a)
    assert [e.code for e in error.value.error_dict["end_date"]] == ["term_exceeded"]
    assert "2028-02-29" in str(error.value)
    assert not AwardEvent.objects.filter(kind="resumption").exists()
    assert AwardEvent.objects.get(kind="suspension").end_date is None
    # shortened to the term first, the same resumption is accepted
    services.award_update(award=dc2_suspended, end_date=date(2028, 2, 29), acting_user=staff_a)
    services.award_event_create(award=dc2_suspended, kind="resumption", start_date=resumption, acting_user=staff_a)
