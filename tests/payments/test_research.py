"""Research cost: recorded apart from living cost, reconciled as "paid research cost reported"
(DOMAIN.md gives no research-cost amount due: payments.rules, Research cost). Figures of DOMAIN.md:
BOOST at Keio, ¥300,000 a month living cost + ¥300,000 a year research money (BOOST's default rule)."""

from datetime import date

import pytest

from payments import rules as pay
from payments import selectors
from payments import services as payments
from payments.rules import PaidMonth
from programs.models import Program
from programs.rules import AwardTerms, Suspension, month_index
from students import services
from tests.factories import StudentFactory

BOOST = AwardTerms(
    award_id=1,
    program="BOOST",
    audience="doctoral",
    annual_living_cost=3_600_000,  # ¥300,000 a month
    start=date(2025, 4, 1),
    end=date(2028, 3, 31),
    suspensions=(Suspension(date(2025, 7, 1), date(2025, 7, 31)),),
    is_exclusive=True,
)


def m(year, month):
    return month_index(date(year, month, 1))


def test_research_cost_is_reported_apart_and_never_makes_a_difference():
    paid = {
        (1, m(2025, 4)): PaidMonth(300_000, 300_000, date(2025, 4, 20)),  # the year's research money in April
        (1, m(2025, 5)): PaidMonth(300_000, 0, date(2025, 5, 20)),
        (1, m(2025, 6)): PaidMonth(250_000, 0, date(2025, 6, 20)),  # living cost underpaid
        (1, m(2025, 7)): PaidMonth(0, 50_000, date(2025, 7, 20)),  # suspended: research only
        (1, m(2026, 4)): PaidMonth(300_000, 300_000, date(2026, 4, 20)),  # next fiscal year
    }
    lines = {line.month: line for line in pay.reconcile([BOOST], paid, months=paid_months(paid))}
    april, july = lines[m(2025, 4)], lines[m(2025, 7)]
    assert (april.due, april.paid, april.research_paid, april.kind) == (300_000, 300_000, 300_000, None)
    # research paid in a suspended month is not "paid while suspended": due 0, living paid 0
    assert (july.due, july.paid, july.research_paid, july.kind) == (0, 0, 50_000, None)
    assert lines[m(2025, 6)].kind == pay.DifferenceKind.UNDERPAID
    assert sum(line.difference for line in lines.values()) == -50_000  # June only: research never counts
    assert pay.research_reported(paid) == [
        pay.ResearchYear(1, 2025, 350_000, 2),
        pay.ResearchYear(1, 2026, 300_000, 1),
    ]


def paid_months(paid):
    return {month for _award, month in paid}


def test_research_cost_makes_no_recovery_claim():
    """A suspension recorded after a month paid with research cost only claims nothing back."""
    paid = {(1, m(2025, 7)): PaidMonth(0, 300_000, date(2025, 7, 20))}
    cause = pay.Cause(9, 1, "suspension", date(2025, 8, 1), frozenset({m(2025, 7)}))
    assert pay.recovery_claims(BOOST, [cause], paid) == []


@pytest.fixture
def boost_award(reference, university_a, staff_a):
    student = StudentFactory(university=university_a)
    award = services.award_create(
        student=student,
        program=Program.objects.get(code="BOOST"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        acting_user=staff_a,
    )
    payments.payments_record(
        university_id=university_a.pk,
        rows=[
            payments.PaymentInput(award.pk, date(2025, 4, 1), 300_000, 300_000, date(2025, 4, 20)),
            payments.PaymentInput(award.pk, date(2025, 5, 1), 300_000, 0, date(2025, 5, 20)),
        ],
        acting_user=staff_a,
    )
    return award


@pytest.mark.django_db
def test_money_and_report_figures_keep_research_apart(boost_award, university_a):
    boost = selectors.money_by(2025, "program")["BOOST"]
    assert (boost.paid, boost.research_paid) == (600_000, 300_000)
    figures = selectors.report_figures(university=university_a, program=boost_award.program, fiscal_year=2025)
    assert (figures["ledger_paid"], figures["ledger_research_reported"]) == (600_000, 300_000)


@pytest.mark.django_db
def test_the_student_page_and_the_money_page_show_research_reported(client, boost_award, staff_a):
    client.force_login(staff_a)
    page = client.get(f"/students/{boost_award.student_id}/").content.decode()
    research = page.split('id="research-reported"')[1].split("</table>")[0]
    assert "¥300,000" in research  # reported in FY2025, beside the award's recorded ¥300,000 a year
    assert "令和7年度" in research
    money = client.get("/dashboards/money/?fiscal_year=2025").content.decode()
    assert "研究費（報告額・差額に含めない）" in money
