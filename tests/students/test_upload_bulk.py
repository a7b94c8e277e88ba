"""Issue #14 (upload): the bulk writes behind an upload write what the services would, and the
machinery they use (COPY, long id lists as one array, bounded advisory locks) changes no result."""

from datetime import date

import pytest
from django.conf import settings
from django.db import connection, transaction

from phdsupport import lookups
from students import imports
from students.facts import LOCK_BUCKETS, facts_refresh
from students.models import Award, Student, StudentYearFact
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db
ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]

HEADER = "学籍番号,研究者番号,姓,名,学系,入学日,標準修業年限,在籍状況,修了・退学日,留学生,社会人学生,支援事業,支援開始日,支援終了日,生活費相当額（年額）,研究費（年額）,予約採用"


def upload(university, rows, user):
    content = ("\r\n".join([HEADER, *rows]) + "\r\n").encode()
    plan = imports.import_check(university=university, content=content, filename="bulk.csv")
    assert plan.result.errors == []
    return imports.import_apply(plan=plan, acting_user=user)


def test_uploaded_records_carry_their_history_and_facts(reference, university_a, staff_a):
    upload(
        university_a,
        [
            "B1,12345678,山田,花子,工学系,2025-04-01,3,在籍,,1,0,SPRING,2025-04-01,2028-03-31,1800000,1100000,1",
            "B2,,佐藤,太郎,science,2025-04-01,4,enrolled,,0,1,JSPS_DC1,2025-04-01,2028-03-31,,,0",
        ],
        staff_a,
    )
    student = Student.objects.get(university=university_a, student_number="B1")
    assert (student.erad_number, student.family_name, student.field, student.is_international, student.version) == (
        "12345678",
        "山田",
        "engineering",
        True,
        1,
    )
    assert student.created_at is not None
    assert student.updated_at is not None
    award = Award.objects.get(student=student)
    assert (award.university_id, award.status, award.is_reserved, award.annual_research_cost) == (
        university_a.pk,
        Award.Status.ACTIVE,
        True,
        1_100_000,
    )
    # Every row written has its "created" history row, naming the person, as the services' writes do.
    for model, pk in ((Student, student.pk), (Award, award.pk)):
        (record,) = model.history.filter(id=pk)
        assert (record.history_type, record.history_user, record.history_change_reason) == ("+", staff_a, "upload")
        assert record.history_api_key == ""
    assert Student.history.filter(university=university_a).count() == 2
    assert Award.history.filter(student_id__in=[student.pk]).get().annual_living_cost == 1_800_000
    assert Award.objects.get(student__student_number="B2").annual_living_cost == 2_400_000  # the rule's
    assert StudentYearFact.objects.filter(student__university=university_a, fiscal_year=2025, counts=True).count() == 2
    # New ids come after the ones the database gave before (COPY takes them from the table's sequence).
    later = StudentFactory(university=university_a)
    assert later.pk > student.pk


def test_a_long_id_list_selects_what_the_short_lists_select(reference, university_a):
    students = [StudentFactory(university=university_a) for _ in range(2 * lookups.ARRAY_FROM + 5)]
    ids = [s.pk for s in students]
    wanted = [*ids[::2], None, 10**12]  # a None and an id that exists nowhere, past the integer column's range
    assert len(wanted) >= lookups.ARRAY_FROM
    expected = set(ids[::2])
    assert set(Student.objects.filter(pk__in=wanted).values_list("pk", flat=True)) == expected
    assert set(Student.objects.exclude(pk__in=wanted).filter(university=university_a).values_list("pk", flat=True)) == (
        set(ids) - expected
    )
    assert set(Student.objects.filter(pk__in=[str(pk) for pk in ids[::2]] * 2).values_list("pk", flat=True)) == (
        expected
    )
    # Through a foreign key, with model instances or ids.
    assert Student.objects.filter(university__in=[university_a] * lookups.ARRAY_FROM).count() == len(ids)
    assert Student.objects.filter(university_id__in=[university_a.pk] * lookups.ARRAY_FROM).count() == len(ids)
    if ON_POSTGRES:
        query = str(Student.objects.filter(pk__in=ids).query)
        assert "= ANY(" in query
        assert "IN (" not in query
        assert "IN (" in str(Student.objects.filter(pk__in=ids[:3]).query)  # short lists as Django writes them


@pytest.mark.skipif(not ON_POSTGRES, reason="advisory locks are PostgreSQL's")
def test_refreshing_thousands_of_persons_holds_a_bounded_number_of_locks(reference, university_a):
    """A 100,000-row upload took one advisory lock per person in one transaction and failed with
    "out of shared memory" (the server's lock table holds about 6,400 by default)."""
    students = Student.objects.bulk_create(
        Student(university=university_a, student_number=f"L{i:05d}", field="science", entry_date=date(2025, 4, 1))
        for i in range(3 * LOCK_BUCKETS)
    )
    with transaction.atomic():
        facts_refresh(student_ids=[s.pk for s in students])
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
            held = cursor.fetchone()[0]
    assert 0 < held <= LOCK_BUCKETS
