import csv
import io

import pytest

from dashboards.models import Publication
from programs.models import Program
from students import services
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
FY = 2025


@pytest.fixture
def ministry_client(client, population):
    client.force_login(user_with_role("viewer", "ministry_viewer"))
    return client


def read_csv(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_national_page_shows_the_figures(ministry_client):
    response = ministry_client.get("/dashboards/", {"fiscal_year": FY})
    body = response.content.decode()
    assert response.status_code == 200
    assert "令和7年度" in body
    assert "FY2025 (R7)" not in body  # one language per page (Ref: #13)
    tables = response.context["tables"]
    assert tables["summary"].rows[2][1] == 4
    assert tables["summary"].rows[3][1] == 22_500
    assert tables["summary"].rows[4][1] == "0.0%"
    programs = {row[0]: row[2:4] for row in tables["programs"].rows}
    assert programs["SPRING"] == [2, 6]  # s5 is attributed to EMERGENT_RA (largest amount in the FY)
    assert programs["EMERGENT_RA"] == [1, 2]
    assert programs["JSPS_PD"] == ["", 1]


def test_page_shows_no_student_names_or_numbers(ministry_client, population):
    body = ministry_client.get("/dashboards/", {"fiscal_year": FY}).content.decode()
    for student in population["students"].values():
        assert student.family_name not in body
        assert f">{student.student_number}<" not in body


def test_csv_matches_the_page(ministry_client):
    page = ministry_client.get("/dashboards/", {"fiscal_year": FY}).context["tables"]
    for key in ("summary", "programs", "universities", "overlaps"):
        response = ministry_client.get("/dashboards/", {"fiscal_year": FY, "format": "csv", "table": key})
        assert response["Content-Type"].startswith("text/csv")
        rows = read_csv(response)
        assert rows[0] == page[key].headers
        assert rows[1:] == [[str(cell) for cell in row] for row in page[key].rows]


def test_csv_of_universities_counts_own_records(ministry_client):
    rows = read_csv(ministry_client.get("/dashboards/", {"fiscal_year": FY, "format": "csv", "table": "universities"}))
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["甲大学"][4:] == ["3", "1", "2", "6"]
    assert by_name["乙大学"][4:] == ["2", "0", "2", "4"]


def test_floor_control_recounts_the_page(ministry_client):
    tables = ministry_client.get("/dashboards/", {"fiscal_year": FY, "floor": 2_400_000}).context["tables"]
    assert tables["summary"].rows[2][1] == 1


def programs_shown(response):
    """Program → counted, per the page's program table (gross award counts left out: they do not
    depend on the floor)."""
    return {row[0]: row[2] for row in response.context["tables"]["programs"].rows}


@pytest.mark.parametrize("where", ["national", "university_a", "university_b"])
def test_what_if_at_the_floor_in_force_shows_the_default_page(ministry_client, population, where):
    # DOMAIN.md (What-if floor): "At X equal to the floor in force the answer is identical to the
    # default, breakdown included" (s5 stays with EMERGENT_RA, the largest amount within the FY).
    url = "/dashboards/" if where == "national" else f"/dashboards/universities/{population[where[-1]].pk}/"
    default = ministry_client.get(url, {"fiscal_year": FY})
    what_if = ministry_client.get(url, {"fiscal_year": FY, "floor": 1_800_000})
    assert what_if.context["scope"].floor == 1_800_000
    assert programs_shown(what_if) == programs_shown(default)
    assert what_if.context["tables"]["summary"].rows[2] == default.context["tables"]["summary"].rows[2]
    if where == "national":
        assert programs_shown(default)["EMERGENT_RA"] == 1


@pytest.mark.parametrize("floor", [-5, 0])
def test_bad_floor_is_refused_with_a_message(ministry_client, floor):
    # DOMAIN.md (What-if floor): X ≥ ¥1. A refused floor answers 400 with the form's message.
    response = ministry_client.get("/dashboards/", {"fiscal_year": FY, "floor": floor})
    assert response.status_code == 400
    assert response.context["form"].errors["floor"]
    assert response.context["scope"].floor is None


@pytest.mark.parametrize("floor", [-5, 0])
def test_headcount_api_refuses_a_floor_below_one_yen(ministry_client, floor):
    response = ministry_client.get("/api/v1/stats/headcount/", {"fiscal_year": FY, "floor": floor})
    assert response.status_code == 400
    assert "floor" in str(response.json())


def test_unknown_csv_table_is_404(ministry_client):
    assert ministry_client.get("/dashboards/", {"format": "csv", "table": "nope"}).status_code == 404


def test_university_drill_down(ministry_client, population):
    response = ministry_client.get(f"/dashboards/universities/{population['a'].pk}/", {"fiscal_year": FY})
    assert response.status_code == 200
    assert response.context["tables"]["summary"].rows[2][1] == 3


def test_staff_see_their_own_university_only(client, population):
    client.force_login(population["staff_a"])
    assert client.get("/dashboards/").status_code == 302
    assert client.get(f"/dashboards/universities/{population['a'].pk}/").status_code == 200
    assert client.get(f"/dashboards/universities/{population['b'].pk}/").status_code == 404


def test_anonymous_is_sent_to_login(client, population):
    response = client.get("/dashboards/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_publication_is_kept_unchanged_after_later_edits(client, population, reference):
    # given: an officer publishes FY2025
    officer = user_with_role("pub_officer", "program_officer", programs=Program.objects.filter(code="SPRING"))
    client.force_login(officer)
    response = client.post("/dashboards/publications/", {"fiscal_year": FY, "note": "速報"})
    publication = Publication.objects.get()
    assert response.status_code == 302
    published = publication.figures["summary"]["rows"][2][1]
    assert published == 4
    # when: a university adds a counted student afterwards
    s3 = population["students"][3]
    services.award_update(award=s3.awards.get(), annual_living_cost=1_800_000, acting_user=population["staff_a"])
    # then: the snapshot keeps 4, the page shows the change to 5
    publication.refresh_from_db()
    assert publication.figures["summary"]["rows"][2][1] == 4
    page = client.get(f"/dashboards/publications/{publication.pk}/")
    changes = [(c.row, c.published, c.current) for c in page.context["changes"]]
    assert ("支援を受ける学生数", 4, 5) in changes
    with pytest.raises(ValueError, match="cannot be changed"):
        publication.save()


def test_ministry_viewer_cannot_publish(ministry_client):
    assert ministry_client.post("/dashboards/publications/", {"fiscal_year": FY}).status_code == 403
    assert not Publication.objects.exists()


def test_page_follows_a_write_at_once(ministry_client, population, django_capture_on_commit_callbacks):
    # given: the page has been computed and cached
    assert ministry_client.get("/dashboards/", {"fiscal_year": FY}).context["tables"]["summary"].rows[2][1] == 4
    # when: s3's RA pay is raised to the floor (the facts' version is bumped after the commit)
    with django_capture_on_commit_callbacks(execute=True):
        services.award_update(
            award=population["students"][3].awards.get(),
            annual_living_cost=1_800_000,
            acting_user=population["staff_a"],
        )
    # then
    response = ministry_client.get("/dashboards/", {"fiscal_year": FY})
    assert response.context["tables"]["summary"].rows[2][1] == 5
    assert '<span class="kpi-value">5</span>' in response.content.decode()
