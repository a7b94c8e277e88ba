"""A report in the browser: staff prepare and submit, the officer returns it, staff fix and
resubmit, the officer accepts, and the year's awards are locked."""

from datetime import date

import pytest

from careers.models import CareerOutcome
from programs.models import Program
from reports.models import Report
from students.models import AwardEvent
from tests.browser.conftest import sign_in
from tests.factories import AwardFactory, StudentFactory, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_submit_return_fix_accept(page, screenshot, reference, university_a):
    certifier = user_with_role("certifier", "university_staff", university=university_a)
    certifier.membership.can_certify = True
    certifier.membership.save()
    user_with_role("officer", "program_officer", programs=Program.objects.filter(code="SPRING"))
    award = AwardFactory(student=StudentFactory(university=university_a), start_date=date(2025, 4, 1))

    # staff: prepare the FY2025 SPRING report from the list and submit it
    sign_in(page, "certifier")
    page.goto("/students/reports/?fiscal_year=2025")
    page.click("#reports button:has-text('作成する')")
    page.wait_for_selector("#report-figures")
    assert "1,800,000" in page.inner_text("#report-figures")
    page.fill("#id_career_activities", "企業インターンシップ 1名")
    page.click("button:has-text('保存する')")
    page.wait_for_load_state()
    page.click("#submit-report")
    page.wait_for_load_state()
    assert "提出済み" in page.inner_text("#report-state")
    report_url = page.url

    # officer: return it with a comment
    sign_in(page, "officer")
    page.goto("/students/reports/?fiscal_year=2025")
    page.click("#reports a:has-text('開く')")
    page.fill("#id_comment", "所見欄を記入してください。")
    page.click("#return-report")
    page.wait_for_load_state()
    assert "作成中" in page.inner_text("#report-state")

    # staff: see the comment, fix and resubmit
    sign_in(page, "certifier")
    page.goto(report_url)
    assert "所見欄を記入してください。" in page.inner_text("#officer-comment")
    screenshot("report-returned")
    page.fill("#id_comments", "計画どおり支援しました。")
    page.click("button:has-text('保存する')")
    page.wait_for_load_state()
    page.click("#submit-report")
    page.wait_for_load_state()

    # officer: accept, which asks for the box to be ticked first (the browser refuses an unticked
    # required box; nothing is sent)
    sign_in(page, "officer")
    page.goto(report_url)
    page.click("#accept-report")
    assert Report.objects.get().state == "submitted"
    page.check("#id_confirm")
    screenshot("report-accept-confirm")
    page.click("#accept-report")
    page.wait_for_load_state()
    assert "受理" in page.inner_text("#report-state")
    screenshot("report-accepted")
    assert Report.objects.get().state == "accepted"

    # staff: the year's awards are locked
    sign_in(page, "certifier")
    page.goto(f"/students/awards/{award.pk}/")
    page.select_option("#id_kind", "suspension")
    page.fill("#id_start_date", "2025-10-01")
    page.click("form[action$='/events/'] button")
    page.wait_for_load_state()
    assert "受理済み" in page.content()
    assert not AwardEvent.objects.exists()
    page.goto(report_url + "print/")
    screenshot("report-print")


def test_career_entry_and_outcomes(page, screenshot, reference, university_a):
    user_with_role("staff", "university_staff", university=university_a)
    user_with_role("ministry", "ministry_viewer")
    student = StudentFactory(
        university=university_a, student_number="G1", status="completed", completion_date=date(2025, 3, 31)
    )
    AwardFactory(student=student, start_date=date(2022, 4, 1), end_date=date(2025, 3, 31))
    sign_in(page, "staff")
    page.goto("/students/careers/")
    page.click("#careers-due a:has-text('登録する') >> nth=0")
    page.select_option("#id_destination", "postdoc")
    page.select_option("#id_sector", "academia")
    page.fill("#id_country", "JP")
    page.click("button.primary")
    page.wait_for_load_state()
    assert CareerOutcome.objects.get().destination == "postdoc"
    assert "ポストドクター" in page.inner_text("#careers")
    sign_in(page, "ministry")
    page.goto("/dashboards/outcomes/")
    assert "100.0%" in page.inner_text("main")
    screenshot("outcomes")
