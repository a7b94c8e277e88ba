"""The enrolment pages walked in Chromium, in Japanese and English: the ministry's coverage and
indicator, the drill-down to one university's fields, and the university's own page with its
what-if. Screenshots land in screenshots/ for a person to look at."""

from datetime import date

import pytest

from careers.models import CareerOutcome
from enrolment import services
from tests.browser.conftest import sign_in
from tests.enrolment.factories import values
from tests.factories import StudentFactory, UniversityFactory, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _report(university, *, completions):
    for year in range(2018, 2023):
        services.statistic_create(
            university=university,
            acting_user=None,
            **values(
                fiscal_year=year,
                admission_capacity=10,
                entrants=10,
                entrants_from_masters=6,
                entrants_working_adults=2,
                entrants_international=1,
                enrolled=30,
                degrees_conferred=9,
                completions_within_term=completions,
            ),
        )


@pytest.fixture
def reported(db):
    """Group ①: 甲 4, 丙 6, 丁 8 on-time completions a year; group ④ (designated): 東 5 and 西 7."""
    kou = UniversityFactory(name_ja="甲大学", name_en="Kou University")
    for name, completions in (("丙大学", 6), ("丁大学", 8)):
        _report(UniversityFactory(name_ja=name), completions=completions)
    _report(kou, completions=4)
    for name, completions in (("東大学", 5), ("西大学", 7)):
        _report(UniversityFactory(name_ja=name, national_group=4, is_designated=True), completions=completions)
    for destination in ("postdoc", "student", "not_employed"):
        student = StudentFactory(
            university=kou, entry_date=date(2019, 4, 1), status="completed", completion_date=date(2022, 3, 24)
        )
        CareerOutcome.objects.create(student=student, survey_point="completion", destination=destination)
    return kou


def test_ministry_walks_coverage_indicator_and_drill_down_in_both_languages(page, screenshot, reported):
    user_with_role("enrolment_ministry", "ministry_viewer")
    sign_in(page, "enrolment_ministry")
    page.goto("/enrolment/national/?fiscal_year=2022&first_year=2020")
    indicator = page.locator("#table-indicator")
    assert "丁大学" in indicator.inner_text()
    assert "70%" in indicator.inner_text()  # 東: 2nd of the 2 designated universities (past 90%) → 70%
    assert "70%～130%で設定" in page.inner_text("#designated-note")
    screenshot("enrolment-national")
    page.click("form.lang button[value=en]")
    page.wait_for_load_state()
    assert "Allocation rate" in page.inner_text("#table-indicator")
    screenshot("enrolment-national-en")
    page.click("#table-indicator >> text=Kou University")  # English names on English pages (#13 item 6)
    page.wait_for_load_state()
    assert "Kou University" in page.inner_text("h1")
    fields = page.inner_text("#table-indicator_fields")
    assert "FY2018 (H30)" in fields
    screenshot("enrolment-drilldown-en")
    page.click("form.lang button[value=ja]")
    page.wait_for_load_state()
    assert "学系別の内訳" in page.inner_text("#table-indicator_fields")
    screenshot("enrolment-drilldown")


def test_a_university_sees_its_own_page_and_what_if_in_both_languages(page, screenshot, reported):
    user_with_role("enrolment_staff", "university_staff", university=reported)
    sign_in(page, "enrolment_staff")
    page.goto(f"/enrolment/universities/{reported.pk}/?fiscal_year=2022&first_year=2020")
    assert "3 / 3" in page.inner_text("#indicator")
    page.select_option("#what-if select[name=field]", "engineering")
    page.fill("#what-if input[name=extra]", "12")
    page.click("#what-if button[type=submit]")
    page.wait_for_load_state()
    assert "配分率 110%" in page.inner_text(".what-if-result")
    screenshot("enrolment-own")
    page.click("form.lang button[value=en]")
    page.wait_for_load_state()
    assert "110%" in page.inner_text(".what-if-result")
    screenshot("enrolment-own-en")
    page.goto("/dashboards/outcomes/?window=2020")
    assert "Kou University" in page.inner_text("#employment-indicator")
    screenshot("enrolment-employment-en")
    page.click("form.lang button[value=ja]")
    page.wait_for_load_state()
    screenshot("enrolment-employment")
