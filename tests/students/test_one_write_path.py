"""One write path (issue #10, item 1): a form, the API, the API's bulk/ and an upload row refuse
the same bad input with the same error codes, on the same fields, because all of them validate
through the same functions of students.services."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from programs.models import Program
from students import imports, services
from students.api.keys import api_key_create
from students.models import Award, Student
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

NUMBER = "W001"
STUDENT_ROW = [NUMBER, "", "山田", "花子", "engineering", "2025-04-01", "3", "enrolled", "", "0", "0"]


@pytest.fixture
def setting(university_a, staff_a):
    call_command("load_reference", stdout=io.StringIO())
    student = StudentFactory(university=university_a, student_number=NUMBER, entry_date=date(2025, 4, 1))
    secret = api_key_create(name="write", scope="write", university=university_a, acting_user=None)[1]
    api = APIClient(HTTP_ACCEPT_LANGUAGE="ja")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return student, api


def _award(student, code, start, end, living=None):
    return services.award_create(
        student=student,
        program=Program.objects.get(code=code),
        start_date=start,
        end_date=end,
        annual_living_cost=living,
        acting_user=None,
    )


def _spring_held(student):
    _award(student, "SPRING", date(2025, 4, 1), date(2028, 3, 31))


def _spring_year_locked(student):
    services.year_lock(
        university_id=student.university_id, program_id=Program.objects.get(code="SPRING").pk, fiscal_year=2025
    )


def _suspended_dc2(student):
    award = _award(student, "JSPS_DC2", date(2025, 4, 1), date(2027, 3, 31))
    services.award_event_create(  # six whole months: the term runs to 2027-09-30
        award=award, kind="suspension", start_date=date(2025, 10, 1), end_date=date(2026, 3, 31), acting_user=None
    )


def _normalised(pairs):
    return sorted({(None if field in ("", "__all__", None) else field, code) for field, code in pairs})


def _by_upload(university, award):
    cells = [
        award["program"],
        award["start_date"],
        award["end_date"],
        str(award.get("annual_living_cost", "")),
        "",
        "0",
    ]
    text = ",".join(imports.headers("en")) + "\n" + ",".join(STUDENT_ROW + cells) + "\n"
    plan = imports.import_check(university=university, content=text.encode(), filename="awards.csv")
    assert {e.row for e in plan.result.errors} <= {2}
    return _normalised((e.field, e.code) for e in plan.result.errors)


def _by_form(client, staff, student, award):
    client.force_login(staff)
    existing = Award.objects.filter(
        student=student, program__code=award["program"], start_date=award["start_date"]
    ).first()
    data = {**award, "annual_research_cost": ""}
    if existing is None:
        response = client.post(f"/students/{student.pk}/awards/new/", data)
    else:
        response = client.post(f"/students/awards/{existing.pk}/edit/", {**data, "version": existing.version})
    assert response.status_code == 200  # the form again, with its errors
    errors = response.context["form"].errors.as_data()
    return _normalised((name, e.code) for name, items in errors.items() for e in items)


def _by_api(api, student, award):
    existing = Award.objects.filter(
        student=student, program__code=award["program"], start_date=award["start_date"]
    ).first()
    if existing is None:
        response = api.post("/api/v1/awards/", {**award, "student": student.pk}, format="json")
    else:
        etag = api.get(f"/api/v1/awards/{existing.pk}/")["ETag"]
        response = api.patch(f"/api/v1/awards/{existing.pk}/", award, format="json", HTTP_IF_MATCH=etag)
    # The bodies match the schema: a rule refuses them (422), or the accepted year's lock (409).
    codes = {e["code"] for e in response.json()["errors"]}
    assert response.status_code == (409 if codes == {"report_locked"} else 422), response.content
    return _normalised((e["field"], e["code"]) for e in response.json()["errors"])


def _by_bulk(api, award):
    response = api.post("/api/v1/bulk/", {"awards": [{**award, "student_number": NUMBER}]}, format="json")
    assert response.status_code == 422, response.content
    assert {e["collection"] for e in response.json()["errors"]} == {"awards"}
    return _normalised((e["field"], e["code"]) for e in response.json()["errors"])


BAD_AWARDS = [
    pytest.param(
        _spring_held,
        {"program": "JSPS_DC1", "start_date": "2025-10-01", "end_date": "2028-03-31"},
        [("program", "exclusive_overlap")],
        id="exclusive-overlap-SPRING-DC1",
    ),
    pytest.param(
        None,
        {"program": "JSPS_DC2", "start_date": "2025-04-01", "end_date": "2027-04-30"},
        [("end_date", "term_exceeded")],
        id="end-past-term",
    ),
    pytest.param(
        _suspended_dc2,
        {"program": "JSPS_DC2", "start_date": "2025-04-01", "end_date": "2027-10-31"},
        [("end_date", "term_exceeded")],
        id="edit-past-term-extended-by-suspension",
    ),
    pytest.param(
        None,
        {"program": "SPRING", "start_date": "2025-04-01", "end_date": "2028-03-31", "annual_living_cost": -5},
        [("annual_living_cost", "amount_range")],
        id="negative-amount",
    ),
    pytest.param(
        None,
        {"program": "SPRING", "start_date": "2025-04-01", "end_date": "2028-03-31", "annual_living_cost": 10_000_001},
        [("annual_living_cost", "amount_range")],
        id="amount-above-range",
    ),
    pytest.param(
        _spring_year_locked,
        {"program": "SPRING", "start_date": "2025-04-01", "end_date": "2028-03-31"},
        [(None, "report_locked")],
        id="locked-year",
    ),
    pytest.param(
        None,
        {"program": "SPRING", "start_date": "2025-04-01", "end_date": "2025-03-31"},
        [("end_date", "end_before_start")],
        id="end-before-start",
    ),
    pytest.param(
        None,
        {"program": "JSPS_PD", "start_date": "2025-04-01", "end_date": "2028-03-31"},
        [("program", "postdoc_for_student")],
        id="postdoctoral-program-for-a-student",
    ),
    pytest.param(
        _spring_held,
        {"program": "JSPS_DC1", "start_date": "2025-10-01", "end_date": "2029-03-31", "annual_living_cost": -1},
        [("annual_living_cost", "amount_range"), ("end_date", "term_exceeded"), ("program", "exclusive_overlap")],
        id="every-error-at-once",
    ),
]


@pytest.mark.parametrize(("given", "award", "refusal"), BAD_AWARDS)
def test_a_bad_award_gets_the_same_refusal_on_every_path(setting, client, staff_a, given, award, refusal):
    # Ref: #10 (one write path), #13 (every error of a row at once)
    # given
    student, api = setting
    if given:
        given(student)
    awards_before = list(Award.objects.values_list("pk", "end_date", "annual_living_cost", "version"))
    # when
    refused = {
        "upload": _by_upload(student.university, award),
        "form": _by_form(client, staff_a, student, award),
        "api": _by_api(api, student, award),
        "bulk": _by_bulk(api, award),
    }
    # then
    assert refused == {path: sorted(refusal, key=str) for path in refused}
    assert list(Award.objects.values_list("pk", "end_date", "annual_living_cost", "version")) == awards_before


GOOD_STUDENT = {
    "student_number": "W100",
    "erad_number": "",
    "family_name": "山田",
    "given_name": "花子",
    "field": "engineering",
    "entry_date": "2025-04-01",
    "standard_term_years": 3,
    "status": "enrolled",
    "completion_date": "",
    "is_international": False,
    "is_working_adult": False,
}

BAD_STUDENTS = [
    pytest.param({"family_name": "山" * 101}, [("family_name", "max_length")], id="too-long-name"),
    pytest.param({"erad_number": "1234"}, [("erad_number", "invalid")], id="e-Rad-not-8-digits"),
    pytest.param({"field": "astrology"}, [("field", "invalid_choice")], id="unknown-field"),
    pytest.param({"entry_date": ""}, [("entry_date", "required")], id="no-entry-date"),
]


@pytest.mark.parametrize(("change", "refusal"), BAD_STUDENTS)
def test_a_bad_student_gets_the_same_refusal_on_every_path(setting, client, staff_a, change, refusal):
    # given
    _student, api = setting
    student = {**GOOD_STUDENT, **change}
    # when
    cells = [str(int(v)) if isinstance(v, bool) else str(v) for v in student.values()]
    text = ",".join(imports.headers("en")[:11]) + "\n" + ",".join(cells) + "\n"
    plan = imports.import_check(university=_student.university, content=text.encode(), filename="students.csv")
    client.force_login(staff_a)
    form = client.post("/students/new/", {k: v for k, v in student.items() if v is not False})
    body = {k: v for k, v in student.items() if v != ""}
    api_response = api.post("/api/v1/students/", body, format="json")
    bulk_response = api.post("/api/v1/bulk/", {"students": [body]}, format="json")
    refused = {
        "upload": _normalised((e.field, e.code) for e in plan.result.errors),
        "form": _normalised(
            (name, e.code) for name, items in form.context["form"].errors.as_data().items() for e in items
        ),
        "api": _normalised((e["field"], e["code"]) for e in api_response.json()["errors"]),
        "bulk": _normalised((e["field"], e["code"]) for e in bulk_response.json()["errors"]),
    }
    # then
    assert refused == {path: sorted(refusal, key=str) for path in refused}
    assert not Student.objects.filter(student_number="W100").exists()


def test_an_upload_row_lists_every_error_of_its_student_at_once(setting):
    # Ref: #13 ("The upload check reports only the first error of a row")
    # given: a row whose name is too long, e-Rad number short, field unknown and dates unreadable
    student, _api = setting
    cells = [
        "W300", "12ab", "山" * 101, "花子", "astrology", "2025-13-01", "3", "enrolled", "", "0", "0",
        "SPRING", "2025-04-01", "2028-03-31", "-5", "", "0",
    ]  # fmt: skip
    text = ",".join(imports.headers("en")) + "\n" + ",".join(cells) + "\n"
    # when
    plan = imports.import_check(university=student.university, content=text.encode(), filename="bad.csv")
    # then
    assert _normalised((e.field, e.code) for e in plan.result.errors) == [
        ("annual_living_cost", "amount_range"),
        ("entry_date", "invalid"),
        ("erad_number", "invalid"),
        ("family_name", "max_length"),
        ("field", "invalid_choice"),
    ]


def test_labels_and_short_dates_are_read_alike_by_the_check_and_the_apply(setting, staff_a):
    """What the check accepts, the apply accepts: Japanese labels (工学系, 在籍) and 2025/4/1,
    whichever language the request or the worker runs in. Ref: #13"""
    from django.utils import translation

    from students import uploads

    # given
    student, _api = setting
    text = (
        "学籍番号,学系,入学日,在籍状況,支援事業,支援開始日,支援終了日\n"
        "W200,工学系,2025/4/1,在籍,SPRING,2025/4/1,２０２８/３/３１\n"
        "W201,Engineering,2025年4月1日,Enrolled,EMERGENT_RA,2025.4.1,2026/3/31\n"
    ).encode("cp932")
    # when: checked in English, applied in Japanese
    with translation.override("en"):
        job = uploads.upload_create(
            university=student.university, filename="labels.csv", content=text, acting_user=staff_a
        )
    job.refresh_from_db()
    assert job.state == "checked", (job.message, job.result)
    with translation.override("ja"):
        job = uploads.upload_apply_start(job=job, acting_user=staff_a)
    # then
    assert job.state == "applied", (job.message, job.result)
    assert set(Student.objects.filter(student_number__in=["W200", "W201"]).values_list("field", "status")) == {
        ("engineering", "enrolled")
    }
    assert Award.objects.get(student__student_number="W200").end_date == date(2028, 3, 31)


def test_rows_alike_are_each_refused_on_their_own_row(setting):
    # given: a cohort of three new students with the same award, past the DC2 term
    student, _api = setting
    cells = ["", "山田", "花子", "engineering", "2025-04-01", "3", "enrolled", "", "0", "0"]
    award = ["JSPS_DC2", "2025-04-01", "2027-04-30", "", "", "0"]
    lines = [",".join([f"C{i}", *cells, *award]) for i in range(3)]
    text = "\n".join([",".join(imports.headers("en")), *lines]) + "\n"
    # when
    plan = imports.import_check(university=student.university, content=text.encode(), filename="cohort.csv")
    # then
    assert [(e.row, e.field, e.code) for e in plan.result.errors] == [
        (2, "end_date", "term_exceeded"),
        (3, "end_date", "term_exceeded"),
        (4, "end_date", "term_exceeded"),
    ]
