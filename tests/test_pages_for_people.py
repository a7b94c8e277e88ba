"""What a clerk and an English reader see (Ref: #13, items 6 and 7): each test failed before.

Three actors as elsewhere: the university's certifying staff, the program's officer, and the
pages in English.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from programs.models import Program
from reports import services as report_services
from reports.models import Report
from tests.factories import AwardFactory, StudentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def certifier(university_a):
    user = user_with_role("certifier", "university_staff", university=university_a)
    user.membership.can_certify = True
    user.membership.save()
    return user


@pytest.fixture
def officer(reference):
    return user_with_role("officer", "program_officer", programs=Program.objects.filter(code="SPRING"))


@pytest.fixture
def submitted(reference, university_a, certifier):
    AwardFactory(student=StudentFactory(university=university_a), start_date=date(2024, 4, 1))
    report = report_services.report_prepare(
        university=university_a, program=Program.objects.get(code="SPRING"), fiscal_year=2024, acting_user=certifier
    )
    return report_services.report_submit(report=report, acting_user=certifier)


def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def test_accepting_asks_for_a_ticked_confirmation(client, officer, submitted):
    client.force_login(officer)
    # when: accept is pressed without the box ticked
    response = client.post(f"/students/reports/{submitted.pk}/accept/")
    # then: nothing is locked, and the page says why at the top, linking to the box
    submitted.refresh_from_db()
    assert submitted.state == Report.State.SUBMITTED
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'href="#id_confirm"' in page
    assert "受理する前に、確認の欄にチェックを入れてください。" in page
    # when: ticked
    client.post(f"/students/reports/{submitted.pk}/accept/", {"confirm": "on"})
    submitted.refresh_from_db()
    assert submitted.state == Report.State.ACCEPTED


def test_a_returned_report_reads_returned_at_home_and_a_reopened_one_has_no_old_comment(
    client, certifier, officer, submitted
):
    report_services.report_return(report=submitted, acting_user=officer, comment="所見を書いてください")
    client.force_login(certifier)
    home = client.get("/").content.decode()
    assert '<span class="badge state-returned">差戻し</span>' in home
    # resubmitted, accepted, then reopened: the earlier return is history, not the current state
    report = report_services.report_submit(report=Report.objects.get(), acting_user=certifier)
    report = report_services.report_accept(report=report, acting_user=officer)
    report_services.report_reopen(report=report, acting_user=officer, comment="数値の訂正")
    page = client.get(f"/students/reports/{report.pk}/").content.decode()
    assert 'id="officer-comment"' not in page
    assert "差戻し" not in client.get("/").content.decode().split('id="reports-to-act-on"')[-1].split("</table>")[0]


def test_an_award_past_its_end_reads_ended_and_one_past_completion_is_flagged(
    client, reference, university_a, certifier
):
    today = timezone.localdate()
    student = StudentFactory(university=university_a, status="completed", completion_date=today - timedelta(days=400))
    award = AwardFactory(student=student, start_date=today - timedelta(days=800), end_date=today - timedelta(days=1))
    client.force_login(certifier)
    page = client.get(f"/students/awards/{award.pk}/").content.decode()
    assert "支援期間終了" in page
    assert "支援中" not in page
    assert 'id="past-completion"' in page  # ended a year after the student completed


def test_the_upload_page_lists_every_column_and_its_values(client, certifier, reference):
    client.force_login(certifier)
    page = client.get("/students/uploads/").content.decode()
    assert 'id="column-guide"' in page
    assert "工学系 (engineering)" in page
    assert "2025/4/1" in page
    assert "SPRING (次世代研究者挑戦的研究プログラム)" in page


def test_a_form_with_errors_has_a_summary_linking_to_each_field(client, certifier):
    client.force_login(certifier)
    page = client.post("/students/new/", {"student_number": "", "field": "nope"}).content.decode()
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_student_number"' in summary
    assert 'href="#id_field"' in summary


def test_favicon_is_served(client):
    assert client.get("/favicon.ico").status_code == 200


def test_english_pages_name_universities_and_years_in_english(client, officer, submitted, university_a):
    english(client)
    client.force_login(officer)
    page = client.get(f"/students/reports/{submitted.pk}/").content.decode()
    assert "Kou University" in page
    assert "甲大学" not in page
    assert "FY2024 (R6)" in page
    assert "令和6年度" not in page
    printed = client.get(f"/students/reports/{submitted.pk}/print/").content.decode()
    assert '<html lang="en">' in printed
    assert "Annual report" in printed
    assert "御中" not in printed
    assert "令和" not in printed
