"""Money on the dashboards: paid against due and budget; persons paid twice; aggregates only for the ministry."""

from datetime import date

import pytest

from payments import selectors
from payments import services as payments
from payments.reference import load_budgets
from programs.models import Program
from students import services
from tests.factories import StudentFactory, user_with_role

pytestmark = pytest.mark.django_db


def pay(award, user, months, amount):
    payments.payments_record(
        university_id=award.university_id,
        rows=[payments.PaymentInput(award.pk, date(y, m, 1), amount, 0, date(y, m, 20)) for y, m in months],
        acting_user=user,
    )


FY2025 = [(2025, m) for m in range(4, 13)] + [(2026, m) for m in range(1, 4)]


@pytest.fixture
def paid_twice(dc_award, staff_a, university_a):
    """The DC1 fellow's award ended early in September; a SPRING award from October; the payroll
    kept paying DC1 for October: one person paid twice in one month."""
    pay(dc_award, staff_a, FY2025[:7], 200_000)
    services.award_event_create(award=dc_award, kind="termination", start_date=date(2025, 9, 30), acting_user=staff_a)
    spring = services.award_create(
        student=dc_award.student,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 10, 1),
        end_date=date(2028, 3, 31),
        acting_user=staff_a,
    )
    pay(spring, staff_a, FY2025[6:], 150_000)
    return spring


def test_paid_against_due_by_program_truncated_once(paid_twice, dc_award):
    figures = selectors.money_by(2025, "program")
    dc, spring = figures["JSPS_DC1"], figures["SPRING"]
    assert (dc.due, dc.paid, dc.difference) == (6 * 200_000, 7 * 200_000, 200_000)  # October after the end
    assert (spring.due, spring.paid) == (6 * 150_000, 6 * 150_000)
    by_founder = selectors.money_by(2025, "founder")
    assert by_founder["national"].paid == 7 * 200_000 + 6 * 150_000


def test_a_person_paid_by_two_exclusive_programs_in_one_month(paid_twice, dc_award):
    [twice] = selectors.paid_twice(2025)
    assert (twice.month, sorted(c for _s, _n, c, _a in twice.entries)) == (date(2025, 10, 1), ["JSPS_DC1", "SPRING"])


def test_budgets_have_effective_years(reference):
    load_budgets()
    lines = {line.label: line for line in selectors.budget_lines(2025)}
    assert lines["JSPS DC"].annual == 10_635_000_000
    assert lines["JSPS DC"].program_codes == ("JSPS_DC1", "JSPS_DC2")
    assert lines["JSPS PD"].annual == 4_402_000_000
    assert {line.label: line.annual for line in selectors.budget_lines(2024)}["JSPS PD"] == 4_359_000_000
    assert {line.label: line.supplementary for line in selectors.budget_lines(2023)}["SPRING"] == 49_900_000_000


@pytest.mark.parametrize("language", ["ja", "en"])
def test_an_ended_programs_budget_is_shown_only_for_the_years_it_ran(client, reference, ministry_viewer, language):
    """The fellowship (FELLOWSHIP) ran FY2021–FY2023 and was folded into SPRING (DOMAIN.md): its
    FY2023 budget (R5当初 36億円) is not in force in FY2024 or later, so the money page's budget
    table has no row for it there, as it has none for a program with no budget in the year."""
    load_budgets()
    fellowship = Program.objects.get(code="FELLOWSHIP")
    name = fellowship.name_en if language == "en" else fellowship.name_ja
    client.force_login(ministry_viewer)
    client.cookies["django_language"] = language

    def budget_table(fiscal_year):
        page = client.get(f"/dashboards/money/?fiscal_year={fiscal_year}").content.decode()
        table = page[page.index('id="table-budget"') :]
        return table[: table.index("</section>")]

    assert {line.label: line.annual for line in selectors.budget_lines(2023)}["FELLOWSHIP"] == 3_600_000_000
    in_force = budget_table(2023)
    assert name in in_force
    assert "3,600,000,000" in in_force
    for later in (2024, 2025, 2026):
        assert "FELLOWSHIP" not in {line.label for line in selectors.budget_lines(later)}, later
        table = budget_table(later)
        assert name not in table, later
        assert "3,600,000,000" not in table, later
    assert "10,635,000,000" in budget_table(2025)  # the budgets in force still are


def test_the_ministry_sees_the_count_and_officers_of_the_programs_the_list(client, paid_twice, ministry_viewer):
    load_budgets()
    client.force_login(ministry_viewer)
    page = client.get("/dashboards/money/?fiscal_year=2025").content.decode()
    assert "10,635,000,000" in page  # the DC budget
    assert "1 人" in page
    assert paid_twice.student.student_number not in page  # aggregates only
    officer = user_with_role("spring_officer", "program_officer", programs=Program.objects.filter(code="SPRING"))
    client.force_login(officer)
    assert paid_twice.student.student_number in client.get("/dashboards/money/?fiscal_year=2025").content.decode()
    other = user_with_role("pd_officer", "program_officer", programs=Program.objects.filter(code="JSPS_PD"))
    client.force_login(other)
    assert paid_twice.student.student_number not in client.get("/dashboards/money/?fiscal_year=2025").content.decode()


def test_university_staff_see_their_own_money_only(client, paid_twice, staff_b, university_b):
    StudentFactory(university=university_b)
    client.force_login(staff_b)
    page = client.get("/dashboards/money/?fiscal_year=2025").content.decode()
    assert paid_twice.student.student_number not in page
    assert "1,400,000" not in page


def test_the_annual_report_figures_include_due_paid_and_recovered(dc_award, staff_a, university_a):
    from reports.selectors import report_figures

    # given April–September paid, a suspension for July–August recorded late, ¥100,000 repaid
    pay(dc_award, staff_a, FY2025[:6], 200_000)
    suspension = services.award_event_create(
        award=dc_award, kind="suspension", start_date=date(2025, 7, 1), end_date=date(2025, 8, 31), acting_user=staff_a
    )
    payments.claim_settle(
        award=dc_award,
        cause_event_id=suspension.pk,
        kind="repaid",
        amount=100_000,
        reason="一部返納",
        acting_user=staff_a,
        decided_on=date(2025, 12, 1),
    )
    # when
    figures = report_figures(university=university_a, program=dc_award.program, fiscal_year=2025)
    # then: due is ten months of ¥200,000 (July and August suspended)
    assert (figures["ledger_due"], figures["ledger_paid"]) == (2_000_000, 1_200_000)
    assert (figures["ledger_recovered"], figures["ledger_open_claims"]) == (100_000, 300_000)


@pytest.mark.parametrize(
    ("language", "label", "other"), [("ja", "令和7年度", "FY2025"), ("en", "FY2025 (R7)", "令和7年度")]
)
def test_the_money_page_names_the_fiscal_year_in_the_page_language(
    client, reference, ministry_viewer, language, label, other
):
    client.force_login(ministry_viewer)
    client.cookies["django_language"] = language
    page = client.get("/dashboards/money/?fiscal_year=2025").content.decode()
    heading = page[page.index("<h1>") : page.index("</h1>")]
    assert label in heading
    assert other not in heading
    options = page[page.index('<select id="fy"') : page.index("</select>")]
    assert f'<option value="2025" selected>{label}</option>' in options
    assert other not in options


def test_the_money_pages_rows_follow_the_programs_order(paid_twice, ministry_viewer):
    """Budgets and programs read in the order every page lists the programs (SPRING, BOOST, the
    fellowship, JSPS DC1 … CPD, Emergent RA), not by the seed's keys or the codes' spelling."""
    from dashboards.money import money_page

    load_budgets()
    assert [line.label for line in selectors.budget_lines(2023)] == ["SPRING", "BOOST", "FELLOWSHIP", "EMERGENT_RA"]
    assert [line.label for line in selectors.budget_lines(2025)] == [
        "SPRING",
        "JSPS DC",
        "JSPS PD",
        "JSPS RPD",
        "JSPS CPD",
    ]
    programs = [row[0] for row in money_page(2025).tables["program"].rows]
    assert programs == [Program.objects.get(code=c).name_ja for c in ("SPRING", "JSPS_DC1")]


def test_a_budget_cannot_end_before_it_begins(reference):
    from django.core.exceptions import ValidationError

    from payments.models import Budget

    budget = Budget(label="X", fiscal_year=2024, kind="annual", amount=1, last_fiscal_year=2023)
    with pytest.raises(ValidationError, match="適用終了の年度が適用開始の年度より前です。"):
        budget.full_clean()
