"""reports/ and careers/ in the API: scopes, tenancy, refusals, stale writes (issue #6)."""

from datetime import date

import pytest

from careers.models import CareerOutcome
from programs.models import Program
from reports.models import Report, ReportEvent
from students.api.keys import api_key_create
from tests.api.test_api import client_with
from tests.factories import AwardFactory, StudentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(reference, university_a, university_b):
    issuer = user_with_role("a_admin", "university_staff", university=university_a)

    def key(scope, university, by=None):
        return api_key_create(name=scope, scope=scope, university=university, acting_user=by)[1]

    return {
        "write": key("write", university_a, issuer),
        "read": key("read", university_a),
        "other": key("write", university_b),
        "ministry": key("ministry", None),
        "issuer": issuer,
    }


@pytest.fixture
def spring_award(university_a):
    return AwardFactory(student=StudentFactory(university=university_a), start_date=date(2025, 4, 1))


def test_a_write_key_prepares_and_submits_the_report(keys, spring_award):
    client = client_with(keys["write"])
    prepared = client.post(
        "/api/v1/reports/", {"program": "SPRING", "fiscal_year": 2025, "comments": "順調"}, format="json"
    )
    assert prepared.status_code == 200
    body = prepared.json()
    assert (body["state"], body["due_date"], body["comments"]) == ("draft", "2026-05-31", "順調")
    assert body["figures"]["students"] == 1
    assert body["figures"]["living_cost_paid"] == 1_800_000  # 12 months of SPRING in FY2025
    stale = client.post(f"/api/v1/reports/{body['id']}/submit/", HTTP_IF_MATCH='"report-0-v0"')
    assert stale.status_code == 412
    submitted = client.post(f"/api/v1/reports/{body['id']}/submit/")
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "submitted"
    assert ReportEvent.objects.get(action="submit").acting_user == keys["issuer"]
    again = client.post(f"/api/v1/reports/{body['id']}/submit/", HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409  # a conflict with the report's state (Ref: #12)
    assert again.json()["errors"][0]["code"] == "wrong_state"


def test_read_and_ministry_keys_cannot_submit_and_others_see_nothing(keys, spring_award, university_a):
    report = Report.objects.create(university=university_a, program=spring_award.program, fiscal_year=2025)
    assert client_with(keys["read"]).get(f"/api/v1/reports/{report.pk}/").status_code == 200
    assert client_with(keys["read"]).post(f"/api/v1/reports/{report.pk}/submit/").status_code == 403
    assert client_with(keys["ministry"]).get("/api/v1/reports/").status_code == 403
    assert client_with(keys["other"]).get(f"/api/v1/reports/{report.pk}/").status_code == 404
    assert client_with(keys["other"]).post(f"/api/v1/reports/{report.pk}/submit/").status_code == 404
    assert client_with(keys["other"]).get("/api/v1/reports/").json()["results"] == []
    listed = client_with(keys["read"]).get("/api/v1/reports/?fiscal_year=2025&program=SPRING&state=draft").json()
    assert [r["id"] for r in listed["results"]] == [report.pk]


def test_careers_through_the_api(keys, university_a, university_b):
    student = StudentFactory(
        university=university_a, student_number="G1", status="completed", completion_date=date(2025, 3, 31)
    )
    client = client_with(keys["write"], language="en")
    bad = client.post(
        "/api/v1/careers/", {"student_number": "G1", "survey_point": "year_1", "destination": "postdoc"}, format="json"
    )
    assert bad.status_code == 422  # the body matches the schema; the career rules refuse it
    assert bad["Content-Type"] == "application/problem+json"
    assert bad.json()["errors"] == [{"field": "sector", "code": "required", "message": "Choose the sector of the job."}]
    created = client.post(
        "/api/v1/careers/",
        {"student_number": "G1", "survey_point": "year_1", "destination": "postdoc", "sector": "academia"},
        format="json",
    )
    assert created.status_code == 201
    career = created.json()
    assert (career["student"], career["version"]) == (student.pk, 1)
    read = client.get(f"/api/v1/careers/{career['id']}/")
    assert read["ETag"] == f'"careeroutcome-{career["id"]}-v1"'
    changed = client.patch(
        f"/api/v1/careers/{career['id']}/", {"employer": "甲大学"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert changed.json()["version"] == 2
    stale = client.patch(
        f"/api/v1/careers/{career['id']}/", {"employer": "X"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert stale.status_code == 412
    assert client_with(keys["other"]).get(f"/api/v1/careers/{career['id']}/").status_code == 404
    assert client_with(keys["other"]).get("/api/v1/careers/").json()["results"] == []
    assert client_with(keys["read"]).delete(f"/api/v1/careers/{career['id']}/").status_code == 403
    assert client.delete(f"/api/v1/careers/{career['id']}/", HTTP_IF_MATCH='"careeroutcome-0-v0"').status_code == 412
    assert client.delete(f"/api/v1/careers/{career['id']}/", HTTP_IF_MATCH="*").status_code == 204
    assert not CareerOutcome.objects.exists()


def test_a_program_officer_reads_reports_of_their_programs_only(client, reference, university_a, spring_award):
    spring = Report.objects.create(university=university_a, program=spring_award.program, fiscal_year=2025)
    dc = Report.objects.create(university=university_a, program=Program.objects.get(code="JSPS_DC1"), fiscal_year=2025)
    client.force_login(user_with_role("o", "program_officer", programs=Program.objects.filter(code="SPRING")))
    assert [r["id"] for r in client.get("/api/v1/reports/").json()["results"]] == [spring.pk]
    assert client.get(f"/api/v1/reports/{dc.pk}/").status_code == 404


def test_the_report_list_reads_each_due_date_without_a_query_per_report(keys, university_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_with(keys["read"])
    client.get("/api/v1/reports/")  # the key's first use records last_used_at: keep it out of the counts
    for code in ("SPRING", "BOOST", "JSPS_DC1"):
        Report.objects.create(university=university_a, program=Program.objects.get(code=code), fiscal_year=2024)
    with CaptureQueriesContext(connection) as three:
        listed = client.get("/api/v1/reports/").json()["results"]
    assert [(r["program"], r["due_date"]) for r in listed] == [
        ("SPRING", "2025-05-31"),
        ("BOOST", "2025-05-31"),
        ("JSPS_DC1", "2025-05-31"),
    ]
    for code in ("JSPS_DC2", "EMERGENT_RA"):
        Report.objects.create(university=university_a, program=Program.objects.get(code=code), fiscal_year=2024)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/api/v1/reports/").json()["results"]) == 5
    assert len(five) == len(three)


def test_a_text_change_is_a_new_version_that_a_nightly_sync_finds(keys, spring_award):
    from django.utils import timezone

    client = client_with(keys["write"])
    first = client.post("/api/v1/reports/", {"program": "SPRING", "fiscal_year": 2025}, format="json").json()
    again = client.post("/api/v1/reports/", {"program": "SPRING", "fiscal_year": 2025}, format="json").json()
    assert again["version"] == first["version"]  # same data, same figures: nothing changed
    since = timezone.now().isoformat()
    assert client.get("/api/v1/reports/", {"updated_since": since}).json()["results"] == []

    changed = client.post(
        "/api/v1/reports/", {"program": "SPRING", "fiscal_year": 2025, "comments": "順調"}, format="json"
    ).json()
    assert changed["version"] == first["version"] + 1
    synced = client.get("/api/v1/reports/", {"updated_since": since}).json()["results"]
    assert [(r["id"], r["comments"]) for r in synced] == [(first["id"], "順調")]
    stale = client.post(
        f"/api/v1/reports/{first['id']}/submit/", HTTP_IF_MATCH=f'"report-{first["id"]}-v{first["version"]}"'
    )
    assert stale.status_code == 412  # the ETag read before the text changed no longer matches
