"""Workspace pages: three actors (own staff, other university's staff, ministry viewer)."""

from datetime import date

import pytest

from programs.models import Program
from students import services
from students.models import Award, AwardEvent, Student
from tests.factories import AwardFactory, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def student(reference, university_a):
    return StudentFactory(university=university_a, student_number="D100", family_name="山田", given_name="花子")


@pytest.fixture
def award(student, staff_a):
    return services.award_create(
        student=student,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        acting_user=staff_a,
    )


def test_staff_list_search_and_filter(client, staff_a, student, award, university_b):
    StudentFactory(university=university_b, student_number="OTHER1", family_name="他大学")
    client.force_login(staff_a)
    body = client.get("/students/").content.decode()
    assert "D100" in body
    assert "OTHER1" not in body
    assert "D100" in client.get("/students/", {"q": "花子"}).content.decode()
    assert "D100" not in client.get("/students/", {"q": "無い名前"}).content.decode()
    assert "D100" in client.get("/students/", {"program": "SPRING", "fiscal_year": 2025}).content.decode()
    assert "D100" not in client.get("/students/", {"program": "JSPS_DC1"}).content.decode()


def test_program_and_year_together_mean_that_program_in_that_year(client, staff_a, student, award, university_a):
    """D200 held SPRING until FY2022 and a DC2 in FY2025: supported in FY2025, but not by SPRING."""
    later = StudentFactory(university=university_a, student_number="D200")
    AwardFactory(student=later, start_date=date(2020, 4, 1), end_date=date(2023, 3, 31))
    AwardFactory(
        student=later,
        program=Program.objects.get(code="JSPS_DC2"),
        start_date=date(2025, 4, 1),
        end_date=date(2027, 3, 31),
        annual_living_cost=2_400_000,
        annual_research_cost=0,
    )
    client.force_login(staff_a)
    both = client.get("/students/", {"program": "SPRING", "fiscal_year": 2025}).content.decode()
    assert "D100" in both
    assert "D200" not in both
    assert "D200" in client.get("/students/", {"fiscal_year": 2025}).content.decode()


def test_list_query_count_does_not_grow_with_rows(
    client, staff_a, university_a, reference, django_assert_max_num_queries
):
    StudentFactory.create_batch(60, university=university_a)
    client.force_login(staff_a)
    client.get("/")  # the session learns the person has no second factor to pass
    # 6 (the user read with their membership and university in one query: accounts.backends),
    # and the access log's one INSERT (#17)
    with django_assert_max_num_queries(7):
        response = client.get("/students/")
    assert len(response.context["page"].object_list) == 50


def translations_of_page(client, url: str) -> int:
    """How many messages the page translated (Django's gettext, every msgid looked up)."""
    from unittest import mock

    from django.utils import translation

    # Every gettext, lazy labels included, goes through the module's _trans.gettext.
    with mock.patch.object(translation._trans, "gettext", wraps=translation._trans.gettext) as spy:
        assert client.get(url).status_code == 200
    return spy.call_count


def test_list_translates_its_labels_once_per_page_not_per_row(client, staff_a, university_a, reference):
    StudentFactory(university=university_a, student_number="S000")
    client.force_login(staff_a)
    client.get("/students/")
    one = translations_of_page(client, "/students/")
    StudentFactory.create_batch(49, university=university_a)
    assert translations_of_page(client, "/students/") == one  # before: 86 for one row, 870 for 50 (16 a row)


@pytest.mark.parametrize(("language", "field", "status"), [("ja", "理学系", "在籍"), ("en", "Science", "Enrolled")])
def test_list_shows_each_rows_field_and_status_in_the_pages_language(
    client, staff_a, university_a, reference, language, field, status
):
    StudentFactory(university=university_a, student_number="L001", field="science", status="enrolled")
    StudentFactory(university=university_a, student_number="L002", field="engineering", status="completed")
    client.force_login(staff_a)
    client.cookies["django_language"] = language
    body = client.get("/students/").content.decode()
    rows = {row.split("</a>")[0].rsplit(">", 1)[1]: row for row in body.split("<tr>") if "/students/" in row}
    assert f"<td>{field}</td>" in rows["L001"]
    assert f"<td>{status}</td>" in rows["L001"]
    student = Student.objects.get(student_number="L002")
    from django.utils import translation

    with translation.override(language):
        assert f"<td>{student.get_field_display()}</td>" in rows["L002"]
        assert f"<td>{student.get_status_display()}</td>" in rows["L002"]


def test_ministry_viewer_sees_no_student_pages(client, ministry_viewer, student):
    client.force_login(ministry_viewer)
    assert client.get("/students/").status_code == 403
    assert client.get(f"/students/{student.pk}/").status_code == 403


def test_student_page_shows_timeline_amounts_and_history(client, staff_a, student, award):
    services.award_event_create(
        award=award,
        kind="suspension",
        start_date=date(2025, 7, 1),
        end_date=date(2025, 9, 30),
        reason="病気療養",
        acting_user=staff_a,
    )
    client.force_login(staff_a)
    response = client.get(f"/students/{student.pk}/")
    body = response.content.decode()
    years = response.context["timeline"][0].years
    assert (years[0].label, years[0].months, years[0].living_cost) == (
        "令和7年度",
        9,
        1_350_000,
    )  # the page is Japanese
    assert "¥1,350,000" in body
    assert "病気療養" in body
    assert "staff_a" in body  # the history names who did it


@pytest.mark.parametrize(
    ("language", "change"), [("ja", "在籍状況: 在籍 → 休学"), ("en", "Status: Enrolled → On leave")]
)
def test_history_shows_a_changed_choice_by_its_label_in_the_pages_language(client, staff_a, student, language, change):
    """The student page's history named the stored values (`enrolled → on_leave`) in both languages."""
    services.student_update(student=student, acting_user=staff_a, status="on_leave")
    client.force_login(staff_a)
    client.cookies["django_language"] = language
    body = client.get(f"/students/{student.pk}/").content.decode()
    assert change in body
    assert "on_leave" not in body


def test_add_student_through_the_form(client, staff_a, reference):
    client.force_login(staff_a)
    response = client.post(
        "/students/new/",
        {
            "student_number": "N1",
            "field": "science",
            "entry_date": "2025-04-01",
            "standard_term_years": 3,
            "status": "enrolled",
        },
    )
    student = Student.objects.get(student_number="N1")
    assert response.status_code == 302
    assert student.university == staff_a.membership.university
    assert student.history.first().history_user == staff_a


def test_duplicate_student_number_refused_on_the_field(client, staff_a, student):
    client.force_login(staff_a)
    response = client.post(
        "/students/new/",
        {
            "student_number": "D100",
            "field": "science",
            "entry_date": "2025-04-01",
            "standard_term_years": 3,
            "status": "enrolled",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Student.objects.count() == 1


def test_add_award_with_rule_amounts(client, staff_a, student):
    client.force_login(staff_a)
    response = client.post(
        f"/students/{student.pk}/awards/new/",
        {"program": "JSPS_DC1", "start_date": "2025-04-01", "end_date": "2028-03-31"},
    )
    assert response.status_code == 302
    assert Award.objects.get().annual_living_cost == 2_400_000


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"program": "JSPS_DC2", "start_date": "2025-04-01", "end_date": "2027-04-30"}, "end_date"),
        ({"program": "SPRING", "start_date": "2025-04-01", "end_date": "2025-03-01"}, "end_date"),
        ({"program": "JSPS_PD", "start_date": "2025-04-01", "end_date": "2026-03-31"}, "program"),
        (
            {
                "program": "SPRING",
                "start_date": "2025-04-01",
                "end_date": "2026-03-31",
                "annual_living_cost": 99_999_999,
            },
            "annual_living_cost",
        ),
    ],
)
def test_award_form_refusals_land_on_the_field(client, staff_a, student, data, field):
    client.force_login(staff_a)
    response = client.post(f"/students/{student.pk}/awards/new/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Award.objects.exists()


def test_exclusive_overlap_refused_on_the_program_field(client, staff_a, student, award):
    client.force_login(staff_a)
    response = client.post(
        f"/students/{student.pk}/awards/new/",
        {"program": "JSPS_DC1", "start_date": "2026-04-01", "end_date": "2028-03-31"},
    )
    assert "SPRING" in response.context["form"].errors["program"][0]
    assert Award.objects.count() == 1


def test_second_save_of_a_stale_form_is_refused(client, staff_a, student):
    client.force_login(staff_a)
    form = {
        "student_number": "D100",
        "field": "science",
        "entry_date": "2024-04-01",
        "standard_term_years": 3,
        "status": "enrolled",
        "version": 1,
        "family_name": "佐藤",
    }
    assert client.post(f"/students/{student.pk}/edit/", form).status_code == 302
    response = client.post(f"/students/{student.pk}/edit/", {**form, "family_name": "鈴木"})
    assert response.status_code == 200
    assert "再読み込み" in str(response.context["form"].non_field_errors())
    student.refresh_from_db()
    assert student.family_name == "佐藤"


def test_award_event_from_the_award_page(client, staff_a, award):
    client.force_login(staff_a)
    response = client.post(
        f"/students/awards/{award.pk}/events/", {"kind": "termination", "start_date": "2026-03-31", "reason": "DC採用"}
    )
    assert response.status_code == 302
    award.refresh_from_db()
    assert award.end_date == date(2026, 3, 31)
    bad = client.post(f"/students/awards/{award.pk}/events/", {"kind": "resumption", "start_date": "2026-01-01"})
    assert bad.status_code == 400
    assert AwardEvent.objects.count() == 1


def test_program_officer_reads_but_cannot_write(client, program_officer, student, award):
    client.force_login(program_officer)
    assert client.get(f"/students/{student.pk}/").status_code == 200
    assert client.get(f"/students/{student.pk}/edit/").status_code == 403
    assert client.get("/students/new/").status_code == 403


def test_program_defaults_for_the_form(client, staff_a, reference):
    client.force_login(staff_a)
    data = client.get("/students/programs/BOOST/defaults/", {"start": "2025-04-01"}).json()
    assert data == {
        "annual_living_cost": 3_600_000,
        "annual_research_cost": 300_000,
        "floor": 1_800_000,
        "term_years": 3,
        "is_postdoctoral": False,
    }
