"""Issue #13: an upload's row errors read in the reader's language, not the uploader's. They were
stored as text in the language the file was checked in, so a colleague reading the same upload
in the other language read them in the wrong one. Each page shows what a check in its own
language says: the same columns and messages, word for word."""

import html
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from enrolment import services as enrolment
from programs.models import Program
from students import services
from students.imports import import_check
from students.models import UploadJob
from tests.enrolment.test_upload import csv_file as enrolment_csv
from tests.factories import StudentFactory
from tests.students.test_imports import csv_bytes

pytestmark = pytest.mark.django_db
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")

BAD_ROWS = [
    "2025D101,,山田,花子,astrology,2025-04-01,3,在籍,,0,0,SPRING,2025-04-01,2028-03-31,1800000,0,0",  # no such field
    "2025D102,,佐藤,太郎,工学系,,3,在籍,,0,0,,,,,,",  # no entry date
    "2025D103,,鈴木,一郎,工学系,2025-04-01,3,在籍,,0,0,JSPS_DC1,2025-04-01,2031-03-31,,,0",  # past DC1's term
    "2025D104,,高橋,次郎,工学系,2025-04-01,3,在籍,,0,0,NOPE,2025-04-01,2028-03-31,,,0",  # no such program
    "LOCK001,,田中,三郎,工学系,2024-04-01,3,在籍,,0,0,SPRING,2024-04-01,2027-03-31,1800000,0,0",  # year accepted
]


def shown_errors(page: str) -> list[tuple[str, str, str]]:
    """(row, column, reason) of each row of the page's error table."""
    table = page.split('<table id="upload-errors">', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<tr><td[^>]*>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)
    return [tuple(html.unescape(cell) for cell in row) for row in cells]


def checked_in(language, check) -> list[tuple[str, str, str]]:
    """What a check run in `language` says, as the page lists it."""
    with translation.override(language):
        return [(f"{e.row:,}", str(e.column), str(e.message)) for e in check().result.errors]


@pytest.fixture
def locked(reference, university_a, staff_a):
    """A student whose FY2024 SPRING year is locked (its report accepted)."""
    StudentFactory(university=university_a, student_number="LOCK001", entry_date=date(2024, 4, 1))
    spring = Program.objects.get(code="SPRING")
    services.year_lock(university_id=university_a.pk, program_id=spring.pk, fiscal_year=2024)


@pytest.mark.parametrize(("uploader", "reader"), [("ja", "en"), ("en", "ja")])
def test_a_students_upload_reads_in_the_readers_language(client, locked, university_a, staff_a, uploader, reader):
    content = csv_bytes(BAD_ROWS)
    client.force_login(staff_a)
    # given: the file sent from a page in the uploader's language
    client.cookies["django_language"] = uploader
    client.post("/students/uploads/", {"file": SimpleUploadedFile("bad.csv", content)})
    job = UploadJob.objects.get()
    assert (job.state, job.language) == ("rejected", uploader)
    # when: a colleague reads it in the other language
    client.cookies["django_language"] = reader
    page = client.get(f"/students/uploads/{job.pk}/").content.decode()
    # then: every column and reason reads as a check in the reader's language says it
    expected = checked_in(reader, lambda: import_check(university=university_a, content=content, filename="bad.csv"))
    assert {e["code"] for e in job.result["errors"]} >= {"invalid_choice", "required", "term_exceeded", "report_locked"}
    assert shown_errors(page) == expected
    assert expected != checked_in(
        uploader, lambda: import_check(university=university_a, content=content, filename="bad.csv")
    )
    if reader == "en":  # English through and through: no Japanese word in a column or a reason
        assert not [e for e in expected if JAPANESE.search(e[1] + e[2])]


@pytest.mark.parametrize(("uploader", "reader"), [("ja", "en"), ("en", "ja")])
def test_an_enrolment_upload_reads_in_the_readers_language(
    client, university_a, staff_a, program_officer, uploader, reader
):
    enrolment.enrolment_year_lock(university=university_a, fiscal_year=2024, acting_user=program_officer)
    content = enrolment_csv(
        "2023,engineering,30,10,5,1,1,90,20,10,3",  # fewer entrants than their cohort's completions
        "2023,astrology,30,28,20,5,6,95,25,18,3",  # no such field
        "2024,science,30,28,20,5,6,95,25,18,3",  # year made final
        "2025,science,30,28,20,5,6,95,10,18,3",  # completions above degrees
        "2026,science,30,2x,20,5,6,95,25,18,3",  # not a number
        "2025,engineering,30,28,20,5,6,95,25,18,3",  # more completions than its cohort's entrants
    )
    client.force_login(staff_a)
    client.cookies["django_language"] = uploader
    client.post("/enrolment/upload/", {"file": SimpleUploadedFile("stats.csv", content)})
    job = UploadJob.objects.get()
    assert (job.state, job.language) == ("rejected", uploader)
    client.cookies["django_language"] = reader
    page = client.get(f"/enrolment/upload/{job.pk}/").content.decode()
    check = lambda: enrolment.statistics_upload_check(university=university_a, content=content, filename="s.csv")  # noqa: E731
    expected = [(row.replace(",", ""), column, message) for row, column, message in checked_in(reader, check)]
    assert shown_errors(page) == expected
    assert len(expected) == 6


def test_errors_stored_before_read_as_they_were_stored(client, staff_a, university_a):
    """A job checked before errors were kept in each language: its text as the uploader read it."""
    job = UploadJob.objects.create(
        university=university_a,
        created_by=staff_a,
        filename="old.csv",
        content=b"",
        state="rejected",
        language="ja",
        result={
            "rows": 1,
            "errors": [
                {
                    "row": 2,
                    "column": "学系",
                    "message": "選択肢にない値です: x",
                    "field": "field",
                    "code": "invalid_choice",
                }
            ],
        },
    )
    client.force_login(staff_a)
    client.cookies["django_language"] = "en"
    page = client.get(f"/students/uploads/{job.pk}/").content.decode()
    assert shown_errors(page) == [("2", "学系", "選択肢にない値です: x")]


def test_a_file_refused_whole_reads_in_the_readers_language(client, reference, staff_a):
    client.force_login(staff_a)
    client.cookies["django_language"] = "ja"
    content = "学籍番号,姓\r\n2025D001,山田\r\n".encode()  # no field, no entry date
    client.post("/students/uploads/", {"file": SimpleUploadedFile("short.csv", content)})
    job = UploadJob.objects.get()
    assert job.state == "rejected"
    assert job.message == "必須の列がありません: 学系、入学日"  # as the uploader read it
    client.cookies["django_language"] = "en"
    page = client.get(f"/students/uploads/{job.pk}/").content.decode()
    reason = html.unescape(page.split('<p class="errorlist">', 1)[1].split("</p>", 1)[0])
    with translation.override("en"):
        assert reason == str(translation.gettext("必須の列がありません: {columns}")).format(columns="field, entry_date")


STALLED_PAGES = [
    ("students", "/students/uploads/{}/"),
    ("payments", "/students/uploads/{}/"),
    ("enrolment_statistics", "/enrolment/upload/{}/"),
]


@pytest.mark.parametrize(("kind", "url"), STALLED_PAGES)
@pytest.mark.parametrize(("uploader", "reader"), [("ja", "en"), ("en", "ja")])
def test_a_stalled_upload_reads_in_the_readers_language(client, staff_a, university_a, kind, url, uploader, reader):
    """The sweeper's message on a job whose worker died (students.uploads.upload_sweep) is kept in
    each language like the other upload errors: a colleague reading the job in the other language
    reads it in theirs, on the students', payments' and enrolment statistics' upload pages."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from students.uploads import STALLED

    # given: a job sent from a page in the uploader's language, its worker killed mid-apply
    job = UploadJob.objects.create(
        university=university_a,
        created_by=staff_a,
        kind=kind,
        filename="a.csv",
        content=b"",
        state="applying",
        language=uploader,
        attempt=2,
        result={"rows": 3},
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    client.force_login(staff_a)
    # when: a colleague opens it in the other language (the page sweeps)
    client.cookies["django_language"] = reader
    page = client.get(url.format(job.pk)).content.decode()
    # then: the job failed, with a retry, and says why in the reader's language
    job.refresh_from_db()
    assert (job.state, job.retry_state) == ("failed", "applying")
    reason = html.unescape(page.split('<p class="errorlist">', 1)[1].split("</p>", 1)[0])
    with translation.override(reader):
        assert reason == str(STALLED).format(seconds=settings.UPLOAD_STALE_SECONDS)
    if reader == "en":
        assert not JAPANESE.search(reason)
    with translation.override(uploader):  # the job's own message stays as the uploader read it
        assert job.message == str(STALLED).format(seconds=settings.UPLOAD_STALE_SECONDS)
    assert job.result["rows"] == 3  # what the check found is kept beside it
