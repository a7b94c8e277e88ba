"""The OpenAPI schema documents every problem an operation can answer, and the bounds of its
query parameters (issue #12, item 8)."""

import io

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    # The live schema reads the program codes there are (an enum), so it reads the database.
    with django_db_blocker.unblock():
        return SchemaGenerator(api_version="v1").get_schema(request=None, public=True)


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def test_every_operation_documents_its_problems_as_problem_json(schema):
    # Ref: #12
    operations = list(_operations(schema))
    assert len(operations) > 30
    for method, path, operation in operations:
        responses = operation["responses"]
        expected = {"401", "403", "429"}
        if method in {"POST", "PUT", "PATCH"}:
            expected |= {"400"}
        if "{" in path:
            expected |= {"404"}
        if method in {"PUT", "PATCH", "DELETE"}:
            expected |= {"412", "428"}
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            expected |= {"404", "409", "422"}  # Ref: #12 (schemathesis: a locked year's DELETE answered 400)
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in responses:
            if status.startswith("4"):
                assert responses[status]["content"] == PROBLEM, (method, path, status)
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "errors"}


def test_query_parameters_carry_their_bounds(schema):
    def parameter(path, name):
        return next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name)["schema"]

    for path in ("/api/v1/students/", "/api/v1/awards/", "/api/v1/reports/", "/api/v1/enrolment-statistics/"):
        assert parameter(path, "fiscal_year") == {"type": "integer", "minimum": 2000, "maximum": 2100}
        assert parameter(path, "page_size") == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert parameter("/api/v1/stats/headcount/", "fiscal_year") == {"type": "integer", "minimum": 2019, "maximum": 2040}
    assert parameter("/api/v1/stats/headcount/", "floor") == {"type": "integer", "minimum": 1, "maximum": 10_000_000}


@pytest.mark.django_db
def test_the_schema_validates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"), stdout=io.StringIO()
    )
