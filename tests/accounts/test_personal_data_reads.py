"""The access log of personal data: every read recorded, append-only, kept for a period,
searched by an administrator and by a university's lead staff (issue #17, item 1)."""

from datetime import date, timedelta

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AppendOnlyError, PersonalDataRead
from accounts.services import personal_data_reads_purge
from careers.models import CareerOutcome
from programs.models import Program
from students import services
from students.api.keys import api_key_create
from tests.factories import StudentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_a(university_a):
    user = user_with_role("lead_a", "university_staff", university=university_a)
    user.membership.can_certify = True
    user.membership.save()
    return user


@pytest.fixture
def lead_b(university_b):
    user = user_with_role("lead_b", "university_staff", university=university_b)
    user.membership.can_certify = True
    user.membership.save()
    return user


@pytest.fixture
def administrator(db):
    return user_with_role("admin_user", "administrator")


@pytest.fixture
def student_a(university_a):
    return StudentFactory(university=university_a)


def inserts_into_log(queries) -> int:
    return sum(1 for q in queries if q["sql"].startswith('INSERT INTO "accounts_personaldataread"'))


def test_a_student_page_view_is_one_insert_naming_who_when_which_and_from_where(client, staff_a, student_a):
    # given
    client.force_login(staff_a)
    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/students/{student_a.pk}/", REMOTE_ADDR="192.0.2.10")
    # then
    assert response.status_code == 200
    assert inserts_into_log(queries) == 1
    read = PersonalDataRead.objects.get()
    assert (read.reader_id, read.reader_name, read.reader_university_id) == (
        staff_a.pk,
        "staff_a",
        student_a.university_id,
    )
    assert (read.student_id, read.student_university_id) == (student_a.pk, student_a.university_id)
    assert (read.kind, read.address, read.path) == ("page", "192.0.2.10", f"/students/{student_a.pk}/")
    assert abs(read.at - timezone.now()) < timedelta(minutes=1)


def test_an_award_page_is_a_read_of_its_student(client, reference, staff_a, student_a):
    award = services.award_create(
        student=student_a,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        acting_user=staff_a,
    )
    client.force_login(staff_a)
    assert client.get(f"/students/awards/{award.pk}/").status_code == 200
    assert list(PersonalDataRead.objects.values_list("student_id", "kind")) == [(student_a.pk, "page")]


def test_the_list_page_records_the_students_it_showed_with_the_query_in_one_insert(client, staff_a, university_a):
    students = [StudentFactory(university=university_a, family_name="佐藤") for _ in range(3)]
    StudentFactory(university=university_a, family_name="鈴木")
    client.force_login(staff_a)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/students/?q=佐藤").status_code == 200
    assert inserts_into_log(queries) == 1
    rows = PersonalDataRead.objects.all()
    assert {r.kind for r in rows} == {"list"}
    assert {r.query for r in rows} == {"q=%E4%BD%90%E8%97%A4"}
    assert len({r.request_id for r in rows}) == 1
    assert {r.student_id for r in rows} == {s.pk for s in students}


def test_a_list_that_matched_nobody_keeps_the_query(client, staff_a, university_a):
    StudentFactory(university=university_a, family_name="佐藤")
    client.force_login(staff_a)
    client.get("/students/?q=NOBODY")
    read = PersonalDataRead.objects.get()
    assert (read.student_id, read.kind, read.query) == (None, "list", "q=NOBODY")


def test_an_export_records_every_student_it_holds(client, staff_a, university_a, university_b):
    mine = {StudentFactory(university=university_a).pk for _ in range(4)}
    StudentFactory(university=university_b)
    client.force_login(staff_a)
    assert client.get("/students/export.csv").status_code == 200
    assert set(PersonalDataRead.objects.values_list("student_id", flat=True)) == mine
    assert set(PersonalDataRead.objects.values_list("kind", flat=True)) == {"export"}


def test_the_jgrad_export_records_the_completers_it_holds(client, staff_a, university_a):
    done = StudentFactory(university=university_a, status="completed", completion_date=date(2025, 3, 31))
    StudentFactory(university=university_a)
    client.force_login(staff_a)
    assert client.get("/students/careers/jgrad.csv?fiscal_year=2024").status_code == 200
    assert list(PersonalDataRead.objects.values_list("student_id", "kind")) == [(done.pk, "export")]


def test_api_reads_name_the_key_and_the_person_who_issued_it(reference, staff_a, university_a):
    # given a key issued by staff_a, two students, an award and a career record
    key, secret = api_key_create(name="sync", scope="read", university=university_a, acting_user=staff_a)
    first, second = StudentFactory(university=university_a), StudentFactory(university=university_a)
    award = services.award_create(
        student=first,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        acting_user=staff_a,
    )
    graduate = StudentFactory(university=university_a, status="completed", completion_date=date(2024, 3, 31))
    career = CareerOutcome.objects.create(student=graduate, survey_point="completion", destination="postdoc")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    # when
    for url in [
        "/api/v1/students/",
        f"/api/v1/students/{second.pk}/",
        "/api/v1/awards/",
        f"/api/v1/awards/{award.pk}/",
        f"/api/v1/awards/{award.pk}/events/",
        "/api/v1/careers/",
        f"/api/v1/careers/{career.pk}/",
    ]:
        assert api.get(url).status_code == 200, url
    # then: one request per url, each naming what it returned
    by_path = {}
    for read in PersonalDataRead.objects.all():
        by_path.setdefault(read.path, set()).add(read.student_id)
        assert (read.kind, read.api_key_prefix, read.reader_id) == ("api", key.prefix, staff_a.pk)
    assert by_path == {
        "/api/v1/students/": {first.pk, second.pk, graduate.pk},
        f"/api/v1/students/{second.pk}/": {second.pk},
        "/api/v1/awards/": {first.pk},
        f"/api/v1/awards/{award.pk}/": {first.pk},
        f"/api/v1/awards/{award.pk}/events/": {first.pk},
        "/api/v1/careers/": {graduate.pk},
        f"/api/v1/careers/{career.pk}/": {graduate.pk},
    }
    assert PersonalDataRead.objects.values("request_id").distinct().count() == 7


def test_a_refused_read_showed_nothing_and_records_nothing(client, staff_b, student_a, ministry_viewer):
    client.force_login(staff_b)
    assert client.get(f"/students/{student_a.pk}/").status_code == 404
    client.force_login(ministry_viewer)
    assert client.get("/students/").status_code == 403
    assert not PersonalDataRead.objects.exists()


def test_the_log_cannot_be_changed_or_deleted_through_the_app_the_admin_or_sql(client, staff_a, student_a, rf):
    client.force_login(staff_a)
    client.get(f"/students/{student_a.pk}/")
    read = PersonalDataRead.objects.get()
    read.reader_name = "somebody else"
    with pytest.raises(AppendOnlyError):
        read.save()
    with pytest.raises(AppendOnlyError):
        read.delete()
    with pytest.raises(AppendOnlyError):
        PersonalDataRead.objects.filter(pk=read.pk).update(reader_name="x")
    with pytest.raises(AppendOnlyError):
        PersonalDataRead.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_personaldataread SET reader_name = 'x'")
    model_admin = site._registry[PersonalDataRead]
    request = rf.get("/admin/")
    request.user = user_with_role("root", "administrator")
    request.user.is_superuser = request.user.is_staff = True
    assert not model_admin.has_change_permission(request, read)
    assert not model_admin.has_delete_permission(request, read)
    assert not model_admin.has_add_permission(request)
    assert PersonalDataRead.objects.get().reader_name == "staff_a"


def test_reads_older_than_the_retention_are_purged_daily_by_beat(settings, client, staff_a, student_a):
    client.force_login(staff_a)
    client.get(f"/students/{student_a.pk}/")
    settings.PERSONAL_DATA_READ_RETENTION_DAYS = 30
    assert personal_data_reads_purge(now=timezone.now() + timedelta(days=29)) == 0
    assert personal_data_reads_purge(now=timezone.now() + timedelta(days=31)) == 1
    assert not PersonalDataRead.objects.exists()
    schedule = settings.CELERY_BEAT_SCHEDULE["daily-personal-data-reads-purge"]
    assert schedule["task"] == "accounts.tasks.personal_data_reads_purge_task"


def test_an_administrator_answers_who_looked_at_this_student_and_when(
    client, staff_a, staff_b, student_a, administrator, university_b
):
    # given: staff_a reads student_a, staff_b reads one of their own
    client.force_login(staff_a)
    client.get(f"/students/{student_a.pk}/")
    client.force_login(staff_b)
    client.get(f"/students/{StudentFactory(university=university_b).pk}/")
    # when
    client.force_login(administrator)
    by_student = client.get(f"/accounts/reads/students/{student_a.pk}/")
    by_person = client.get("/accounts/reads/?reader=staff_b")
    # then
    assert [r.reader_name for r in by_student.context["page"]] == ["staff_a"]
    assert [r.reader_name for r in by_person.context["page"]] == ["staff_b"]
    assert client.get(f"/accounts/reads/?student={student_a.pk}").context["page"].paginator.count == 1


def test_lead_staff_see_who_at_their_university_looked_at_their_students(
    client, staff_a, lead_a, lead_b, student_a, program_officer
):
    # given: a colleague and an administrator read student_a
    client.force_login(staff_a)
    client.get(f"/students/{student_a.pk}/")
    client.force_login(user_with_role("root", "administrator"))
    client.get(f"/students/{student_a.pk}/")
    # when the lead staff of the university look
    client.force_login(lead_a)
    page = client.get(f"/accounts/reads/students/{student_a.pk}/")
    everything = client.get("/accounts/reads/")
    # then they see their colleague's read, not the administrator's
    assert [r.reader_name for r in page.context["page"]] == ["staff_a"]
    assert [r.reader_name for r in everything.context["page"]] == ["staff_a"]
    detail = client.get(f"/students/{student_a.pk}/")
    assert b'id="reads"' in detail.content
    assert "staff_a" in detail.content.decode()
    # another university's lead staff: 404 for the student, nothing of A in their search
    client.force_login(lead_b)
    assert client.get(f"/accounts/reads/students/{student_a.pk}/").status_code == 404
    assert client.get(f"/accounts/reads/?student={student_a.pk}").status_code == 404
    assert client.get("/accounts/reads/").context["page"].paginator.count == 0
    # staff without the lead flag, officers and ministry viewers may not search
    for user in (staff_a, program_officer, user_with_role("mext", "ministry_viewer")):
        client.force_login(user)
        assert client.get("/accounts/reads/").status_code == 403
    client.force_login(staff_a)
    assert b'id="reads"' not in client.get(f"/students/{student_a.pk}/").content


def test_a_request_of_many_reads_is_one_insert_of_arrays_on_postgresql(rf, staff_a, university_a, university_b):
    """PostgreSQL: INSERT ... SELECT FROM unnest(arrays), one statement whatever the rows;
    SQLite: bulk_create's VALUES rows. The rows are the same on both."""
    from accounts.services import BATCH, personal_data_reads_record

    request = rf.get("/students/export.csv", REMOTE_ADDR="192.0.2.7")
    request.user = staff_a
    many = [(n, university_a.pk if n % 2 else university_b.pk) for n in range(1, 4501)]
    notes = [("export", many, "fiscal_year=2025"), ("list", [], "q=NOBODY"), ("page", [(9, None)], "")]
    with CaptureQueriesContext(connection) as queries:
        assert personal_data_reads_record(request=request, notes=notes) == 4502
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "accounts_personaldataread"')]
    if connection.vendor == "postgresql":
        assert len(inserts) == 1
        assert "FROM unnest(" in inserts[0]
        assert "VALUES" not in inserts[0]  # the students are in arrays, not a VALUES row each
    else:  # bulk_create: batches of at most 2,000, fewer as SQLite's parameter limit asks
        assert len(inserts) >= -(-4502 // BATCH)
        assert all("VALUES" in sql for sql in inserts)
    rows = PersonalDataRead.objects.order_by("pk")
    assert len({(r.request_id, r.at, r.reader_id, r.reader_name, r.address, r.path) for r in rows}) == 1
    first = rows[0]
    assert (first.reader_id, first.reader_name, first.reader_university_id) == (staff_a.pk, "staff_a", university_a.pk)
    assert (first.api_key_prefix, first.address, first.path) == ("", "192.0.2.7", "/students/export.csv")
    assert [(r.kind, r.query, r.student_id, r.student_university_id) for r in rows] == [
        *(("export", "fiscal_year=2025", n, u) for n, u in many),
        ("list", "q=NOBODY", None, None),
        ("page", "", 9, None),
    ]


def test_a_read_by_no_signed_in_person_keeps_empty_reader_columns(rf, student_a):
    from django.contrib.auth.models import AnonymousUser

    from accounts.services import personal_data_reads_record

    request = rf.get("/x/", REMOTE_ADDR="")
    request.user = AnonymousUser()
    personal_data_reads_record(request=request, notes=[("page", [(student_a.pk, student_a.university_id)], "")])
    read = PersonalDataRead.objects.get()
    assert (read.reader_id, read.reader_name, read.reader_university_id, read.address) == (None, "", None, None)
    assert (read.student_id, read.student_university_id) == (student_a.pk, student_a.university_id)
