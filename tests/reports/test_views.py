"""The report, fix-list, career and outcome pages as their users go through them."""

import io
from datetime import UTC, date, datetime

import pytest
from django.conf import settings
from openpyxl import load_workbook

from careers.models import CareerOutcome
from programs.models import Program
from reports.models import Report, ReportDeadline
from students.models import AwardEvent
from tests.factories import AwardFactory, StudentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(reference, university_a, university_b):
    certifier = user_with_role("certifier", "university_staff", university=university_a)
    certifier.membership.can_certify = True
    certifier.membership.save()
    return {
        "certifier": certifier,
        "officer": user_with_role("officer", "program_officer", programs=Program.objects.filter(code="SPRING")),
        "ministry": user_with_role("ministry", "ministry_viewer"),
        "staff_b": user_with_role("staff_b", "university_staff", university=university_b),
    }


@pytest.fixture
def award(university_a):
    return AwardFactory(student=StudentFactory(university=university_a), start_date=date(2025, 4, 1))


def test_submit_return_fix_resubmit_accept_and_the_lock(client, people, award):
    client.force_login(people["certifier"])
    report_url = client.post("/students/reports/prepare/", {"program": "SPRING", "fiscal_year": 2025})["Location"]
    page = client.get(report_url).content.decode()
    assert "1,800,000" in page  # living cost paid in FY2025 by the rules
    client.post(report_url + "text/", {"comments": "", "career_activities": "インターンシップ 3名"})
    client.post(report_url + "submit/")
    report = Report.objects.get()
    assert report.state == "submitted"

    client.force_login(people["officer"])
    assert client.post(report_url + "return/", {"comment": ""}).status_code == 200  # comment required
    client.post(report_url + "return/", {"comment": "所見を記入してください"})
    report.refresh_from_db()
    assert (report.state, report.officer_comment) == ("draft", "所見を記入してください")

    client.force_login(people["certifier"])
    assert "所見を記入してください" in client.get(report_url).content.decode()
    client.post(report_url + "text/", {"comments": "順調に支援した", "career_activities": "インターンシップ 3名"})
    client.post(report_url + "submit/")
    client.force_login(people["officer"])
    client.post(report_url + "accept/")  # without the confirmation ticked, nothing happens (Ref: #13)
    report.refresh_from_db()
    assert report.state == "submitted"
    client.post(report_url + "accept/", {"confirm": "on"})
    report.refresh_from_db()
    assert report.state == "accepted"
    assert [e.action for e in report.events.all()] == ["submit", "return", "submit", "accept"]

    client.force_login(people["certifier"])
    response = client.post(
        f"/students/awards/{award.pk}/events/", {"kind": "suspension", "start_date": "2025-10-01"}, follow=True
    )
    assert "受理済み" in response.content.decode()
    assert not AwardEvent.objects.exists()


def test_only_the_certifier_sees_the_submit_button_and_a_staff_submit_is_refused(client, people, university_a, award):
    plain = user_with_role("plain", "university_staff", university=university_a)
    client.force_login(plain)
    url = client.post("/students/reports/prepare/", {"program": "SPRING", "fiscal_year": 2025})["Location"]
    assert 'id="submit-report"' not in client.get(url).content.decode()
    response = client.post(url + "submit/", follow=True)
    assert "提出権限" in response.content.decode()
    assert Report.objects.get().state == "draft"


def test_print_page_and_xlsx_carry_the_figures(client, people, university_a, award):
    client.force_login(people["certifier"])
    url = client.post("/students/reports/prepare/", {"program": "SPRING", "fiscal_year": 2025})["Location"]
    printed = client.get(url + "print/").content.decode()
    assert "実績報告書" in printed
    # The A4 layout is a stylesheet of its own (the CSP refuses inline styles). Ref: #12
    assert "/static/css/report-print.css" in printed
    assert "size: A4" in (settings.BASE_DIR / "static" / "css" / "report-print.css").read_text()
    assert "令和7年度" in printed
    sheet = load_workbook(io.BytesIO(client.get(url + "report.xlsx").content)).active
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert values["大学"] == university_a.name_ja
    assert values["生活費相当額の支給額（円）"] == 1_800_000
    assert values["支給月数（延べ）"] == 12


def test_ministry_sees_report_states_late_first_and_staff_do_not(client, people, award, university_b):
    Report.objects.create(
        university=university_b, program=award.program, fiscal_year=2025, state="accepted", submitted_at=None
    )
    AwardFactory(student=StudentFactory(university=university_b), start_date=date(2025, 4, 1))
    client.force_login(people["ministry"])
    page = client.get("/dashboards/reports/?fiscal_year=2025").content.decode()
    table = page[page.index('id="report-states"') :]
    assert table.index("甲大学") < table.index("乙大学")  # 甲 has not reported and is late
    assert "期限超過" in table
    assert 'id="quality-ranking"' in page
    client.force_login(people["staff_b"])
    assert client.get("/dashboards/reports/").status_code == 403


def test_outcomes_dashboard_shows_rates_beside_the_references(client, people, university_a):
    for i, destination in enumerate(["postdoc", "postdoc", "non_research", "not_employed"]):
        student = StudentFactory(
            university=university_a, student_number=f"G{i}", status="completed", completion_date=date(2025, 3, 31)
        )
        AwardFactory(student=student, start_date=date(2022, 4, 1), end_date=date(2025, 3, 31))
        sector = "" if destination == "not_employed" else "academia"
        CareerOutcome.objects.create(student=student, survey_point="completion", destination=destination, sector=sector)
    client.force_login(people["ministry"])
    page = client.get("/dashboards/outcomes/").content.decode()
    assert "75.0%" in page  # 3 of 4 employed
    for reference in ("69.3%", "79.3%", "75.0%", "80.0%"):
        assert reference in page
    by_university = client.get(f"/dashboards/outcomes/?by=university&university={university_a.pk}").content.decode()
    assert "甲大学" in by_university
    client.force_login(people["staff_b"])  # staff see their own university only
    assert "75.0%</strong></td>" not in client.get("/dashboards/outcomes/?by=university").content.decode()


def test_staff_career_pages(client, people, university_a):
    student = StudentFactory(
        university=university_a, student_number="G1", status="completed", completion_date=date(2025, 3, 31)
    )
    client.force_login(people["certifier"])
    due = client.get("/students/careers/").content.decode()
    assert "G1" in due
    assert "期限超過" in due
    response = client.post(
        f"/students/{student.pk}/careers/new/",
        {"survey_point": "completion", "destination": "postdoc", "sector": "", "employer": "", "country": ""},
    )
    assert "セクターを選んでください" in response.content.decode()
    client.post(
        f"/students/{student.pk}/careers/new/",
        {"survey_point": "completion", "destination": "postdoc", "sector": "academia", "employer": "", "country": "JP"},
    )
    assert CareerOutcome.objects.get().destination == "postdoc"
    upload = io.BytesIO("学籍番号,調査時点,進路,セクター\nG1,1年後,研究職以外の職,企業\n".encode())
    upload.name = "careers.csv"
    page = client.post("/students/careers/upload/", {"file": upload}).content.decode()
    assert 'id="upload-summary"' in page
    assert CareerOutcome.objects.count() == 2
    exported = client.get("/students/careers/jgrad.csv?fiscal_year=2024").content.decode("utf-8-sig")
    assert "G1" in exported
    assert "ポストドクター" in exported
    quality_page = client.get("/students/quality/").content.decode()
    assert 'id="quality-standing"' in quality_page
    assert "100件あたり" in quality_page


def test_admin_lists_deadlines_careers_and_reminders(admin_client, reference):
    for model in ("reports/reportdeadline", "careers/careeroutcome", "students/remindersent"):
        assert admin_client.get(f"/admin/{model}/").status_code == 200
    assert "2026年5月31日" in admin_client.get("/admin/reports/reportdeadline/?fiscal_year=2025").content.decode()
    # Read-only there: deadlines are set on the officers' page, through the service that checks them.
    deadline = ReportDeadline.objects.get(program__code="SPRING", fiscal_year=2025)
    change = f"/admin/reports/reportdeadline/{deadline.pk}/change/"
    assert admin_client.post(change, {"due_date": "2026-01-01"}).status_code == 403
    assert ReportDeadline.objects.get(pk=deadline.pk).due_date == date(2026, 5, 31)


def test_report_pages_in_english(client, people, award):
    client.force_login(people["ministry"])
    client.cookies["django_language"] = "en"
    page = client.get("/dashboards/reports/?fiscal_year=2025").content.decode()
    assert "Annual reports <small>FY2025 (R7)</small>" in page
    assert "Overdue" in page


def test_officer_sets_the_deadlines_of_their_own_programs(client, people):
    spring = Program.objects.get(code="SPRING")
    url = "/students/reports/deadlines/"
    client.force_login(people["officer"])
    page = client.get(url, {"fiscal_year": 2025}).content.decode()
    assert 'id="deadline-SPRING"' in page
    assert 'value="2026-05-31"' in page  # load_reference: 31 May after the year
    assert 'id="deadline-JSPS_DC1"' not in page  # not this officer's program

    response = client.post(url, {"program": "SPRING", "fiscal_year": 2025, "due_date": "2026-06-30"})
    assert response.status_code == 302
    deadline = ReportDeadline.objects.get(program=spring, fiscal_year=2025)
    assert deadline.due_date == date(2026, 6, 30)
    assert deadline.history.first().history_user == people["officer"]
    assert "officer" in client.get(url, {"fiscal_year": 2025}).content.decode()  # who changed it

    # Before the year is over: refused with a message, nothing written.
    response = client.post(url, {"program": "SPRING", "fiscal_year": 2025, "due_date": "2026-03-31"})
    assert response.status_code == 200
    assert "年度の終わり（2026-03-31）より後" in response.content.decode()
    # Another program's deadline: forbidden.
    response = client.post(url, {"program": "JSPS_DC1", "fiscal_year": 2025, "due_date": "2026-06-30"})
    assert response.status_code == 403
    assert ReportDeadline.objects.get(program=spring, fiscal_year=2025).due_date == date(2026, 6, 30)
    assert ReportDeadline.objects.get(program__code="JSPS_DC1", fiscal_year=2025).due_date == date(2026, 5, 31)

    for who in ("certifier", "ministry"):
        client.force_login(people[who])
        assert client.get(url).status_code == 403
        assert client.post(url, {"program": "SPRING", "fiscal_year": 2025, "due_date": "2026-07-31"}).status_code == 403
    assert ReportDeadline.objects.get(program=spring, fiscal_year=2025).due_date == date(2026, 6, 30)


@pytest.mark.parametrize("url", ["/students/careers/", "/students/quality/", "/students/reports/?fiscal_year=2025"])
def test_university_lists_cost_the_same_queries_for_many_rows(client, people, university_a, url):
    """DESIGN.md: a page of 100 costs the same queries as a page of 1. Each finished student adds
    career records due; each award recorded late and each program adds rows to fix or report."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add_rows(count: int, program_codes: list[str]):
        for number in range(count):
            StudentFactory(university=university_a, status="completed", completion_date=date(2024, 3, 31))
            award = AwardFactory(
                student=StudentFactory(university=university_a),
                program=Program.objects.get(code=program_codes[number % len(program_codes)]),
                start_date=date(2025, 4, 1),
            )
            AwardEvent.objects.create(award=award, kind="suspension", start_date=date(2025, 5, 1))
        from students.models import Award

        Award.objects.update(created_at=datetime(2025, 12, 1, tzinfo=UTC))  # all recorded late
        AwardEvent.objects.update(created_at=datetime(2025, 12, 1, tzinfo=UTC))

    client.force_login(people["certifier"])
    add_rows(1, ["SPRING"])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        first = client.get(url)
    add_rows(12, ["SPRING", "BOOST", "EMERGENT_RA"])
    with CaptureQueriesContext(connection) as many:
        second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert len(second.content) > len(first.content)  # the rows are really on the page
    assert len(many) == len(few)


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("due_date", ["", "2026-13-45", "2026-03-31"])
def test_a_deadline_sent_wrong_shows_the_error_summary_first(client, people, language, due_date):
    client.force_login(people["officer"])
    client.cookies["django_language"] = language
    response = client.post(
        "/students/reports/deadlines/", {"program": "SPRING", "fiscal_year": 2025, "due_date": due_date}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'lang="{language}"' in page
    assert "data-error-summary" in page
    assert page.index("data-error-summary") < page.index('id="deadlines"')
    if due_date != "2026-03-31":  # a field's error links to the row's date field
        assert 'href="#deadline-SPRING-due_date"' in page


@pytest.mark.parametrize("who", ["officer", "certifier"])
def test_the_report_list_hint_says_the_order_the_page_uses(client, people, who):
    client.force_login(people[who])
    page = client.get("/students/reports/?fiscal_year=2025").content.decode()
    hint = page[page.index('id="reports-order"') :]
    hint = hint[: hint.index("</p>")]
    if who == "officer":  # submitted reports first (what waits for the officer), then overdue
        assert "審査を待つ報告を先頭に" in hint
    else:
        assert "期限を過ぎて未提出のものを先頭に" in hint
        assert "審査を待つ" not in hint


def test_the_officers_report_list_is_paged(client, people, award, university_b, monkeypatch):
    from reports import views

    monkeypatch.setattr(views, "REPORTS_PER_PAGE", 1)
    AwardFactory(student=StudentFactory(university=university_b), program=award.program, start_date=date(2025, 4, 1))
    client.force_login(people["officer"])
    first = client.get("/students/reports/?fiscal_year=2025").content.decode()
    second = client.get("/students/reports/?fiscal_year=2025&page=2").content.decode()
    names = (award.university.name, university_b.name)
    assert [name in first for name in names].count(True) == 1
    assert [name in second for name in names].count(True) == 1
    assert "1 / 2" in first
    assert 'href="?fiscal_year=2025&amp;page=2#reports"' in first
