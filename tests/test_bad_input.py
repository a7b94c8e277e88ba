"""Bad input through every door: refused with a clear message, nothing written; and the worst
values still allowed break no page of anyone. Ref: #12 (items 2, 3 and 8)."""

import csv
import io
import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from careers.models import CareerOutcome
from phdsupport.validation import EARLIEST_DATE, LATEST_DATE, MAX_TERM_YEARS
from programs.models import Program
from reports.models import Report, ReportEvent
from students import imports, services
from students.api.keys import api_key_create
from students.models import ApiKey, Award, AwardEvent, Student, UploadJob
from tests.factories import StudentFactory, user_with_role
from tests.test_content_security_policy import EVENT_HANDLER, INLINE_SCRIPT, STYLE_ATTRIBUTE

pytestmark = pytest.mark.django_db

BAD_TEXT = "使えない文字"
BAD_DATE = "1950-01-01から2100-12-31"
BAD_TERM = "標準修業年限は1年から6年"
TOO_LONG = "文字"  # Django's max_length message (この値は 32 文字以下…)

NUL, BEL, NEL, RLO, LRI, SURROGATE = "\x00", "\x07", "\x85", "\u202e", "\u2066", "\ud800"

# (case id, target, field, value, doors, expected text in the message)
# Doors: form (the browser), upload (a CSV file), api (JSON). A lone surrogate cannot travel in
# a form or a UTF-8 file (the browser and the encoder replace it), only as a JSON escape.
CASES = [
    ("completion-9995", "student", "completion_date", "9995-03-31", "form upload api", BAD_DATE),
    ("completion-1900", "student", "completion_date", "1900-01-01", "form upload api", BAD_DATE),
    ("completion-9999", "student", "completion_date", "9999-12-31", "form upload api", BAD_DATE),
    ("entry-9999", "student", "entry_date", "9999-12-31", "form upload api", BAD_DATE),
    ("term-0", "student", "standard_term_years", "0", "form upload api", BAD_TERM),
    ("term-7", "student", "standard_term_years", "7", "form upload api", BAD_TERM),
    ("name-nul", "student", "family_name", f"山{NUL}田", "form upload api", BAD_TEXT),
    ("name-bell", "student", "family_name", f"山{BEL}田", "form upload api", BAD_TEXT),
    ("name-c1", "student", "family_name", f"山{NEL}田", "form upload api", BAD_TEXT),
    ("name-newline", "student", "given_name", "花\n子", "form upload api", BAD_TEXT),
    ("name-bidi-override", "student", "family_name", f"山{RLO}田", "form upload api", BAD_TEXT),
    ("name-bidi-isolate", "student", "given_name", f"花{LRI}子", "form upload api", BAD_TEXT),
    ("name-surrogate", "student", "family_name", f"山{SURROGATE}", "api", BAD_TEXT),
    ("number-40", "student", "student_number", "N" * 40, "form upload api", TOO_LONG),
    ("number-bidi", "student", "student_number", f"D1{RLO}", "form upload api", BAD_TEXT),
    ("number-list", "student", "student_number", ["D1"], "api", ""),
    ("field-nul", "student", "field", f"engineering{NUL}", "upload", "engineering\ufffd"),  # quoted in the message
    ("status-bidi", "student", "status", f"enrolled{RLO}", "upload", "enrolled\ufffd"),
    ("award-start-9995", "award", "start_date", "9995-04-01", "form upload api", BAD_DATE),
    ("award-end-9999", "award", "end_date", "9999-12-31", "form upload api", BAD_DATE),
    ("award-start-1900", "award", "start_date", "1900-04-01", "form upload api", BAD_DATE),
    ("event-end-9999", "event", "end_date", "9999-12-31", "form api", BAD_DATE),
    ("event-reason-nul", "event", "reason", f"理由{NUL}", "form api", BAD_TEXT),
    ("event-reason-surrogate", "event", "reason", SURROGATE, "api", BAD_TEXT),
    ("employer-201", "career", "employer", "株" * 201, "form upload api", TOO_LONG),
    ("employer-nul", "career", "employer", f"株{NUL}", "form upload api", BAD_TEXT),
    ("employer-bidi", "career", "employer", f"株{RLO}", "form upload api", BAD_TEXT),
    ("employer-list", "career", "employer", ["株"], "api", ""),
    ("report-comments-nul", "report", "comments", f"所見{NUL}", "form api", BAD_TEXT),
    ("report-comments-bidi", "report", "comments", f"所見{LRI}", "form api", BAD_TEXT),
    ("report-comments-surrogate", "report", "comments", SURROGATE, "api", BAD_TEXT),
    ("apikey-name-nul", "apikey", "name", f"鍵{NUL}", "form", BAD_TEXT),
    ("apikey-name-c1", "apikey", "name", f"鍵{NEL}鍵", "form", BAD_TEXT),
]


def table(door: str):
    return [
        pytest.param(target, field, value, expected, id=f"{case}-{door}")
        for case, target, field, value, doors, expected in CASES
        if door in doors.split()
    ]


@pytest.fixture
def world(reference, university_a, staff_a):
    spring = Program.objects.get(code="SPRING")
    student = services.student_create(
        university=university_a,
        acting_user=staff_a,
        student_number="D1",
        field="engineering",
        entry_date=date(2025, 4, 1),
    )
    award = services.award_create(
        student=student, program=spring, start_date=date(2025, 4, 1), end_date=date(2028, 3, 31), acting_user=staff_a
    )
    graduate = StudentFactory(
        university=university_a, student_number="G1", status="completed", completion_date=date(2024, 3, 31)
    )
    report = Report.objects.create(university=university_a, program=spring, fiscal_year=2025)
    _key, secret = api_key_create(name="A write", scope="write", university=university_a, acting_user=None)
    return {"student": student, "award": award, "graduate": graduate, "report": report, "secret": secret}


def written():
    """Everything a refused write could have touched, with the history tables."""
    return {
        "students": Student.objects.count(),
        "student_history": Student.history.count(),
        "awards": Award.objects.count(),
        "award_history": Award.history.count(),
        "events": AwardEvent.objects.count(),
        "careers": CareerOutcome.objects.count(),
        "reports": list(Report.objects.values_list("pk", "comments", "career_activities", "version")),
        "report_events": ReportEvent.objects.count(),
        "keys": ApiKey.objects.count(),
        "award_rows": list(Award.objects.values_list("pk", "start_date", "end_date", "version")),
        "student_rows": list(Student.objects.values_list("pk", "student_number", "family_name", "version")),
    }


# --- Forms --------------------------------------------------------------------------------

STUDENT_FORM = {
    "student_number": "D9",
    "erad_number": "",
    "family_name": "山田",
    "given_name": "花子",
    "field": "engineering",
    "entry_date": "2025-04-01",
    "standard_term_years": "3",
    "status": "completed",
    "completion_date": "2028-03-31",
}


def form_post(client, world, target, field, value):
    """POST the form with one bad field; returns (response, the form in the page)."""
    if target == "student":
        response = client.post("/students/new/", {**STUDENT_FORM, field: value})
        return response, response.context["form"]
    if target == "award":
        data = {"program": "JSPS_DC1", "start_date": "2025-04-01", "end_date": "2027-03-31", field: value}
        response = client.post(f"/students/{world['student'].pk}/awards/new/", data)
        return response, response.context["form"]
    if target == "event":
        data = {"kind": "extension", "start_date": "2026-04-01", "end_date": "2028-09-30", field: value}
        response = client.post(f"/students/awards/{world['award'].pk}/events/", data)
        return response, response.context["event_form"]
    if target == "career":
        data = {"survey_point": "completion", "destination": "postdoc", "sector": "academia", field: value}
        response = client.post(f"/students/{world['graduate'].pk}/careers/new/", data)
        return response, response.context["form"]
    if target == "report":
        response = client.post(f"/students/reports/{world['report'].pk}/text/", {field: value})
        return response, response.context["text_form"]
    response = client.post("/students/api-keys/", {"scope": "read", field: value})
    return response, response.context["form"]


@pytest.mark.parametrize(("target", "field", "value", "expected"), table("form"))
def test_a_form_refuses_bad_input_on_the_field_and_writes_nothing(
    client, world, staff_a, target, field, value, expected
):
    # given
    client.force_login(staff_a)
    before = written()
    # when
    response, form = form_post(client, world, target, field, value)
    # then
    assert response.status_code in (200, 400)
    assert field in form.errors, form.errors
    assert expected in " ".join(form.errors[field])
    assert written() == before


# --- Uploads ------------------------------------------------------------------------------

UPLOAD_ROW = {
    "student_number": "U1",
    "erad_number": "",
    "family_name": "山田",
    "given_name": "花子",
    "field": "engineering",
    "entry_date": "2025-04-01",
    "standard_term_years": "3",
    "status": "enrolled",
    "completion_date": "",
    "is_international": "0",
    "is_working_adult": "0",
    "program": "SPRING",
    "start_date": "2025-04-01",
    "end_date": "2028-03-31",
    "annual_living_cost": "",
    "annual_research_cost": "",
    "is_reserved": "0",
    "entry_route": "masters",
}
CAREER_HEADER = ["学籍番号", "調査時点", "進路", "セクター", "勤務先", "国・地域"]


def csv_file(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize(("target", "field", "value", "expected"), table("upload"))
def test_an_upload_reports_the_row_and_column_and_writes_nothing(
    client, world, staff_a, target, field, value, expected
):
    # given: a good first row, the bad value on the second (row 3 as the user counts)
    client.force_login(staff_a)
    before = written()
    if target == "career":
        good = ["G1", "completion", "postdoc", "academia", "甲大学", "JP"]
        bad = ["G1", "year_1", "postdoc", "academia", value, "JP"]
        content = csv_file(CAREER_HEADER, [good, bad])
        # when
        response = client.post("/students/careers/upload/", {"file": SimpleUploadedFile("c.csv", content)})
        errors = [e.__dict__ for e in response.context["result"].errors]
    else:
        good = dict(UPLOAD_ROW)
        bad = {**UPLOAD_ROW, "student_number": "U2", field: value}
        content = csv_file(imports.headers(), [list(good.values()), list(bad.values())])
        # when
        client.post("/students/uploads/", {"file": SimpleUploadedFile("s.csv", content)})
        job = UploadJob.objects.get()
        assert job.state == "rejected"
        # stored in every language (read in the reader's); the page here is Japanese
        errors = [{**e, "column": e["column"]["ja"], "message": e["message"]["ja"]} for e in job.result["errors"]]
        assert client.get(f"/students/uploads/{job.pk}/").status_code == 200
    # then
    column = dict(zip([key for key, *_ in imports.COLUMNS], imports.headers(), strict=True))
    label = "勤務先" if target == "career" else column[field]
    assert [(e["row"], e["column"]) for e in errors] == [(3, label)], errors
    assert expected in errors[0]["message"]
    assert written() == before


def test_an_upload_with_a_control_character_in_a_header_is_rejected_and_its_report_stored(client, world, staff_a):
    # The report quotes the header; a NUL in JSON cannot be stored by PostgreSQL (jsonb).
    client.force_login(staff_a)
    before = written()
    content = csv_file([*imports.headers(), f"備考{NUL}"], [[*UPLOAD_ROW.values(), "x"]])
    client.post("/students/uploads/", {"file": SimpleUploadedFile("s.csv", content)})
    job = UploadJob.objects.get()
    assert job.state == "rejected"
    assert [(e["row"], e["column"]) for e in job.result["errors"]] == [(1, {"ja": "備考\ufffd", "en": "備考\ufffd"})]
    assert client.get(f"/students/uploads/{job.pk}/").status_code == 200
    assert written() == before


# --- The API ------------------------------------------------------------------------------


def api(world, language="ja") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['secret']}")
    return client


def post_json(client, url, data):
    # json.dumps escapes a lone surrogate as \ud800, as a university's system would send it.
    return client.post(url, json.dumps(data), content_type="application/json")


def api_post(client, world, target, field, value):
    if field == "standard_term_years":  # a form's or a file's "0" is a number in JSON ("0" is a 400 too)
        value = int(value)
    if target == "student":
        body = {"student_number": "A9", "field": "engineering", "entry_date": "2025-04-01", field: value}
        return post_json(client, "/api/v1/students/", body)
    if target == "award":
        body = {"student_number": "D1", "program": "JSPS_DC1", "start_date": "2025-04-01", "end_date": "2027-03-31"}
        return post_json(client, "/api/v1/awards/", {**body, field: value})
    if target == "event":
        body = {"kind": "extension", "start_date": "2026-04-01", "end_date": "2028-09-30", field: value}
        return post_json(client, f"/api/v1/awards/{world['award'].pk}/events/", body)
    if target == "career":
        body = {"student_number": "G1", "survey_point": "completion", "destination": "postdoc", "sector": "academia"}
        return post_json(client, "/api/v1/careers/", {**body, field: value})
    return post_json(client, "/api/v1/reports/", {"program": "SPRING", "fiscal_year": 2025, field: value})


@pytest.mark.parametrize(("target", "field", "value", "expected"), table("api"))
def test_the_api_answers_400_naming_the_field_and_writes_nothing(world, target, field, value, expected):
    # given
    before = written()
    # when
    response = api_post(api(world), world, target, field, value)
    # then
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert [e["field"] for e in body["errors"]] == [field], body
    assert expected in body["errors"][0]["message"]
    assert written() == before


def test_the_api_messages_are_english_on_request(world):
    response = api_post(api(world, "en"), world, "student", "family_name", f"山{NUL}")
    message = response.json()["errors"][0]["message"]
    assert "character" in message
    assert BAD_TEXT not in message


def test_json_nested_5000_deep_is_a_400_not_a_recursion_error(world):
    # given
    before = written()
    deep = '{"student_number": ' + "[" * 5000 + "]" * 5000 + "}"
    shallow_but_too_deep = '{"students": [' + "[" * 100 + "]" * 100 + "]}"
    client = api(world)
    # when
    answers = [
        client.post(url, body, content_type="application/json")
        for url in ("/api/v1/students/", "/api/v1/bulk/")
        for body in (deep, shallow_but_too_deep)
    ]
    # then
    for response in answers:
        assert response.status_code == 400, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert "入れ子が深すぎます" in response.json()["detail"]
    assert written() == before


@pytest.mark.parametrize(
    "item",
    [
        {"student_number": ["D5"], "field": "engineering", "entry_date": "2025-04-01"},
        {"student_number": "D5", "field": {"x": 1}, "entry_date": "2025-04-01"},
        {"student_number": "D5", "field": "engineering", "entry_date": ["2025-04-01"]},
    ],
    ids=["number-list", "field-object", "date-list"],
)
def test_bulk_with_a_list_where_a_value_belongs_is_a_400(world, item):
    before = written()
    response = post_json(api(world), "/api/v1/bulk/", {"students": [item]})
    assert response.status_code == 400, response.content
    bad = next(k for k, v in item.items() if isinstance(v, list | dict))
    assert [e["field"] for e in response.json()["errors"]] == [f"students.0.{bad}"]
    assert written() == before


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("completion_date", "9995-03-31", BAD_DATE),
        ("family_name", f"山{NUL}", BAD_TEXT),
        ("student_number", "N" * 40, TOO_LONG),
        ("standard_term_years", 0, BAD_TERM),
    ],
)
def test_bulk_reports_bad_values_per_item(world, field, value, expected):
    before = written()
    item = {"student_number": "D5", "field": "engineering", "entry_date": "2025-04-01", "status": "completed"}
    response = post_json(api(world), "/api/v1/bulk/", {"students": [{**item, field: value}]})
    assert response.status_code == 422, response.content  # the items' shape is right; the planner refuses
    errors = response.json()["errors"]
    assert [(e["collection"], e["index"], e["field"]) for e in errors] == [("students", 0, field)]
    assert expected in errors[0]["message"]
    assert written() == before


# --- Versions: no silent overwrite --------------------------------------------------------


def test_api_updates_without_if_match_answer_428(world):
    # given
    client = api(world)
    student, award = world["student"], world["award"]
    before = written()
    # when
    answers = [
        client.patch(f"/api/v1/students/{student.pk}/", {"family_name": "佐藤"}, format="json"),
        client.put(f"/api/v1/students/{student.pk}/", {**STUDENT_FORM, "status": "enrolled"}, format="json"),
        client.delete(f"/api/v1/awards/{award.pk}/"),
    ]
    # then
    for response in answers:
        assert response.status_code == 428, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert "If-Match" in response.json()["detail"]
    assert written() == before
    etag = client.get(f"/api/v1/students/{student.pk}/")["ETag"]
    changed = client.patch(
        f"/api/v1/students/{student.pk}/", {"family_name": "佐藤"}, format="json", HTTP_IF_MATCH=etag
    )
    assert changed.status_code == 200


@pytest.mark.parametrize("target", ["student", "award", "career"])
def test_an_edit_form_posted_without_its_version_overwrites_nothing(client, world, staff_a, target):
    # given: someone else saved a newer version since the form was read
    client.force_login(staff_a)
    if target == "student":
        url, data = f"/students/{world['student'].pk}/edit/", {**STUDENT_FORM, "student_number": "D1"}
        data.update(status="enrolled", completion_date="")
    elif target == "award":
        url = f"/students/awards/{world['award'].pk}/edit/"
        data = {"program": "SPRING", "start_date": "2025-04-01", "end_date": "2027-03-31"}
    else:
        career = CareerOutcome.objects.create(
            student=world["graduate"], survey_point="completion", destination="postdoc", sector="academia"
        )
        url = f"/students/careers/{career.pk}/edit/"
        data = {"survey_point": "completion", "destination": "postdoc", "sector": "academia", "employer": "乙社"}
    before = written()
    before_careers = list(CareerOutcome.objects.values_list("employer", "version"))
    # when
    response = client.post(url, data)
    # then
    assert response.status_code == 200
    assert "version" in response.context["form"].errors
    assert written() == before
    assert list(CareerOutcome.objects.values_list("employer", "version")) == before_careers


# --- The worst values still allowed break no page ------------------------------------------

EMOJI_AND_MARKS = "👩🏽‍🔬ｶﾞ\u0301"  # an emoji sequence, half-width kana, a combining acute accent


@pytest.fixture
def extreme_world(reference, university_a, university_b, staff_a):
    """University A holds the extremes the rules still allow, written through the services."""
    spring = Program.objects.get(code="SPRING")
    early = services.student_create(
        university=university_a,
        acting_user=staff_a,
        student_number="X" * 31 + "😀",
        family_name=("山" * 98) + EMOJI_AND_MARKS[:2],
        given_name="e\u0301" * 50,
        field="engineering",
        entry_date=EARLIEST_DATE,
        standard_term_years=MAX_TERM_YEARS,
        status="completed",
        completion_date=EARLIEST_DATE,
    )
    late = services.student_create(
        university=university_a,
        acting_user=staff_a,
        student_number="=1+2",  # formula-like: neutralised in exports
        family_name=EMOJI_AND_MARKS,
        field="science",
        entry_date=LATEST_DATE,
        standard_term_years=MAX_TERM_YEARS,
        status="completed",
        completion_date=LATEST_DATE,
    )
    enrolled = services.student_create(
        university=university_a,
        acting_user=staff_a,
        student_number="E1",
        field="science",
        entry_date=date(2100, 4, 1),
        standard_term_years=1,
    )
    services.award_create(
        student=enrolled, program=spring, start_date=date(2100, 4, 1), end_date=LATEST_DATE, acting_user=staff_a
    )
    from careers import services as career_services

    for student in (early, late):
        career_services.career_create(
            student=student,
            acting_user=staff_a,
            today=LATEST_DATE,
            survey_point="completion",
            destination="non_research",
            sector="company",
            employer="株" * 199 + "😀",
            country="JP",
        )
    from reports import services as report_services

    report = report_services.report_prepare(
        university=university_a, program=spring, fiscal_year=2025, acting_user=staff_a
    )
    report_services.report_update_text(
        report=report,
        acting_user=staff_a,
        comments="一行目\n\t二行目 " + EMOJI_AND_MARKS,
        career_activities="あ" * 20_000,
    )
    return {"early": early, "late": late}


def walk_pages(client, user, pages):
    """5xx answers, and HTML pages with inline code (the Content-Security-Policy would refuse it)."""
    client.force_login(user)
    failures = {}
    for url in pages:
        response = client.get(url)
        if response.status_code >= 500:
            failures[url] = response.status_code
        elif response["Content-Type"].startswith("text/html"):
            page = response.content.decode()
            for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE):
                if pattern.search(page):
                    failures[url] = pattern.search(page).group(0)
    return failures


PAGES_FOR_ALL = [
    "/",
    "/students/",
    "/students/reports/",
    "/students/careers/",
    "/students/quality/",
    "/dashboards/",
    "/dashboards/reports/",
    "/dashboards/outcomes/",
    "/dashboards/?fiscal_year=2019",
]


@pytest.mark.parametrize("role", ["staff_b", "officer", "ministry", "admin", "staff_a"])
def test_extreme_allowed_values_break_no_page_of_anyone(client, extreme_world, university_a, university_b, role):
    # given
    users = {
        "staff_b": lambda: user_with_role("b", "university_staff", university=university_b),
        "officer": lambda: user_with_role("o", "program_officer", programs=Program.objects.all()),
        "ministry": lambda: user_with_role("m", "ministry_viewer"),
        "admin": lambda: user_with_role("adm", "administrator"),
        "staff_a": lambda: user_with_role("a2", "university_staff", university=university_a),
    }
    user = users[role]()
    pages = [
        *PAGES_FOR_ALL,
        f"/dashboards/universities/{university_a.pk}/",
        f"/dashboards/universities/{university_b.pk}/",
        f"/students/{extreme_world['early'].pk}/",
        f"/students/{extreme_world['late'].pk}/",
        *(f"/students/reports/{pk}/" for pk in Report.objects.values_list("pk", flat=True)),
        "/students/export.csv",
        "/students/export.xlsx",
        "/students/careers/jgrad.csv?fiscal_year=2100",
        "/students/careers/jgrad.xlsx?fiscal_year=2100",
        "/students/careers/jgrad.xlsx?fiscal_year=1950",
        "/students/careers/template.xlsx",
    ]
    # when
    failures = walk_pages(client, user, pages)
    # then
    assert failures == {}


def test_values_stored_before_the_bounds_break_no_page_and_no_export(client, extreme_world, university_b, staff_a):
    # given: rows as they may already be in the database (written before these rules existed)
    # Ref: #12 item 2 (year 10000 in careers due dates) and item 3 (XLSX export of a university)
    Student.objects.filter(pk=extreme_world["late"].pk).update(
        completion_date=date(9995, 3, 31), family_name=f"山{BEL}田{RLO}", given_name="\x0b\x1f"
    )
    Student.objects.filter(pk=extreme_world["early"].pk).update(completion_date=date(9999, 12, 31))
    CareerOutcome.objects.filter(student=extreme_world["early"]).update(employer=f"株{BEL}\x1b")
    other = user_with_role("b", "university_staff", university=university_b)
    # when
    failures = {
        **walk_pages(
            client,
            staff_a,
            ["/", "/students/careers/", f"/students/{extreme_world['late'].pk}/", "/students/export.xlsx"],
        ),
        **walk_pages(client, staff_a, ["/students/export.csv", "/students/careers/jgrad.xlsx?fiscal_year=1950"]),
        **walk_pages(client, other, ["/", "/students/quality/", "/students/careers/"]),
        **walk_pages(client, user_with_role("adm", "administrator"), ["/dashboards/reports/", "/students/quality/"]),
    }
    # then
    assert failures == {}
    client.force_login(staff_a)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get("/students/export.xlsx").content)).worksheets[0]
    cells = [cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    assert "山\ufffd田\ufffd" in cells
