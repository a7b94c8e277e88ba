"""What schemathesis `--checks all` found: the API and its published schema disagreed (issue #12).

Each test names the defect it pins; each failed on the code before the fix.
400 is kept for a request that does not match the schema, so a client (and schemathesis) can
tell it from a rule's refusal (422) and a conflict with the data as it stands (409).
"""

import re
from datetime import date

import pytest
from rest_framework.test import APIClient

from phdsupport.api.schema import plausible_date_pattern, text_pattern
from phdsupport.validation import EARLIEST_DATE, LATEST_DATE, text_problem
from programs.models import Program
from students.api.keys import api_key_create
from students.models import Award, Student, YearLock
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db
PROBLEM_JSON = "application/problem+json"


def client_with(secret: str, language: str = "ja") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def api(reference, university_a):
    return client_with(api_key_create(name="A write", scope="write", university=university_a, acting_user=None)[1])


@pytest.mark.parametrize(
    "path",
    ["/api/v1/awards/abc/", "/api/v1/awards//", "/api/v1/reports/%C2%84/submit/", "/api/v1/nothing/", "/api/v2/"],
)
def test_a_path_no_route_matches_is_a_problem_json_404(api, path):
    # Ref: #12. Was Django's HTML 404 page (with DEBUG, its technical page) under /api/.
    for method in ("get", "post", "put", "delete"):
        response = getattr(api, method)(path)
        assert response.status_code == 404, (method, path)
        assert response["Content-Type"] == PROBLEM_JSON
        assert response.json()["errors"][0]["code"] == "not_found"


def test_a_path_no_route_matches_still_asks_for_the_key():
    response = APIClient().get("/api/v1/awards/abc/")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM_JSON


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (
            "/api/v1/students/",
            {"student_number": 0, "field": "engineering", "entry_date": "2025-04-01"},
            "student_number",
        ),
        ("/api/v1/students/", {"student_number": "S1", "field": "engineering", "entry_date": 20250401}, "entry_date"),
        (
            "/api/v1/students/",
            {"student_number": "S1", "field": "engineering", "entry_date": "2025-04-01", "standard_term_years": "3"},
            "standard_term_years",
        ),
        (
            "/api/v1/students/",
            {"student_number": "S1", "field": "engineering", "entry_date": "2025-04-01", "is_international": "yes"},
            "is_international",
        ),
        ("/api/v1/reports/", {"program": "SPRING", "fiscal_year": 2025, "career_activities": 0}, "career_activities"),
        ("/api/v1/reports/", {"program": "SPRING", "fiscal_year": 2025.0}, "fiscal_year"),
    ],
)
def test_a_value_of_another_json_type_is_refused_not_coerced(api, url, body, field):
    # Ref: #12. Was accepted: 0 stored as the text "0", "3" as 3, "yes" as true.
    response = api.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not Student.objects.exists()


@pytest.mark.parametrize(
    ("query", "field"),
    [("updated_since=", "updated_since"), ("fiscal_year=", "fiscal_year"), ("status=", "status")],
)
def test_an_empty_typed_filter_is_refused(api, query, field):
    # Ref: #12. Was 200 with every row: an empty value read as "no filter" (right for the page's
    # form, not for an API whose schema says a time or an integer).
    response = api.get(f"/api/v1/students/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert response.json()["errors"][0]["message"] == "The value is empty: leave the parameter out or give a value."


def test_an_empty_text_filter_is_a_text_like_any_other(api):
    assert api.get("/api/v1/students/?q=").status_code == 200


@pytest.mark.parametrize("size", ["0", "-1", "1001", "abc", "١٢"])
def test_a_page_size_outside_its_bounds_is_refused(api, size):
    # Ref: #12. Was 200 with 100 rows (0, -1, "abc") or 1,000 rows (1001): another size than asked.
    response = api.get(f"/api/v1/students/?page_size={size}")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "page_size", "code": "invalid", "message": "1以上1,000以下の整数で入力してください。"}
    ]


def test_students_order_by_every_documented_field(api, university_a):
    # Ref: #12. The page's django-filter `ordering` shadowed DRF's in the API: ?ordering=id (in
    # the schema) answered 400, and ?ordering=-entry_date was overridden by the cursor's id order.
    for number, entry in (("S1", date(2024, 4, 1)), ("S2", date(2025, 4, 1))):
        StudentFactory(university=university_a, student_number=number, entry_date=entry)
    for ordering, expected in (("id", ["S1", "S2"]), ("-entry_date", ["S2", "S1"]), ("-student_number", ["S2", "S1"])):
        response = api.get(f"/api/v1/students/?ordering={ordering}")
        assert response.status_code == 200, (ordering, response.content)
        assert [row["student_number"] for row in response.json()["results"]] == expected, ordering


def test_a_locked_year_is_a_409_conflict_and_a_rule_a_422(api, university_a, staff_a):
    # Ref: #12. Both were 400, which the schema reserves for a request that does not match it.
    student = StudentFactory(university=university_a, student_number="L1", entry_date=date(2024, 4, 1))
    spring = Program.objects.get(code="SPRING")
    award = Award.objects.create(
        student=student,
        program=spring,
        start_date=date(2024, 4, 1),
        end_date=date(2027, 3, 31),
        annual_living_cost=1_800_000,
    )
    YearLock.objects.create(university=university_a, program=spring, fiscal_year=2024)
    locked = api.delete(f"/api/v1/awards/{award.pk}/", HTTP_IF_MATCH="*")
    assert locked.status_code == 409
    assert locked["Content-Type"] == PROBLEM_JSON
    assert [e["code"] for e in locked.json()["errors"]] == ["report_locked"]
    assert Award.objects.filter(pk=award.pk).exists()
    too_long = api.post(
        "/api/v1/awards/",
        {"student": student.pk, "program": "JSPS_DC2", "start_date": "2027-04-01", "end_date": "2030-03-31"},
        format="json",
    )
    assert too_long.status_code == 422
    assert "term_exceeded" in {e["code"] for e in too_long.json()["errors"]}


def test_a_new_award_without_its_student_is_a_400_as_the_schema_says(api, university_a):
    response = api.post(
        "/api/v1/awards/", {"program": "SPRING", "start_date": "2025-04-01", "end_date": "2028-03-31"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "student"


def test_the_text_pattern_refuses_exactly_what_the_text_rule_refuses():
    # The schema's pattern and phdsupport.validation.text_problem must agree character by
    # character, or schemathesis (and a client reading the schema) sends what the API refuses.
    for multiline in (False, True):
        pattern = re.compile(text_pattern(multiline=multiline).replace("$", r"\Z"))
        for code in [*range(0x0000, 0x00A1), *range(0x2020, 0x2070), 0xFFFD, 0xFFFE, 0xFFFF, 0x1F600]:
            character = chr(code)
            assert (pattern.search(f"a{character}b") is None) == (
                text_problem(f"a{character}b", multiline=multiline) is not None
            ), (multiline, hex(code))


def test_the_date_pattern_states_the_plausible_range():
    pattern = re.compile(plausible_date_pattern())
    inside = [EARLIEST_DATE, LATEST_DATE, date(2025, 4, 1), date(2000, 2, 29)]
    outside = ["1949-12-31", "2101-01-01", "9995-03-31", "0457-12-03", "2025-13-01", "2025-04-1", "20250401"]
    assert all(pattern.search(day.isoformat()) for day in inside)
    assert not any(pattern.search(text) for text in outside)


def test_the_schema_states_the_codes_and_rules_the_api_applies(reference, admin_client):
    schema = admin_client.get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]
    create = components["AwardCreate"]
    assert create["anyOf"] == [{"required": ["student"]}, {"required": ["student_number"]}]
    assert "anyOf" not in components["AwardWrite"]  # an update names no student
    assert components["ProgramEnum"]["enum"] == sorted(Program.objects.values_list("code", flat=True))
    assert components["StudentWrite"]["properties"]["student_number"]["minLength"] == 1
    assert components["StudentWrite"]["properties"]["entry_date"]["pattern"] == plausible_date_pattern()
    assert components["EnrolmentStatisticWrite"]["properties"]["field"]["pattern"] == text_pattern(multiline=False)
    delete = schema["paths"]["/api/v1/awards/{id}/"]["delete"]["responses"]
    assert {"404", "409", "412", "422", "428"} <= set(delete)
    programs = next(p for p in schema["paths"]["/api/v1/awards/"]["get"]["parameters"] if p["name"] == "program")
    assert programs["schema"]["enum"] == components["ProgramEnum"]["enum"]
