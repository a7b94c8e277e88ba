"""The officers' page of open recovery claims across universities (issue #15: "Each university
and program officer sees open claims and their totals")."""

from datetime import date

import pytest

from payments import services as payments
from programs.models import Program
from students import services
from tests.factories import StudentFactory, user_with_role

pytestmark = pytest.mark.django_db


def _claimed(university, staff, code, family_name, amount):
    """An award of `code` paid April-June 2025 at `amount` a month, then suspended in June: a claim
    of one month's payment."""
    student = StudentFactory(university=university, family_name=family_name)
    award = services.award_create(
        student=student,
        program=Program.objects.get(code=code),
        start_date=date(2025, 4, 1),
        end_date=date(2027, 3, 31),
        annual_living_cost=amount * 12,
        acting_user=staff,
    )
    payments.payments_record(
        university_id=university.pk,
        rows=[payments.PaymentInput(award.pk, date(2025, m, 1), amount, 0, date(2025, m, 20)) for m in (4, 5, 6)],
        acting_user=staff,
    )
    services.award_event_create(
        award=award, kind="suspension", start_date=date(2025, 6, 1), end_date=date(2025, 6, 30), acting_user=staff
    )
    return award


@pytest.fixture
def claims(reference, university_a, university_b, staff_a, staff_b):
    return {
        "spring_a": _claimed(university_a, staff_a, "SPRING", "春野", 150_000),
        "spring_b": _claimed(university_b, staff_b, "SPRING", "秋山", 180_000),
        "dc_a": _claimed(university_a, staff_a, "JSPS_DC1", "冬木", 200_000),
    }


def test_an_officer_sees_their_programs_claims_across_universities_with_totals(client, claims, program_officer):
    client.force_login(program_officer)  # SPRING's officer
    page = client.get("/students/payments/claims/").content.decode()
    # both SPRING students, at two universities, named
    assert "春野" in page
    assert "秋山" in page
    assert "甲大学" in page
    assert "乙大学" in page
    # not the DC fellow: another program's
    assert "冬木" not in page
    assert "¥200,000" not in page
    # totals: ¥150,000 at A, ¥180,000 at B, ¥330,000 in all
    total = page.split('id="claims-total"')[1].split("</tr>")[0]
    assert "¥330,000" in total
    assert "¥150,000" in page
    assert "¥180,000" in page


def test_the_officers_home_and_menu_link_the_page(client, program_officer):
    client.force_login(program_officer)
    assert 'href="/students/payments/claims/"' in client.get("/").content.decode()


def test_a_jsps_officer_sees_only_the_dc_claim(client, claims):
    officer = user_with_role("officer_jsps", "program_officer", programs=Program.objects.filter(code="JSPS_DC1"))
    client.force_login(officer)
    page = client.get("/students/payments/claims/").content.decode()
    assert "冬木" in page
    assert "春野" not in page
    assert "秋山" not in page


def test_the_ministry_sees_totals_and_no_student(client, claims, ministry_viewer):
    client.force_login(ministry_viewer)
    response = client.get("/students/payments/claims/")
    assert response.status_code == 200
    page = response.content.decode()
    total = page.split('id="claims-total"')[1].split("</tr>")[0]
    assert "¥530,000" in total  # every program's open claims
    for award in claims.values():
        assert award.student.family_name not in page
        assert award.student.student_number not in page
    assert 'id="open-claims"' not in page


def test_university_staff_are_refused_and_keep_their_own_page(client, claims, staff_a):
    client.force_login(staff_a)
    assert client.get("/students/payments/claims/").status_code == 403
    own = client.get("/students/payments/").content.decode()
    assert "¥150,000" in own
    assert "¥200,000" in own
    assert "¥180,000" not in own  # B's claim
