"""Programs are shown by name in the page's language, never by code (JSPS_DC1), on the payments,
claims, award, money and officer pages (issue #13)."""

import re
from datetime import date

import pytest
from django.utils import timezone

from payments import services as payments
from programs.models import Program
from reports.models import Report
from students import services
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def visible_text(html: str) -> str:
    """The page's text as read: without scripts, styles, tags and attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def paid_twice(dc_award, staff_a):
    """DC1 paid April–October, ended in September; SPRING from October, paid October: a claim
    (paid after the end) and one person paid twice."""
    payments.payments_record(
        university_id=dc_award.university_id,
        rows=[
            payments.PaymentInput(dc_award.pk, date(2025, m, 1), 200_000, 0, date(2025, m, 20)) for m in range(4, 11)
        ],
        acting_user=staff_a,
    )
    services.award_event_create(award=dc_award, kind="termination", start_date=date(2025, 9, 30), acting_user=staff_a)
    spring = services.award_create(
        student=dc_award.student,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 10, 1),
        end_date=date(2028, 3, 31),
        acting_user=staff_a,
    )
    payments.payments_record(
        university_id=dc_award.university_id,
        rows=[payments.PaymentInput(spring.pk, date(2025, 10, 1), 150_000, 0, date(2025, 10, 20))],
        acting_user=staff_a,
    )
    return spring


def assert_named(page: str, language: str, codes=("JSPS_DC1",)):
    text = visible_text(page)
    for code in codes:
        program = Program.objects.get(code=code)
        name = program.name_en if language == "en" else program.name_ja
        assert name in text, code
        # the code nowhere but inside a name that contains it (…(SPRING))
        assert code not in text.replace(name, ""), (code, text[max(0, text.find(code) - 200) : text.find(code) + 100])


@pytest.mark.parametrize("language", ["ja", "en"])
def test_staff_pages_name_the_program(client, paid_twice, dc_award, staff_a, language):
    client.force_login(staff_a)
    client.cookies["django_language"] = language
    for url in (
        "/students/payments/",  # differences and claims
        f"/students/payments/awards/{dc_award.pk}/",  # the ledger's history
        f"/students/awards/{dc_award.pk}/",  # the award's page
        f"/students/{dc_award.student_id}/",  # the student's due and paid
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'lang="{language}"' in response.content.decode()
        assert_named(response.content.decode(), language)
    money = client.get("/dashboards/money/?fiscal_year=2025").content.decode()
    section = money[money.index('id="paid-twice"') :]
    assert_named(section, language, codes=("JSPS_DC1", "SPRING"))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_officer_pages_name_the_program(client, paid_twice, dc_award, university_a, language):
    dc1 = Program.objects.get(code="JSPS_DC1")
    officer = user_with_role("dc_officer", "program_officer", programs=Program.objects.filter(code="JSPS_DC1"))
    report = Report.objects.create(
        university=university_a,
        program=dc1,
        fiscal_year=2025,
        state=Report.State.SUBMITTED,
        submitted_at=timezone.now(),
    )
    client.force_login(officer)
    client.cookies["django_language"] = language
    for url in (
        "/",  # the officer's home: reports waiting
        "/students/payments/claims/",
        f"/students/reports/{report.pk}/",
        "/students/reports/deadlines/",
        "/students/reports/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_named(response.content.decode(), language)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_money_pages_budget_rows_name_their_programs(client, reference, ministry_viewer, language):
    """The budget table's rows read the programs' names in the page's language, not the seed's
    keys (EMERGENT_RA, FELLOWSHIP, JSPS DC), which stay the budgets' labels in the database."""
    from payments.models import Budget
    from payments.reference import load_budgets

    load_budgets()
    client.force_login(ministry_viewer)
    client.cookies["django_language"] = language
    for fiscal_year, codes in (
        (2023, ("SPRING", "BOOST", "EMERGENT_RA", "FELLOWSHIP")),
        (2025, ("JSPS_DC1", "JSPS_DC2", "JSPS_PD", "JSPS_RPD", "JSPS_CPD")),
    ):
        page = client.get(f"/dashboards/money/?fiscal_year={fiscal_year}").content.decode()
        table = page[page.index('id="table-budget"') :]
        table = table[: table.index("</section>")]
        assert_named(table, language, codes=codes)
        for key in ("JSPS DC", "JSPS PD", "EMERGENT_RA", "FELLOWSHIP"):
            assert f"<td>{key}</td>" not in table, key
    assert Budget.objects.filter(label="EMERGENT_RA").exists()  # the seeder's key is kept
