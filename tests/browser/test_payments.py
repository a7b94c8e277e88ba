"""Issue #15's "done when", walked in Chromium: a university uploads a year of payments from a
payroll export, a suspension recorded late turns three paid months into a recovery claim and
differences, the university settles the claim, and the ministry sees paid against due and the
budget by program. Figures from DOMAIN.md: SPRING at ¥1,800,000 a year is ¥150,000 a month;
a suspension of October–December 2025 (whole months) makes those months due ¥0, so ¥450,000
was paid while suspended and is claimed back (truncated once). Screenshots in both languages."""

from datetime import date

import pytest

from payments.imports import headers
from payments.models import ClaimSettlement, PaymentEntry
from programs.models import Program
from programs.rules import fiscal_year
from students import services
from tests.browser.conftest import sign_in
from tests.browser.crawl import Crawl, squeezed_headers
from tests.factories import StudentFactory, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONTHS = [date(2025, m, 1) for m in range(4, 13)] + [date(2026, m, 1) for m in range(1, 4)]


@pytest.fixture
def awardee(reference, university_a, staff_a):
    staff_a.membership.can_certify = True
    staff_a.membership.save()
    student = StudentFactory(university=university_a, student_number="PAY001", entry_date=date(2025, 4, 1))
    return services.award_create(
        student=student,
        acting_user=staff_a,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        annual_living_cost=1_800_000,
        annual_research_cost=0,
    )


def payroll_file(tmp_path):
    """The payroll export of FY2025: twelve months of ¥150,000, paid on the 25th, in Shift_JIS."""
    lines = [",".join(headers("ja"))]
    for month in MONTHS:
        lines.append(f"PAY001,SPRING,{month:%Y-%m},150000,0,{month:%Y-%m}-25,,")
    path = tmp_path / "給与支給実績.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    return path


def test_a_year_of_payroll_a_late_suspension_its_claim_settled_and_the_ministrys_money_page(
    page, screenshot, awardee, staff_a, tmp_path, live_server
):
    judge = Crawl(live_server.url, password="")  # the crawl's rules: axe every impact, one language
    sign_in(page, "staff_a")
    # the payroll export is checked, then applied: twelve months in the ledger, nothing to fix
    page.goto("/students/payments/upload/")
    page.set_input_files("#id_file", str(payroll_file(tmp_path)))
    page.click("button.primary")
    page.wait_for_selector("#upload-summary")
    page.click("text=反映する")
    page.wait_for_selector(".success")
    assert PaymentEntry.objects.filter(award=awardee).count() == 12
    screenshot("payments-upload-applied")

    # a suspension of October–December 2025 is recorded now, after the money went out
    page.goto(f"/students/awards/{awardee.pk}/")
    event_form = page.locator("form:has(#id_kind)")
    event_form.locator("#id_kind").select_option("suspension")
    event_form.locator("#id_start_date").fill("2025-10-01")
    event_form.locator("#id_end_date").fill("2025-12-31")
    event_form.locator("#id_reason").fill("病気療養")
    event_form.locator("button.primary").click()
    page.wait_for_load_state()
    assert awardee.events.filter(kind="suspension").count() == 1

    # the university's page: three months paid while suspended, oldest first, and the claim
    page.goto("/students/payments/")
    differences = page.inner_text("#differences")
    assert [line.split("\t")[0] for line in differences.splitlines()[1:4]] == ["2025-10", "2025-11", "2025-12"]
    assert "¥450,000" in page.inner_text("main")
    judge.judge(page, "university payments with an open claim", "ja")
    assert squeezed_headers(page) == []  # the claims' columns keep a readable width
    screenshot("payments-university-claim")

    # the student's page: due and paid side by side; the claim is settled as repaid
    page.goto(f"/students/{awardee.student_id}/")
    months = {}
    for row in page.locator("#reconciliation tbody tr").all_inner_texts():
        cells = row.split("\t")
        months[cells[1]] = cells[2:5]
    assert months["2025-09"] == ["¥150,000", "¥150,000", ""]
    assert months["2025-10"] == ["¥0", "¥150,000", "¥150,000"]  # paid while suspended
    assert months["2026-03"] == ["¥150,000", "¥150,000", ""]
    judge.judge(page, "student page with due, paid and a claim", "ja")
    assert squeezed_headers(page) == []
    claim_form = page.locator("form[action*='/settle/']").first
    claim_form.locator("select").select_option("repaid")
    claim_form.locator("input[name=amount]").fill("450000")
    claim_form.locator("input[name=reason]").fill("2026年1月に返納")
    claim_form.locator("button").click()
    page.wait_for_load_state()
    settlement = ClaimSettlement.objects.get()
    assert (settlement.kind, settlement.amount, settlement.decided_by) == ("repaid", 450_000, staff_a)
    screenshot("payments-claim-settled")

    # the ministry: paid against due and budget by program, no names
    page.context.clear_cookies()
    user_with_role("money_ministry", "ministry_viewer")
    sign_in(page, "money_ministry")
    for language in ("ja", "en"):
        page.goto("/dashboards/money/?fiscal_year=2025")
        if language == "en":
            page.click("button[value=en]")
            page.wait_for_load_state()
            assert "Payments and budgets" in page.inner_text("h1")
        spring = [
            row
            for row in page.locator("#table-program tbody tr").all_inner_texts()
            if "SPRING" in row or "次世代" in row
        ]
        assert len(spring) == 1
        assert "1,350,000" in spring[0]
        assert "1,800,000" in spring[0]
        assert page.locator("#table-budget").count() == 1
        assert "PAY001" not in page.inner_text("main")
        judge.judge(page, f"money page ({language})", language)
        screenshot(f"payments-ministry-money-{language}")
    # the repayment counts as recovered in the fiscal year it was decided (today's)
    page.goto(f"/dashboards/money/?fiscal_year={fiscal_year(settlement.decided_on)}")
    total = page.locator("#table-total tbody tr").first.inner_text().split("\t")
    assert total[4] == "450,000"
    assert judge.problems == []
