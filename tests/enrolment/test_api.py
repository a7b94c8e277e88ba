"""enrolment-statistics/ in the API: the same service as the form and the upload (refusals,
nothing written), updated_since, and another university's rows answer 404."""

import pytest

from enrolment import services
from enrolment.models import EnrolmentStatistic
from students.api.keys import api_key_create
from tests.api.test_api import client_with
from tests.enrolment.factories import values
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
URL = "/api/v1/enrolment-statistics/"


@pytest.fixture
def keys(university_a, university_b):
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


def test_a_write_key_creates_updates_and_lists(keys):
    client = client_with(keys["write"])
    created = client.post(URL, values(), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["entrants"], body["version"]) == (28, 1)
    assert EnrolmentStatistic.history.get().history_user == keys["issuer"]
    patched = client.patch(
        f"{URL}{body['id']}/", {"enrolled": 100, "field": "science"}, format="json", HTTP_IF_MATCH=created["ETag"]
    )
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["enrolled"], patched.json()["field"], patched.json()["version"]) == (100, "engineering", 2)
    listed = client.get(URL).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]
    assert listed[0]["university"] == body["university"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"entrants": -1}, "entrants", "0以上100,000以下の整数で入力してください。"),
        ({"completions_within_term": 26}, "completions_within_term", "学位（課程博士）授与数（25人）を超えています。"),
        ({"entrants_working_adults": 29}, "entrants_working_adults", "入学者数（28人）を超えています。"),
        ({"field": "astrology"}, "field", "不明な学系です: astrology"),
    ],
)
def test_bad_rows_are_refused_with_the_services_messages(keys, changes, field, message):
    response = client_with(keys["write"]).post(URL, values(**changes), format="json")
    assert response.status_code == 422  # plain integers and text in the schema; the services' ranges refuse
    errors = response.json()["errors"]
    assert {"field": field, "message": message} in [{"field": e["field"], "message": e["message"]} for e in errors]
    assert not EnrolmentStatistic.objects.exists()


def test_messages_in_english_on_request(keys):
    response = client_with(keys["write"]).post(URL, values(field="astrology"), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"][0]["message"] == "Unknown field: astrology"


def test_updated_since_filters(keys, university_a):
    row = services.statistic_create(university=university_a, acting_user=keys["issuer"], **values())
    client = client_with(keys["read"])
    later = row.updated_at.isoformat().replace("+00:00", "Z")
    assert len(client.get(URL, {"updated_since": later}).json()["results"]) == 1
    assert client.get(URL, {"updated_since": "2999-01-01T00:00:00Z"}).json()["results"] == []


def test_another_universitys_rows_are_404_and_read_and_ministry_keys_cannot_write(keys, university_a):
    row = services.statistic_create(university=university_a, acting_user=keys["issuer"], **values())
    other = client_with(keys["other"])
    assert other.get(f"{URL}{row.pk}/").status_code == 404
    assert other.patch(f"{URL}{row.pk}/", {"enrolled": 1}, format="json").status_code == 404
    assert other.delete(f"{URL}{row.pk}/").status_code == 404
    assert other.get(URL).json()["results"] == []
    assert client_with(keys["read"]).post(URL, values(field="science"), format="json").status_code == 403
    assert client_with(keys["ministry"]).get(URL).status_code == 403
    row.refresh_from_db()
    assert row.version == 1
