"""Every write path names who made it: the person, and for the API the key (issue #12, item 7)."""

import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from careers.models import CareerOutcome
from careers.services import career_create
from programs.models import LivingCostFloor, Program, StipendRule
from reports.models import Report
from students import services
from students.api.keys import api_key_create
from students.models import ApiKey, Award, AwardEvent, Membership, Student
from tests.api.test_api import client_with
from tests.factories import StudentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def write_key(reference, university_a, staff_a):
    key, secret = api_key_create(name="A write", scope="write", university=university_a, acting_user=staff_a)
    return key, secret


def _who(history_row):
    return history_row.history_user, history_row.history_api_key


def test_api_writes_name_the_issuer_and_the_key(write_key, staff_a):
    # Ref: #12
    # given a write key issued by staff_a
    key, secret = write_key
    client = client_with(secret)
    # when the key creates and changes a student, an award and an event
    created = client.post(
        "/api/v1/students/",
        {"student_number": "H1", "field": "science", "entry_date": "2025-04-01"},
        format="json",
    )
    student_id = created.json()["id"]
    client.patch(
        f"/api/v1/students/{student_id}/", {"family_name": "佐藤"}, format="json", HTTP_IF_MATCH=created["ETag"]
    )
    award = client.post(
        "/api/v1/awards/",
        {"student_number": "H1", "program": "JSPS_DC2", "start_date": "2025-04-01", "end_date": "2027-03-31"},
        format="json",
    )
    event = client.post(
        f"/api/v1/awards/{award.json()['id']}/events/",
        {"kind": "suspension", "start_date": "2025-10-01", "end_date": "2026-03-31", "reason": "出産"},
        format="json",
    )
    assert (created.status_code, award.status_code, event.status_code) == (201, 201, 201)
    # then every history row names the person and the key
    rows = [
        *Student.history.filter(id=student_id),
        *Award.history.filter(student_id=student_id),
        *AwardEvent.history.all(),
    ]
    assert len(rows) >= 4
    assert {_who(row) for row in rows} == {(staff_a, key.prefix)}


def test_deleting_a_student_through_the_api_names_who_on_every_cascaded_row(write_key, staff_a, university_a):
    # given a completed student with an award, an event and a career
    key, secret = write_key
    student = StudentFactory(university=university_a, status="completed", completion_date=date(2025, 3, 31))
    award = services.award_create(
        student=student,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2022, 4, 1),
        end_date=date(2025, 3, 31),
        acting_user=staff_a,
    )
    services.award_event_create(
        award=award, kind="suspension", start_date=date(2023, 4, 1), end_date=date(2023, 9, 30), acting_user=staff_a
    )
    career_create(
        student=student,
        acting_user=staff_a,
        today=date(2025, 6, 1),
        survey_point="completion",
        destination="postdoc",
        sector="academia",
    )
    client = client_with(secret)
    etag = client.get(f"/api/v1/students/{student.pk}/")["ETag"]
    # when the key deletes the student
    assert client.delete(f"/api/v1/students/{student.pk}/", HTTP_IF_MATCH=etag).status_code == 204
    # then the deletion rows of the student and all that went with it name the issuer and the key
    deleted = [
        *Student.history.filter(history_type="-"),
        *Award.history.filter(history_type="-"),
        *AwardEvent.history.filter(history_type="-"),
        *CareerOutcome.history.filter(history_type="-"),
    ]
    assert len(deleted) == 4
    assert {_who(row) for row in deleted} == {(staff_a, key.prefix)}


def test_a_service_delete_outside_any_request_names_the_acting_user(reference, university_a, staff_a):
    # given a student with an award and an event, and no request (a task or a command)
    student = StudentFactory(university=university_a)
    award = services.award_create(
        student=student,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        acting_user=staff_a,
    )
    services.award_event_create(
        award=award, kind="suspension", start_date=date(2025, 10, 1), end_date=date(2026, 3, 31), acting_user=staff_a
    )
    # when the service deletes the student
    services.student_delete(student=student, acting_user=staff_a)
    # then each deleted row names the acting user, and no key
    deleted = [*Student.history.filter(history_type="-"), *Award.history.filter(history_type="-")]
    deleted += AwardEvent.history.filter(history_type="-")
    assert len(deleted) == 3
    assert {_who(row) for row in deleted} == {(staff_a, "")}


def test_pages_name_the_person_and_no_key(client, staff_a, reference):
    client.force_login(staff_a)
    client.post(
        "/students/new/",
        {
            "student_number": "N1",
            "field": "science",
            "entry_date": "2025-04-01",
            "standard_term_years": 3,
            "status": "enrolled",
        },
    )
    assert _who(Student.history.get(student_number="N1")) == (staff_a, "")


def test_report_texts_and_figures_keep_history_with_the_key(write_key, staff_a, university_a):
    # given a write key issued by staff_a and an award to report on
    key, secret = write_key
    services.award_create(
        student=StudentFactory(university=university_a),
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        acting_user=staff_a,
    )
    # when the key prepares the report with comments
    response = client_with(secret).post(
        "/api/v1/reports/", {"program": "SPRING", "fiscal_year": 2025, "comments": "順調"}, format="json"
    )
    assert response.status_code == 200
    # then the report's history holds the figures and the text, by the issuer through the key
    report = Report.objects.get()
    rows = list(report.history.order_by("history_id"))
    assert rows[-1].comments == "順調"
    assert rows[-1].figures == report.figures
    assert {_who(row) for row in rows} == {(staff_a, key.prefix)}


def test_api_keys_keep_who_issued_and_who_revoked_them(client, staff_a, reference):
    # given staff_a on the API key page
    client.force_login(staff_a)
    # when they issue a key and revoke it
    client.post("/students/api-keys/", {"name": "教務システム", "scope": "write"})
    key = ApiKey.objects.get()
    client.post(f"/students/api-keys/{key.pk}/revoke/")
    # then both are in the key's history, by staff_a, and the hash is not
    issued, revoked = key.history.order_by("history_id")
    assert (issued.history_type, issued.history_user, issued.revoked_at) == ("+", staff_a, None)
    assert (revoked.history_type, revoked.history_user) == ("~", staff_a)
    assert revoked.revoked_at is not None
    assert not hasattr(revoked, "key_hash")


def test_create_api_key_records_who_issued_it(reference, university_a, staff_a, capsys):
    # when a key is issued from the command line by a named person
    call_command(
        "create_api_key", "--university-id", str(university_a.pk), "--scope", "write", "--issued-by", "staff_a"
    )
    secret = capsys.readouterr().out.strip()
    # then the key acts for them and its history names them
    key = ApiKey.objects.get(prefix=secret.split("_")[1])
    assert key.created_by == staff_a
    assert key.history.get().history_user == staff_a
    # and a key with no person behind it must say so
    with pytest.raises(CommandError):
        call_command("create_api_key", "--ministry", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("create_api_key", "--ministry", "--issued-by", "nobody", stdout=io.StringIO())
    call_command("create_api_key", "--ministry", "--system", stdout=io.StringIO())
    assert ApiKey.objects.get(scope="ministry").history.get().history_user is None


def test_admin_edits_of_floors_rules_and_memberships_keep_history(client, reference, university_a):
    # given an administrator in the admin site
    admin = get_user_model().objects.create_superuser("root", password="pass-for-tests-1")
    client.force_login(admin)
    floor = LivingCostFloor.objects.order_by("effective_from").first()
    # when they change a floor
    response = client.post(
        f"/admin/programs/livingcostfloor/{floor.pk}/change/",
        {"effective_from": floor.effective_from.isoformat(), "annual_amount": 1_900_000, "source": "改定"},
    )
    assert response.status_code == 302
    # then the floor's history names them
    assert (floor.history.first().annual_amount, floor.history.first().history_user) == (1_900_000, admin)
    # and so do rule versions and memberships, with the programs a membership is bound to
    rule = StipendRule.objects.first()
    rule._history_user = admin
    rule.save()
    assert rule.history.first().history_user == admin
    officer = user_with_role("officer", "program_officer", programs=Program.objects.filter(code="SPRING"))
    membership = Membership.objects.get(user=officer)
    assert [p.program.code for p in membership.history.first().programs.all()] == ["SPRING"]


def test_the_student_page_history_names_the_key_behind_an_api_change(client, write_key, staff_a):
    # given a student created through the API
    key, secret = write_key
    created = client_with(secret).post(
        "/api/v1/students/", {"student_number": "H2", "field": "science", "entry_date": "2025-04-01"}, format="json"
    )
    # when staff open the student's page
    client.force_login(staff_a)
    body = client.get(f"/students/{created.json()['id']}/").content.decode()
    # then the history shows the person and the key
    assert f"staff_a (APIキー {key.prefix})" in body


def test_bulk_api_writes_name_the_issuer_and_the_key(write_key, staff_a):
    # given a write key issued by staff_a
    key, secret = write_key
    # when the key pushes a student and an award in bulk (written with bulk_create)
    response = client_with(secret).post(
        "/api/v1/bulk/",
        {
            "students": [{"student_number": "B1", "field": "science", "entry_date": "2025-04-01"}],
            "awards": [
                {"student_number": "B1", "program": "SPRING", "start_date": "2025-04-01", "end_date": "2028-03-31"}
            ],
        },
        format="json",
    )
    assert response.status_code == 200
    # then the bulk history rows name both too
    rows = [*Student.history.all(), *Award.history.all()]
    assert len(rows) == 2
    assert {_who(row) for row in rows} == {(staff_a, key.prefix)}
