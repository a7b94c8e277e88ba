"""payments/ in the API: list with updated_since, If-Match, Idempotency-Key, bulk, tenancy."""

import pytest

from payments.models import PaymentEntry
from students.api.keys import api_key_create
from tests.api.test_api import client_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(dc_award, staff_a, university_a, university_b):
    def key(scope, university, by=None):
        return api_key_create(name=scope, scope=scope, university=university, acting_user=by)[1]

    return {
        "write": key("write", university_a, staff_a),
        "read": key("read", university_a),
        "other": key("write", university_b),
        "ministry": key("ministry", None),
    }


def month(award, m, amount=200_000, **extra):
    return {
        "award": award.pk,
        "month": f"2025-{m:02d}-01",
        "living_cost": amount,
        "pay_date": f"2025-{m:02d}-20",
        **extra,
    }


def test_a_month_is_recorded_corrected_and_listed(keys, dc_award):
    client = client_with(keys["write"], language="en")
    created = client.post("/api/v1/payments/", month(dc_award, 4, 250_000), format="json")
    assert created.status_code == 201
    first = created.json()
    assert (first["month"], first["living_cost"], first["program"]) == ("2025-04-01", 250_000, "JSPS_DC1")
    # the same again: 200, nothing written
    same = client.post("/api/v1/payments/", month(dc_award, 4, 250_000), format="json")
    assert (same.status_code, same.json()["id"]) == (200, first["id"])
    # a correction without a reason: 422 (a rule refusal, #12) with the field
    refused = client.post("/api/v1/payments/", month(dc_award, 4), format="json")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "reason"
    # a correction made on a stale read: 412
    stale = client.post(
        "/api/v1/payments/", month(dc_award, 4, reason="payroll error"), format="json", HTTP_IF_MATCH='"payment-0"'
    )
    assert stale.status_code == 412
    fixed = client.post(
        "/api/v1/payments/", month(dc_award, 4, reason="payroll error"), format="json", HTTP_IF_MATCH=created["ETag"]
    )
    assert fixed.status_code == 201
    listed = client.get("/api/v1/payments/").json()["results"]
    assert [(p["living_cost"], p["is_current"]) for p in listed] == [(200_000, True)]
    history = client.get("/api/v1/payments/?history=1").json()["results"]
    assert [p["living_cost"] for p in history] == [250_000, 200_000]
    later = client.get("/api/v1/payments/", {"updated_since": "2099-01-01T00:00:00Z"}).json()["results"]
    assert later == []
    assert client.get(f"/api/v1/payments/{fixed.json()['id']}/")["ETag"] == f'"payment-{fixed.json()["id"]}"'


def test_an_idempotency_key_replays_the_first_answer(keys, dc_award):
    client = client_with(keys["write"])
    first = client.post("/api/v1/payments/", month(dc_award, 5), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/payments/", month(dc_award, 5), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    assert PaymentEntry.objects.count() == 1


def test_bulk_is_all_or_nothing_and_idempotent(keys, dc_award):
    client = client_with(keys["write"])
    items = [month(dc_award, m) for m in range(4, 10)]
    bad = client.post("/api/v1/payments/bulk/", {"payments": [*items, month(dc_award, 10, -1)]}, format="json")
    assert bad.status_code in (400, 422)  # a negative amount: refused by the schema's bounds or the rules
    assert bad.json()["errors"][0]["index"] == 6
    assert not PaymentEntry.objects.exists()
    done = client.post("/api/v1/payments/bulk/", {"payments": items}, format="json").json()
    assert done == {"created": 6, "corrected": 0, "unchanged": 0}
    again = client.post("/api/v1/payments/bulk/", {"payments": items}, format="json").json()
    assert again == {"created": 0, "corrected": 0, "unchanged": 6}
    assert PaymentEntry.objects.count() == 6


def test_other_universities_and_the_ministry_see_nothing(keys, dc_award):
    client_with(keys["write"]).post("/api/v1/payments/", month(dc_award, 4), format="json")
    entry = PaymentEntry.objects.get()
    other = client_with(keys["other"])
    assert other.get(f"/api/v1/payments/{entry.pk}/").status_code == 404
    assert other.get("/api/v1/payments/").json()["results"] == []
    assert other.post("/api/v1/payments/", month(dc_award, 5), format="json").status_code == 404
    assert other.post("/api/v1/payments/bulk/", {"payments": [month(dc_award, 5)]}, format="json").status_code == 422
    assert client_with(keys["ministry"]).get("/api/v1/payments/").status_code == 403
    assert client_with(keys["read"]).post("/api/v1/payments/", month(dc_award, 5), format="json").status_code == 403
    assert client_with(keys["read"]).get(f"/api/v1/payments/{entry.pk}/").status_code == 200
