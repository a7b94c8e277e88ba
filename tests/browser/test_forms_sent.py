"""The pages behind a POST, judged as the crawl judges every other page (Ref: #13).

The crawl (test_crawl.py) reaches what a GET shows. Here each main form is sent empty or wrong,
in Japanese and in English, and the page that answers is judged on the same rules (axe-core
including moderate findings, one language, no console error, no "---------"): a form shown again
with its errors, an upload's check with a bad file, a report's confirmation and an officer's
refusals. A form's error summary must be focused on arrival and link to each field with a problem;
following a link puts the focus in that field.

Browsers refuse an empty required field before sending; a person with another browser (or a
script) can still send one, and the page must answer well, so the forms are sent with
validation in the browser off.
"""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from payments.imports import headers as payment_headers
from programs import rules
from programs.models import Program
from reports import services as report_services
from reports.models import Report
from students.models import Award, Membership
from tests.browser.crawl import Crawl, squeezed_headers
from tests.students.test_imports import HEADER_JA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "demo-pass-2025"  # load_demo's accounts

# A summary focused on arrival, and where each of its links leads.
SUMMARY_JS = """
() => {
  const summary = document.querySelector('[data-error-summary]');
  if (!summary) return null;
  return {
    focused: document.activeElement === summary,
    links: [...summary.querySelectorAll('a')].map(a => {
      const href = a.getAttribute('href') || '';
      const target = href.startsWith('#') ? document.getElementById(href.slice(1)) : null;
      return [href, target ? target.tagName : null];
    }),
  };
}
"""
FIELDS = {"INPUT", "SELECT", "TEXTAREA"}


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", scale=0.002, stdout=io.StringIO())


class Sender:
    """One signed-in browser page that sends forms and judges what answers."""

    def __init__(self, crawl: Crawl, browser, username: str):
        self.crawl = crawl
        self.username = username
        self.context, self.page, self.errors = crawl.open_as(browser, username)
        self.language = "ja"

    def switch(self, language: str) -> None:
        self.crawl.switch_language(self.page, language)
        self.language = language

    def send(self, name: str, path: str, form: str, *, fill=None, files=None, summary=True) -> None:
        """Open `path`, send its form `form` (a selector) as it stands after `fill`, and judge the answer."""
        page, label = self.page, f"{self.username}/{self.language} {name}"
        page.goto(path)
        page.eval_on_selector(form, "f => { f.noValidate = true; }")
        for selector, value in (fill or {}).items():
            page.fill(selector, value)
        if files:
            page.set_input_files(f"{form} input[type=file]", files)
        self.errors.clear()
        with page.expect_navigation():
            page.locator(f"{form} button[type=submit]").last.click()
        page.wait_for_load_state()
        self.crawl.pages += 1
        self.crawl.visited.append(f"{label} -> {page.url}")
        self.crawl.judge(page, label, self.language)
        for error in self.errors:
            self.crawl.problem(f"{label}: {error}")
        if summary:
            self.check_summary(label)
        else:
            assert page.query_selector(".error-summary") is None, f"{label}: unexpected errors"

    def check_summary(self, label: str) -> None:
        page = self.page
        found = page.evaluate(SUMMARY_JS)
        if found is None:
            self.crawl.problem(f"{label}: no error summary at the top")
            return
        if not found["focused"]:
            self.crawl.problem(f"{label}: the error summary is not focused on arrival")
        if not found["links"]:
            self.crawl.problem(f"{label}: the error summary links to no field")
        for href, tag in found["links"]:
            if tag not in FIELDS:
                self.crawl.problem(f"{label}: the error summary's link {href} leads to {tag}, not a field")
        if found["links"] and found["links"][0][1] in FIELDS:
            href = found["links"][0][0]
            page.click(f"[data-error-summary] a[href='{href}']")
            if page.evaluate("() => document.activeElement && document.activeElement.id") != href[1:]:
                self.crawl.problem(f"{label}: following the summary's link {href} leaves the focus elsewhere")


def test_forms_sent_empty_or_wrong_answer_with_reachable_errors_in_both_languages(browser, live_server, demo, tmp_path):
    # given: the demo's certifying staff, one of their awards (and its student), a draft report
    # of a program of the demo's officer, and two bad files
    crawl = Crawl(base_url=live_server.url, password=DEMO_PASSWORD)
    university = Membership.objects.get(user__username="staff").university
    award = Award.objects.filter(university=university).select_related("student").order_by("pk").first()
    student = award.student
    last_year = rules.fiscal_year(timezone.localdate()) - 1  # a year must be over before its report goes in
    program, fiscal_year = next(
        (program, year)
        for year in range(last_year, last_year - 5, -1)
        for program in Program.objects.filter(code__in=["SPRING", "BOOST", "FELLOWSHIP", "EMERGENT_RA"])
        if not Report.objects.filter(university=university, program=program, fiscal_year=year)
        .exclude(state=Report.State.DRAFT)
        .exists()
    )
    report = report_services.report_prepare(
        university=university,
        program=program,
        fiscal_year=fiscal_year,
        acting_user=Membership.objects.get(user__username="staff").user,
    )
    bad_students = tmp_path / "students.csv"
    bad_students.write_text(
        HEADER_JA + "\n" + "X1,,山田,花子,geology,2025-13-01,3,在籍,,0,0,NOPE,2025-04-01,2024-03-31,abc,,0\n",
        encoding="utf-8",
    )
    bad_enrolment = tmp_path / "enrolment.csv"
    bad_enrolment.write_text("年度,学系,入学定員\n20x5,不明,-1\n", encoding="utf-8")
    not_a_table = tmp_path / "export.xlsx"  # named a workbook, but not one: the whole file is refused
    not_a_table.write_bytes(b"this is not a spreadsheet")
    bad_payroll = tmp_path / "payroll.csv"  # a table whose row names no student of the university
    bad_payroll.write_text(
        ",".join(payment_headers("ja")) + "\nNOBODY,JSPS_DC1,2025-04,200000,0,2025-04-20,,\n", encoding="utf-8"
    )
    staff = Sender(crawl, browser, "staff")
    officer = Sender(crawl, browser, "officer")

    for language in ("ja", "en"):
        staff.switch(language)
        officer.switch(language)
        # when: staff send each form empty or wrong
        staff.send("student form", "/students/new/", "main form.stacked")
        staff.send("award form", f"/students/{student.pk}/awards/new/", "main form.stacked")
        staff.send("award event form", f"/students/awards/{award.pk}/", "form[action$='/events/']")
        staff.send("payment form", f"/students/payments/{student.pk}/new/", "main form.stacked")
        staff.send("career form", f"/students/{student.pk}/careers/new/", "main form.stacked")
        staff.send("enrolment statistics form", "/enrolment/", "main form.stacked")
        staff.send("upload without a file", "/students/uploads/", "main form.stacked")
        staff.send("upload check", "/students/uploads/", "main form.stacked", files=str(bad_students), summary=False)
        assert staff.page.is_visible("#upload-errors"), staff.page.url
        staff.send(
            "enrolment upload check", "/enrolment/upload/", "main form.stacked", files=str(bad_enrolment), summary=False
        )
        assert staff.page.is_visible("#upload-errors, .error-summary, .errorlist"), staff.page.url
        staff.send(
            "careers upload of a file that is no table",
            "/students/careers/upload/",
            "main form.stacked",
            files=str(not_a_table),
        )
        staff.send("payroll upload without a file", "/students/payments/upload/", "main form.stacked")
        staff.send(
            "payroll upload of a file that is no table",
            "/students/payments/upload/",
            "main form.stacked",
            files=str(not_a_table),
        )
        staff.send(
            "payroll upload check",
            "/students/payments/upload/",
            "main form.stacked",
            files=str(bad_payroll),
            summary=False,
        )
        assert staff.page.is_visible("#upload-errors"), staff.page.url
        assert staff.page.get_attribute("#upload-again", "href") == "/students/payments/upload/"
        # the officer's deadlines: a row's date sent empty
        officer.send(
            "report deadline without a date",
            "/students/reports/deadlines/",
            "#deadlines tbody tr:first-child form",
            fill={"#deadlines tbody tr:first-child input[name=due_date]": ""},
        )
        # the report: staff submit it (a confirmation), the officer refuses twice and returns it
        staff.send(
            "report submitted",
            f"/students/reports/{report.pk}/",
            f"form[action$='/{report.pk}/submit/']",
            summary=False,
        )
        report.refresh_from_db()
        assert report.state == "submitted", crawl.problems
        officer.send("report returned without a comment", f"/students/reports/{report.pk}/", "form[action$='/return/']")
        officer.send("report accepted unticked", f"/students/reports/{report.pk}/", "#accept-form")
        officer.send(
            "report returned",
            f"/students/reports/{report.pk}/",
            "form[action$='/return/']",
            fill={"form[action$='/return/'] textarea": "所見欄を記入してください。"},
            summary=False,
        )
        report.refresh_from_db()
        assert report.state == "draft"
        # the outcomes table's many columns keep readable headers (the block scrolls sideways)
        staff.page.goto("/dashboards/outcomes/")
        assert staff.page.locator("table.outcomes").count() > 0
        assert squeezed_headers(staff.page, "table.outcomes thead th") == [], language

    # then: every answer passes what every page passes, and its errors can be reached
    staff.context.close()
    officer.context.close()
    assert crawl.pages == 2 * 18, crawl.visited
    assert not crawl.problems, "\n".join(crawl.problems)
