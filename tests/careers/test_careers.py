"""Careers after the degree: due dates, refusals, upload with bad rows, outcome rates, JGRAD."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from careers import selectors as career_selectors
from careers import services as career_services
from careers.models import CareerOutcome
from tests.factories import AwardFactory, StudentFactory, user_with_role

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)
HEADER = "学籍番号,調査時点,進路,セクター,勤務先,国・地域\n"


def graduate(university, number="G1", finished=date(2025, 3, 31), status="completed"):
    return StudentFactory(university=university, student_number=number, status=status, completion_date=finished)


@pytest.mark.parametrize(
    ("finished", "point", "due"),
    [
        (date(2025, 3, 31), "completion", date(2025, 3, 31)),
        (date(2025, 3, 31), "year_1", date(2026, 3, 31)),
        (date(2020, 3, 31), "year_5", date(2025, 3, 31)),
        (date(2016, 2, 29), "year_10", date(2026, 2, 28)),  # a leap day falls back to the 28th
    ],
)
def test_survey_points_fall_due_on_completion_plus_years(finished, point, due):
    assert career_selectors.due_date(finished, point) == due


def test_a_record_is_overdue_only_after_a_month_of_grace():
    assert not career_selectors.is_overdue(date(2026, 3, 31), "completion", date(2026, 4, 30))
    assert career_selectors.is_overdue(date(2026, 3, 31), "completion", date(2026, 5, 1))


@pytest.mark.parametrize("today", [date(2026, 3, 1), date(2026, 3, 29), date(2026, 3, 31), date(2026, 5, 1), TODAY])
@pytest.mark.parametrize("point", ["completion", "year_1", "year_5", "year_10"])
def test_overdue_threshold_says_what_the_rule_says_for_every_day(point, today):
    """The counts select overdue completers by one last completion date: around it, day by day
    (month ends and leap days included), the rule agrees."""
    last = career_selectors.overdue_threshold(point, today)
    for offset in range(-800, 800):
        day = last.fromordinal(last.toordinal() + offset)
        assert career_selectors.is_overdue(day, point, today) == (day <= last), (day, point, today)


def test_record_counts_count_as_the_rule_does_completer_by_completer(university_a, university_b):
    """Per university: survey points past their grace (checked) and those without a record
    (overdue), as `is_overdue` says for each completer; enrolled students and records of points
    not yet overdue are not counted."""
    finished = [date(2016, 2, 29), date(2021, 3, 31), date(2025, 2, 28), date(2025, 3, 31), date(2026, 9, 30)]
    students = []
    for i, day in enumerate(finished):
        for university in (university_a, university_b):
            students.append(
                graduate(university, number=f"G{i}", finished=day, status="completed" if i % 2 else "withdrawn")
            )
    StudentFactory(university=university_a, student_number="E1")  # enrolled: nothing checked
    for student in students[::3]:
        CareerOutcome.objects.create(
            student=student, survey_point="completion", destination="postdoc", sector="academia"
        )
    for student in students[1::4]:
        CareerOutcome.objects.create(student=student, survey_point="year_1", destination="postdoc", sector="academia")
    expected_checked, expected_overdue = {}, {}
    for student in students:
        have = set(student.careers.values_list("survey_point", flat=True))
        for point in career_selectors.YEARS_AFTER:
            if career_selectors.is_overdue(student.completion_date, point, TODAY):
                uid = student.university_id
                expected_checked[uid] = expected_checked.get(uid, 0) + 1
                expected_overdue[uid] = expected_overdue.get(uid, 0) + (point not in have)
    checked, overdue = career_selectors.record_counts(TODAY)
    assert (dict(checked), {u: overdue[u] for u in checked}) == (expected_checked, expected_overdue)
    own_checked, own_overdue = career_selectors.record_counts(TODAY, university_a.pk)
    assert (dict(own_checked), own_overdue[university_a.pk]) == (
        {university_a.pk: expected_checked[university_a.pk]},
        expected_overdue[university_a.pk],
    )


def test_due_list_lists_reached_points_without_records(university_a):
    student = graduate(university_a, finished=date(2025, 3, 31))
    CareerOutcome.objects.create(student=student, survey_point="completion", destination="postdoc", sector="academia")
    StudentFactory(university=university_a, student_number="E1")  # still enrolled: nothing due
    due = career_selectors.careers_due(career_selectors.finished_students([university_a.pk]), TODAY)
    assert [(d.student.student_number, d.survey_point, d.due_date, d.overdue) for d in due] == [
        ("G1", "year_1", date(2026, 3, 31), True)
    ]


def test_create_refuses_what_the_rules_forbid_and_writes_nothing(university_a, staff_a):
    enrolled = StudentFactory(university=university_a, student_number="E1")
    done = graduate(university_a)
    cases = [
        (enrolled, {"survey_point": "completion", "destination": "postdoc", "sector": "academia"}, "__all__"),
        (done, {"survey_point": "year_5", "destination": "postdoc", "sector": "academia"}, "survey_point"),
        (done, {"survey_point": "completion", "destination": "postdoc"}, "sector"),
        (done, {"survey_point": "completion", "destination": "student", "country": "Japan"}, "country"),
    ]
    for student, values, field in cases:
        with pytest.raises(ValidationError) as error:
            career_services.career_create(student=student, acting_user=staff_a, today=TODAY, **values)
        assert field in error.value.message_dict
        message = error.value.message_dict[field][0]
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", message)  # Japanese only
        assert " / " not in message
    assert not CareerOutcome.objects.exists()


def test_create_update_keep_history_and_refuse_stale_versions(university_a, staff_a):
    student = graduate(university_a)
    career = career_services.career_create(
        student=student,
        acting_user=staff_a,
        today=TODAY,
        survey_point="completion",
        destination="not_employed",
        country="jp",
    )
    assert career.country == "JP"
    assert career.sector == ""
    updated = career_services.career_update(
        career=career,
        acting_user=staff_a,
        today=TODAY,
        expected_version=1,
        destination="non_research",
        sector="company",
    )
    assert (updated.destination, updated.sector, updated.version) == ("non_research", "company", 2)
    assert updated.history.count() == 2
    assert updated.history.first().history_user == staff_a
    with pytest.raises(ValidationError):
        career_services.career_update(career=career, acting_user=staff_a, today=TODAY, expected_version=1, employer="X")
    with pytest.raises(ValidationError):  # one record per survey point
        career_services.career_create(
            student=student,
            acting_user=staff_a,
            today=TODAY,
            survey_point="completion",
            destination="postdoc",
            sector="academia",
        )


def _upload(university, text: str):
    return career_services.career_upload_check(
        university=university, content=text.encode("utf-8"), filename="c.csv", today=TODAY
    )


def test_upload_lists_every_bad_row_and_writes_nothing(university_a, university_b, staff_a):
    graduate(university_a, "G1")
    graduate(university_b, "B1")  # another university's student is unknown here
    StudentFactory(university=university_a, student_number="E1")
    text = HEADER + "\n".join(
        [
            "G1,修了時,ポストドクター,大学等,東京大学,JP",  # row 2: good
            "B1,completion,postdoc,academia,,",  # row 3: not our student
            "G1,修了時,postdoc,academia,,",  # row 4: same student and point as row 2
            "G1,year_1,astronaut,,,",  # row 5: not a destination
            "E1,completion,student,,,",  # row 6: not completed
            ",completion,postdoc,academia,,",  # row 7: no student number
            "G1,year_5,postdoc,academia,,",  # row 8: not due before 2030
        ]
    )
    plan = _upload(university_a, text)
    rows = sorted({(e.row, e.column) for e in plan.result.errors})
    assert rows == [(3, "学籍番号"), (4, "調査時点"), (5, "進路"), (6, "学籍番号"), (7, "学籍番号"), (8, "調査時点")]
    with pytest.raises(ValidationError):
        career_services.career_upload_apply(plan=plan, acting_user=staff_a)
    assert not CareerOutcome.objects.exists()


def test_upload_creates_then_updates_and_the_same_file_twice_changes_nothing(university_a, staff_a):
    graduate(university_a, "G1")
    graduate(university_a, "G2", finished=date(2024, 3, 31), status="withdrawn")
    text = HEADER + "G1,completion,postdoc,academia,甲大学,JP\nG2,1年後,無業・その他,,,\n"
    first = career_services.career_upload_apply(plan=_upload(university_a, text), acting_user=staff_a)
    assert (first.students_created, first.students_updated, first.students_unchanged) == (2, 0, 0)
    again = _upload(university_a, text)
    assert (again.result.students_created, again.result.students_updated, again.result.students_unchanged) == (0, 0, 2)
    changed = _upload(university_a, HEADER + "G1,completion,permanent_research,academia,甲大学,JP\n")
    career_services.career_upload_apply(plan=changed, acting_user=staff_a)
    assert CareerOutcome.objects.get(student__student_number="G1").destination == "permanent_research"
    assert CareerOutcome.objects.count() == 2


def test_outcome_rates_on_a_hand_built_population(reference, university_a):
    """Ten SPRING completers: 4 permanent research, 2 postdoc, 1 non-research job, 1 student,
    1 not employed, 1 unknown → 7 / 10 = 70.0% (unknown counts in the denominator).
    One of them also held a DC: counted under both programs, once in all."""
    destinations = ["permanent_research"] * 4 + ["postdoc"] * 2 + ["non_research", "student", "not_employed", "unknown"]
    sectors = {"permanent_research": "academia", "postdoc": "academia", "non_research": "company"}
    for i, destination in enumerate(destinations):
        student = graduate(university_a, f"G{i}")
        AwardFactory(student=student)
        if i == 0:
            from programs.models import Program

            AwardFactory(student=student, program=Program.objects.get(code="JSPS_DC2"), start_date=date(2025, 4, 1))
        CareerOutcome.objects.create(
            student=student, survey_point="completion", destination=destination, sector=sectors.get(destination, "")
        )
    table = career_selectors.outcome_table(career_selectors.outcome_records(CareerOutcome.objects.all()))
    every, spring, dc2 = (table["completion"][g] for g in (career_selectors.ALL, "SPRING", "JSPS_DC2"))
    assert (every.records, every.employed, every.rate) == (10, 7, 70.0)
    assert (spring.records, spring.rate) == (10, 70.0)
    assert (dc2.records, dc2.rate) == (1, 100.0)
    assert every.sectors == {"academia": 6, "company": 1}
    shares = {label: share for label, _n, share in every.sector_shares()}
    assert shares["大学等"] == 85.7  # 6 of the 7 employed
    assert table["year_1"] == {}


def test_jgrad_export_lists_the_years_completers_with_their_supports(reference, university_a):
    student = graduate(university_a, "G1", finished=date(2025, 3, 31))
    AwardFactory(student=student, start_date=date(2022, 4, 1), end_date=date(2025, 3, 31))
    CareerOutcome.objects.create(student=student, survey_point="completion", destination="postdoc", sector="academia")
    graduate(university_a, "G2", finished=date(2026, 3, 31))  # FY2025, not FY2024
    rows = list(career_selectors.jgrad_rows(university=university_a, fiscal_year=2024))
    assert len(rows) == 1
    row = dict(zip(career_selectors.JGRAD_COLUMNS, rows[0], strict=True))
    assert row["学籍番号"] == "G1"
    assert row["受けた支援（事業コード:開始日〜終了日）"] == "SPRING:2022-04-01〜2025-03-31"
    assert (row["修了時の進路"], row["修了時のセクター"]) == ("ポストドクター", "大学等")


def test_staff_of_another_university_cannot_enter_careers(client, university_a, university_b):
    student = graduate(university_a)
    client.force_login(user_with_role("b_staff", "university_staff", university=university_b))
    assert client.get(f"/students/{student.pk}/careers/new/").status_code == 404


def test_upload_and_form_refuse_a_too_long_employer_alike_and_apply_checks_again(university_a, staff_a):
    # Ref: #10 (one write path): the upload check and apply run career_check, as the services do
    # given
    student = graduate(university_a, "G1")
    employer = "株" * 201
    # when
    plan = _upload(university_a, HEADER + f"G1,completion,non_research,company,{employer},JP\n")
    with pytest.raises(ValidationError) as refused:
        career_services.career_create(
            student=student,
            acting_user=staff_a,
            today=TODAY,
            survey_point="completion",
            destination="non_research",
            sector="company",
            employer=employer,
        )
    # then
    assert [(e.row, e.field, e.code) for e in plan.result.errors] == [(2, "employer", "max_length")]
    assert [e.code for e in refused.value.error_dict["employer"]] == ["max_length"]
    # given: a good plan, and a record written for the same point since it was checked
    plan = _upload(university_a, HEADER + "G1,completion,postdoc,academia,甲大学,JP\n")
    CareerOutcome.objects.create(student=student, survey_point="completion", destination="unknown")
    # when
    result = career_services.career_upload_apply(plan=plan, acting_user=staff_a)
    # then: refused on its row before anything is written
    assert [(e.row, e.column) for e in result.errors] == [(2, "学籍番号")]
    assert CareerOutcome.objects.get().destination == "unknown"


@pytest.mark.parametrize("since_the_check", ["edited", "deleted"])
def test_an_upload_does_not_write_over_a_record_changed_since_its_check(university_a, staff_a, since_the_check):
    # given: a record, and a file checked against it that changes its destination only
    student = graduate(university_a, "G1")
    career = career_services.career_create(
        student=student, acting_user=staff_a, today=TODAY, survey_point="completion",
        destination="postdoc", sector="academia", employer="甲大学", country="JP",
    )  # fmt: skip
    plan = _upload(university_a, HEADER + "G1,completion,permanent_research,academia,,\n")
    assert plan.result.students_updated == 1
    # when: someone edits (or deletes) the record in the form, then the file is applied
    if since_the_check == "edited":
        career_services.career_update(
            career=career, acting_user=staff_a, today=TODAY, expected_version=1, employer="乙研究所"
        )
    else:
        CareerOutcome.objects.filter(pk=career.pk).delete()
    result = career_services.career_upload_apply(plan=plan, acting_user=staff_a)
    # then: the row is refused with the reason, and nothing of the file is written
    assert [(e.row, e.column, e.code) for e in result.errors] == [(2, "調査時点", "stale")]
    assert "確認の後" in str(result.errors[0].message)
    if since_the_check == "edited":
        assert CareerOutcome.objects.values_list("destination", "employer", "version").get() == (
            "postdoc",
            "乙研究所",
            2,
        )
    else:
        assert not CareerOutcome.objects.exists()  # not brought back by the file


def test_a_record_deleted_twice_at_once_is_refused_the_second_time_and_recorded_once(university_a, staff_a):
    from students.services import StaleUpdate

    career = career_services.career_create(
        student=graduate(university_a),
        acting_user=staff_a,
        today=TODAY,
        survey_point="completion",
        destination="unknown",
    )
    opened = CareerOutcome.objects.get(pk=career.pk)  # a second tab, or a second API client
    career_services.career_delete(career=career, acting_user=staff_a)
    with pytest.raises(StaleUpdate) as excinfo:
        career_services.career_delete(career=opened, acting_user=staff_a)
    assert [e.code for e in excinfo.value.error_dict["__all__"]] == ["gone"]
    assert CareerOutcome.history.filter(id=career.pk, history_type="-").count() == 1
