"""Budgets are reference data: load_reference (run again at every deployment) keeps a budget an
administrator edited or deleted, as for every other reference row since issue #12, and brings the
others back to the seed. On the old code load_budgets' update_or_create overwrote the edit."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from payments.models import Budget
from programs.models import Program

pytestmark = pytest.mark.django_db

MILLION = 1_000_000


def load_reference():
    out = io.StringIO()
    call_command("load_reference", stdout=out)
    return out.getvalue()


@pytest.fixture
def administrator(reference):
    return get_user_model().objects.create_superuser("root", "root@example.org", "pass-for-tests-1")


def test_an_administrators_budget_edit_survives_load_reference(client, administrator):
    dc = Budget.objects.get(label="JSPS DC", fiscal_year=2025, kind="annual")
    client.force_login(administrator)
    # when: an administrator corrects the DC budget (and its programs) in the admin
    response = client.post(
        f"/admin/payments/budget/{dc.pk}/change/",
        {
            "label": "JSPS DC",
            "programs": [Program.objects.get(code="JSPS_DC1").pk],
            "fiscal_year": 2025,
            "kind": "annual",
            "amount": 10_700 * MILLION,
            "source": "補正後の額",
        },
    )
    assert response.status_code == 302
    # and someone else's unrecorded change (no person in the history) touches the PD budget
    Budget.objects.filter(label="JSPS PD", fiscal_year=2025).update(amount=1)
    # when: the next deployment loads the reference data again
    output = load_reference()
    # then: the administrator's correction stands, and the PD budget is the seed's again
    dc.refresh_from_db()
    assert (dc.amount, dc.source) == (10_700 * MILLION, "補正後の額")
    assert list(dc.programs.values_list("code", flat=True)) == ["JSPS_DC1"]
    assert Budget.objects.get(label="JSPS PD", fiscal_year=2025).amount == 4_402 * MILLION
    assert "Kept as an administrator edited it" in output


def test_a_budget_an_administrator_deleted_is_not_loaded_again(client, administrator):
    cpd = Budget.objects.get(label="JSPS CPD", fiscal_year=2025)
    client.force_login(administrator)
    response = client.post(f"/admin/payments/budget/{cpd.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    load_reference()
    assert not Budget.objects.filter(label="JSPS CPD", fiscal_year=2025).exists()
    assert Budget.objects.filter(label="JSPS CPD", fiscal_year=2024).exists()


def test_the_money_page_follows_a_budget_edit(client, administrator):
    """The money page is cached by the ledger's version; a budget edit changes it too."""
    client.force_login(administrator)
    assert "10,635,000,000" in client.get("/dashboards/money/?fiscal_year=2025").content.decode()
    dc = Budget.objects.get(label="JSPS DC", fiscal_year=2025, kind="annual")
    dc.amount = 10_700 * MILLION
    dc._history_user = administrator
    dc.save()
    assert "10,700,000,000" in client.get("/dashboards/money/?fiscal_year=2025").content.decode()
