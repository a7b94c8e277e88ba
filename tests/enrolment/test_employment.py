"""The employment indicator of doctoral completers (卒業・修了者の就職・進学等の状況), shown on the
outcomes page beside the career figures: hand-computed from DOMAIN.md, "(employed + further
study) / completers over three years, per field, as deviation scores weighted by completers"."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from careers.models import CareerOutcome
from tests.factories import StudentFactory, UniversityFactory

pytestmark = pytest.mark.django_db


def _completer(
    university, field, destination=None, *, completed=date(2023, 3, 24), status="completed", point="completion"
):
    student = StudentFactory(
        university=university, field=field, entry_date=date(2020, 4, 1), status=status, completion_date=completed
    )
    if destination:
        CareerOutcome.objects.create(student=student, survey_point=point, destination=destination)
    return student


@pytest.fixture
def completers(university_a):
    """Window FY2021–FY2023.
    甲 engineering: 4 completers, postdoc + non-research job + further study + not employed → 3/4.
    甲 science: 2 completers, both employed → 2/2 (the only university with science → 50).
    丙 engineering: 2 completers, one employed, one with no record at completion → 1/2.
    Not counted: a completion in FY2020, a withdrawal, a private university's completer."""
    kou = university_a
    hei = UniversityFactory(name_ja="丙大学", name_en="Hei University")
    private = UniversityFactory(name_ja="私大学", founder="private", national_group=None)
    for destination in ("postdoc", "non_research", "student", "not_employed"):
        _completer(kou, "engineering", destination)
    _completer(kou, "science", "permanent_research")
    _completer(kou, "science", "non_permanent_research", completed=date(2021, 4, 1))
    _completer(hei, "engineering", "non_research", completed=date(2024, 3, 31))
    _completer(hei, "engineering", "postdoc", point="year_1")  # no record at completion: a completer only
    _completer(hei, "engineering", "postdoc", completed=date(2021, 3, 31))  # FY2020: outside the window
    _completer(hei, "engineering", "postdoc", status="withdrawn")  # not a completer
    _completer(private, "engineering", "postdoc")
    return kou, hei


def test_ministry_sees_every_national_universitys_employment_indicator(client, completers, ministry_viewer):
    client.force_login(ministry_viewer)
    response = client.get("/dashboards/outcomes/", {"window": 2021})
    rows = {row[1]: row[2:] for row in response.context["employment"]["employment"].rows}
    # engineering: 0.75 and 0.5, mean 0.625, population sd 0.125 → 60 and 40; science alone → 50
    # 甲 = (60 × 4 + 50 × 2) / 6 = 56.67; 甲's share (3 + 2) / 6 = 83.3%
    assert rows == {
        "甲大学": ["①", 6, "83.3%", "56.67", "1 / 2"],
        "丙大学": ["①", 2, "50.0%", "40.00", "2 / 2"],
    }
    assert "就職・進学等の状況" in response.content.decode()
    drill = client.get("/dashboards/outcomes/", {"window": 2021, "university": completers[0].pk})
    fields = drill.context["employment"]["employment_fields"].rows
    assert fields == [
        ["工学系", 4, 2, 1, "75.0%", "62.5% / 12.5", 2, "60.00"],
        ["理学系", 2, 2, 0, "100.0%", "100.0% / 0.0", 1, "50.00"],
    ]
    xlsx = client.get(
        "/dashboards/outcomes/",
        {"window": 2021, "university": completers[0].pk, "format": "xlsx", "table": "employment_fields"},
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[2]] == ["工学系", 4, 2, 1, "75.0%", "62.5% / 12.5", 2, "60.00"]
    csv = client.get("/dashboards/outcomes/", {"window": 2021, "format": "csv", "table": "employment"})
    assert "丙大学,①,2,50.0%,40.00,2 / 2" in csv.content.decode("utf-8-sig")


def test_university_staff_see_only_their_own_row_and_fields(client, completers, staff_a):
    client.force_login(staff_a)
    response = client.get("/dashboards/outcomes/", {"window": 2021})
    employment = response.context["employment"]
    assert [row[1] for row in employment["employment"].rows] == ["甲大学"]
    assert len(employment["employment_fields"].rows) == 2
    assert "丙大学" not in response.content.decode()
    other = client.get("/dashboards/outcomes/", {"window": 2021, "format": "csv", "table": "employment"})
    assert "丙大学" not in other.content.decode("utf-8-sig")
