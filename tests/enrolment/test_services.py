"""Writes to reported statistics: one service for the form, the upload and the API; a refusal
says which field and why, and writes nothing."""

import pytest
from django.core.exceptions import ValidationError

from enrolment import rules, services
from enrolment.models import EnrolmentStatistic
from tests.enrolment.factories import values
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def test_a_row_is_created_with_history_naming_the_user(university_a, staff_a):
    statistic = services.statistic_create(university=university_a, acting_user=staff_a, **values())
    assert statistic.entrants == 28
    assert statistic.history.get().history_user == staff_a


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"entrants": -1}, "entrants", "0以上100,000以下の整数で入力してください。"),
        ({"admission_capacity": -5}, "admission_capacity", "0以上100,000以下の整数で入力してください。"),
        ({"entrants_international": 29}, "entrants_international", "入学者数（28人）を超えています。"),
        ({"entrants_from_masters": 30}, "entrants_from_masters", "入学者数（28人）を超えています。"),
        ({"completions_within_term": 26}, "completions_within_term", "学位（課程博士）授与数（25人）を超えています。"),
        ({"field": "astrology"}, "field", "不明な学系です: astrology"),
        ({"standard_term_years": 6}, "standard_term_years", "標準修業年限は3・4・5年のいずれかです。"),
        ({"fiscal_year": 1999}, "fiscal_year", "年度は2000〜2100の西暦（例: 2024）で入力してください。"),
        ({"enrolled": None}, "enrolled", "必須です。"),
    ],
)
def test_bad_figures_are_refused_and_nothing_is_written(university_a, staff_a, changes, field, message):
    with pytest.raises(ValidationError) as error:
        services.statistic_create(university=university_a, acting_user=staff_a, **values(**changes))
    assert error.value.message_dict[field] == [message]
    assert not EnrolmentStatistic.objects.exists()


def test_completions_above_the_entrants_of_their_cohort_are_refused(university_a, staff_a):
    # given: FY2022 entrants 10 (term 3: they complete on time in FY2024)
    services.statistic_create(
        university=university_a,
        acting_user=staff_a,
        **values(
            fiscal_year=2022, entrants=10, entrants_from_masters=5, entrants_working_adults=1, entrants_international=1
        ),
    )
    # when / then: 18 on-time completions in FY2024 from 10 entrants
    with pytest.raises(ValidationError) as error:
        services.statistic_create(university=university_a, acting_user=staff_a, **values(fiscal_year=2024))
    assert error.value.message_dict["completions_within_term"] == [
        "入学年度（令和4年度）の入学者数（10人）を超えています。"
    ]
    assert EnrolmentStatistic.objects.count() == 1


def test_entrants_below_the_later_on_time_completions_are_refused(university_a, staff_a):
    services.statistic_create(university=university_a, acting_user=staff_a, **values(fiscal_year=2024))
    with pytest.raises(ValidationError) as error:
        services.statistic_create(
            university=university_a,
            acting_user=staff_a,
            **values(
                fiscal_year=2022,
                entrants=10,
                entrants_from_masters=5,
                entrants_working_adults=1,
                entrants_international=1,
            ),
        )
    assert error.value.message_dict["entrants"] == [
        "この入学者が標準修業年限内に修了した令和6年度の修了者数（18人）を下回っています。"
    ]


def test_the_same_year_and_field_twice_is_refused(university_a, staff_a):
    services.statistic_create(university=university_a, acting_user=staff_a, **values())
    with pytest.raises(ValidationError) as error:
        services.statistic_create(university=university_a, acting_user=staff_a, **values())
    assert error.value.message_dict["field"] == ["令和6年度の工学系は既に登録されています。変更してください。"]


def test_update_changes_figures_and_the_same_values_change_nothing(university_a, staff_a):
    statistic = services.statistic_create(university=university_a, acting_user=staff_a, **values())
    updated = services.statistic_update(statistic=statistic, acting_user=staff_a, expected_version=1, enrolled=100)
    assert (updated.enrolled, updated.version) == (100, 2)
    again = services.statistic_update(statistic=updated, acting_user=staff_a, enrolled=100)
    assert again.version == 2
    assert statistic.history.count() == 2


def test_update_refuses_a_stale_version_and_bad_figures(university_a, staff_a):
    statistic = services.statistic_create(university=university_a, acting_user=staff_a, **values())
    with pytest.raises(services.StaleUpdate):
        services.statistic_update(statistic=statistic, acting_user=staff_a, expected_version=7, enrolled=100)
    with pytest.raises(ValidationError) as error:
        services.statistic_update(statistic=statistic, acting_user=staff_a, entrants=3)
    assert "entrants_from_masters" in error.value.message_dict
    statistic.refresh_from_db()
    assert (statistic.entrants, statistic.version) == (28, 1)


def test_a_locked_year_cannot_change_until_unlocked(university_a, staff_a):
    officer = user_with_role("officer_e", "program_officer")
    statistic = services.statistic_create(university=university_a, acting_user=staff_a, **values())
    services.enrolment_year_lock(university=university_a, fiscal_year=2024, acting_user=officer)
    with pytest.raises(ValidationError) as error:
        services.statistic_update(statistic=statistic, acting_user=staff_a, enrolled=100)
    assert error.value.message_dict["fiscal_year"] == [
        "令和6年度の統計は確定済みのため変更できません。担当官に確定の解除を依頼してください。"
    ]
    with pytest.raises(ValidationError):
        services.statistic_create(university=university_a, acting_user=staff_a, **values(field="science"))
    services.enrolment_year_unlock(university=university_a, fiscal_year=2024, acting_user=officer)
    assert services.statistic_update(statistic=statistic, acting_user=staff_a, enrolled=100).enrolled == 100


def test_messages_are_the_rules_constants():
    assert str(rules.UNKNOWN_FIELD) == "不明な学系です: {value}"


def test_accepting_the_annual_report_locks_the_years_statistics_and_reopening_frees_them(
    reference, university_a, staff_a
):
    """Item 1: "A reported year can be locked with the annual report". FY2024's SPRING report
    accepted: FY2024's statistics refuse changes by form, upload and API alike; FY2023 stays open;
    the officer reopening the report frees the year again."""
    from datetime import date

    from programs.models import Program
    from reports import services as report_services
    from students import services as student_services
    from students.api.keys import api_key_create
    from tests.api.test_api import client_with
    from tests.factories import StudentFactory

    spring = Program.objects.get(code="SPRING")
    certifier = user_with_role("stat_certifier", "university_staff", university=university_a)
    certifier.membership.can_certify = True
    certifier.membership.save()
    officer = user_with_role("stat_officer", "program_officer", programs=[spring])
    statistic = services.statistic_create(university=university_a, acting_user=staff_a, **values(fiscal_year=2024))
    services.statistic_create(university=university_a, acting_user=staff_a, **values(fiscal_year=2023))
    student_services.award_create(
        student=StudentFactory(university=university_a),
        program=spring,
        start_date=date(2024, 4, 1),
        end_date=date(2027, 3, 31),
        acting_user=staff_a,
    )
    report = report_services.report_prepare(
        university=university_a, program=spring, fiscal_year=2024, acting_user=staff_a
    )
    report_services.report_submit(report=report, acting_user=certifier)
    report_services.report_accept(report=report, acting_user=officer)
    # the form's service
    locked = "令和6年度の統計は確定済みのため変更できません。担当官に確定の解除を依頼してください。"
    with pytest.raises(ValidationError) as error:
        services.statistic_update(statistic=statistic, acting_user=staff_a, enrolled=120)
    assert error.value.message_dict["fiscal_year"] == [locked]
    assert (
        services.statistic_update(
            statistic=EnrolmentStatistic.objects.get(fiscal_year=2023), acting_user=staff_a, enrolled=120
        ).enrolled
        == 120
    )
    # the upload
    header = ",".join(services.headers())
    plan = services.statistics_upload_check(
        university=university_a,
        content=f"{header}\n2024,engineering,30,28,20,5,6,96,25,18,3\n".encode(),
        filename="s.csv",
    )
    assert [e.message for e in plan.result.errors] == [locked]
    # the API
    _key, secret = api_key_create(name="stats", scope="write", university=university_a, acting_user=staff_a)
    api = client_with(secret)
    etag = api.get(f"/api/v1/enrolment-statistics/{statistic.pk}/")["ETag"]
    response = api.patch(
        f"/api/v1/enrolment-statistics/{statistic.pk}/", {"enrolled": 120}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 400, response.content
    assert locked in response.content.decode()
    statistic.refresh_from_db()
    assert (statistic.enrolled, statistic.version) == (95, 1)
    # reopened: the year is free again
    report_services.report_reopen(report=report, acting_user=officer, comment="再提出をお願いします")
    assert services.statistic_update(statistic=statistic, acting_user=staff_a, enrolled=120).enrolled == 120
