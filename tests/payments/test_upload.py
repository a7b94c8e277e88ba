"""Upload of payments: the students' upload jobs, the payments' columns and checks."""

import io
from datetime import date

import pytest
from openpyxl import Workbook

from payments.imports import headers
from payments.models import PaymentEntry
from students import services, uploads
from students.models import UploadJob

pytestmark = pytest.mark.django_db


def csv_file(rows, encoding="utf-8-sig", language="ja"):
    lines = [",".join(headers(language))] + [",".join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def year_rows(number, program="JSPS_DC1", amount=200000, months=range(4, 10)):
    return [[number, program, f"2025-{m:02d}", amount, 0, f"2025/{m}/20", "", ""] for m in months]


def upload(university, user, content, filename="payroll.csv"):
    return uploads.upload_create(
        university=university, filename=filename, content=content, acting_user=user, kind="payments"
    )


def apply(job, user):
    return uploads.upload_apply_start(job=job, acting_user=user)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_a_payroll_export_is_checked_then_applied(dc_award, staff_a, university_a, encoding):
    number = dc_award.student.student_number
    # when a file of six months is uploaded: checked, nothing written
    job = upload(university_a, staff_a, csv_file(year_rows(number), encoding=encoding))
    assert (job.state, job.result["awards_created"], job.kind) == ("checked", 6, "payments")
    assert not PaymentEntry.objects.exists()
    # when applied
    job = apply(job, staff_a)
    assert job.state == "applied"
    assert PaymentEntry.objects.filter(award=dc_award, is_current=True, source="upload").count() == 6


def test_the_same_file_twice_changes_nothing_and_a_corrected_file_updates_in_place(dc_award, staff_a, university_a):
    number = dc_award.student.student_number
    apply(upload(university_a, staff_a, csv_file(year_rows(number))), staff_a)
    # the same file again: nothing to write
    again = upload(university_a, staff_a, csv_file(year_rows(number)))
    assert (again.result["awards_created"], again.result["awards_updated"], again.result["awards_unchanged"]) == (
        0,
        0,
        6,
    )
    apply(again, staff_a)
    assert PaymentEntry.objects.count() == 6
    # a corrected file: September was ¥150,000
    rows = year_rows(number)
    rows[-1][3] = 150000
    corrected = apply(upload(university_a, staff_a, csv_file(rows), filename="payroll-v2.csv"), staff_a)
    assert corrected.result["awards_updated"] == 1
    september = PaymentEntry.objects.filter(award=dc_award, month=date(2025, 9, 1)).order_by("pk")
    assert [(e.living_cost, e.is_current) for e in september] == [(200000, False), (150000, True)]
    assert "payroll-v2.csv" in september.last().reason


def test_an_xlsx_export_is_read(dc_award, staff_a, university_a):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers("en"))
    sheet.append([dc_award.student.student_number, "JSPS_DC1", date(2025, 4, 1), 200000, 0, date(2025, 4, 20)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = apply(upload(university_a, staff_a, buffer.getvalue(), filename="payroll.xlsx"), staff_a)
    assert job.state == "applied"
    assert PaymentEntry.objects.get().month == date(2025, 4, 1)


def test_one_bad_row_writes_nothing_and_every_error_is_listed(dc_award, staff_a, university_a):
    number = dc_award.student.student_number
    rows = year_rows(number)
    rows[1][3] = "abc"  # not a number
    rows[2][0] = "NOBODY"  # no such student
    rows[3][2] = "2032-04"  # far from the award
    job = upload(university_a, staff_a, csv_file(rows))
    assert job.state == "rejected"
    assert [(e["row"], e["field"]) for e in job.result["errors"]] == [
        (3, "living_cost"),
        (4, "program"),
        (5, "month"),
    ]
    assert not PaymentEntry.objects.exists()


def test_a_locked_year_refuses_the_file(dc_award, staff_a, university_a):
    services.year_lock(university_id=university_a.pk, program_id=dc_award.program_id, fiscal_year=2025)
    job = upload(university_a, staff_a, csv_file(year_rows(dc_award.student.student_number)))
    assert job.state == "rejected"
    assert {e["code"] for e in job.result["errors"]} == {"report_locked"}


def test_another_universitys_students_are_not_found(dc_award, staff_b, university_b):
    job = upload(university_b, staff_b, csv_file(year_rows(dc_award.student.student_number)))
    assert job.state == "rejected"
    assert UploadJob.objects.get(pk=job.pk).university == university_b
    assert not PaymentEntry.objects.exists()


def test_the_upload_page_hands_the_file_to_an_upload_job(client, dc_award, staff_a):
    client.force_login(staff_a)
    content = csv_file(year_rows(dc_award.student.student_number))
    response = client.post("/students/payments/upload/", {"file": io.BytesIO(content)}, format="multipart")
    job = UploadJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/students/uploads/{job.pk}/"
    assert "支給実績（月）" in client.get(response["Location"]).content.decode()
    assert client.get("/students/payments/template.csv").status_code == 200


def test_months_are_read_however_the_file_writes_them_and_each_bad_month_is_reported(dc_award, staff_a, university_a):
    # given one file writing its months three ways, and two rows with the same unreadable month
    number = dc_award.student.student_number
    rows = year_rows(number, months=range(4, 7))
    rows[1][2], rows[2][2] = "2025/5", "2025年6月"
    bad = year_rows(number, months=[7, 8])
    bad[0][2] = bad[1][2] = "7月"
    # when the months are read once per file: the same unreadable cell is refused on every row
    job = upload(university_a, staff_a, csv_file(rows + bad))
    assert [(e["row"], e["field"]) for e in job.result["errors"]] == [(5, "month"), (6, "month")]
    # and the readable ones are the months they say
    job = apply(upload(university_a, staff_a, csv_file(rows)), staff_a)
    assert sorted(PaymentEntry.objects.values_list("month", flat=True)) == [date(2025, m, 1) for m in (4, 5, 6)]


def test_a_large_upload_written_in_bulk_is_idempotent_and_corrects_in_place(
    dc_award, staff_a, university_a, monkeypatch
):
    """The bulk write path (COPY on PostgreSQL, as a file over WRITE_BATCH rows takes it; here the
    batch is made small so a year of one award takes it)."""
    from payments import services as payment_services
    from phdsupport import bulk

    monkeypatch.setattr(payment_services, "WRITE_BATCH", 4)
    monkeypatch.setattr(payment_services, "COPY_BATCH", 5)
    copied = []
    create = bulk.create
    monkeypatch.setattr(bulk, "create", lambda model, rows: copied.append(len(rows)) or create(model, rows))
    number = dc_award.student.student_number
    rows = year_rows(number, months=range(4, 13))
    # when a year is uploaded
    first = apply(upload(university_a, staff_a, csv_file(rows)), staff_a)
    assert (first.state, first.result["awards_created"]) == ("applied", 9)
    assert copied == ([5, 4] if bulk.copies() else [])  # COPY, in batches, on PostgreSQL only
    entries = PaymentEntry.objects.filter(award=dc_award)
    assert entries.filter(is_current=True, source="upload", created_by=staff_a, university=university_a).count() == 9
    assert entries.get(month=date(2025, 4, 1)).created_at is not None
    # the same file twice changes nothing
    again = apply(upload(university_a, staff_a, csv_file(rows)), staff_a)
    assert (again.result["awards_created"], again.result["awards_updated"], again.result["awards_unchanged"]) == (
        0,
        0,
        9,
    )
    assert entries.count() == 9
    # a corrected file: every month from August was ¥150,000; the old entries step down, kept
    for row in rows[4:]:
        row[3] = 150000
    corrected = apply(upload(university_a, staff_a, csv_file(rows), filename="payroll-v2.csv"), staff_a)
    assert (corrected.result["awards_created"], corrected.result["awards_updated"]) == (0, 5)
    assert entries.count() == 14
    august = entries.filter(month=date(2025, 8, 1)).order_by("pk")
    assert [(e.living_cost, e.is_current) for e in august] == [(200000, False), (150000, True)]
    assert "payroll-v2.csv" in august.last().reason
    assert entries.filter(is_current=True).count() == 9


@pytest.mark.parametrize(("uploader", "reader"), [("ja", "en"), ("en", "ja")])
def test_a_payroll_uploads_errors_read_in_the_readers_language(
    client, dc_award, staff_a, university_a, uploader, reader
):
    """Issue #13: the row errors of an upload checked in one language read in the other on a
    colleague's page, as a check in that language says them."""
    from django.utils import translation

    from payments.imports import payments_upload_check
    from tests.students.test_upload_language import checked_in, shown_errors

    services.year_lock(university_id=university_a.pk, program_id=dc_award.program_id, fiscal_year=2025)
    number = dc_award.student.student_number
    rows = year_rows(number)
    rows[1][3] = "abc"  # not a number
    rows[2][0] = "NOBODY"  # no such student
    rows[3][2] = "2032-04"  # far from the award
    content = csv_file(rows)
    with translation.override(uploader):
        job = upload(university_a, staff_a, content)
    assert (job.state, job.language) == ("rejected", uploader)
    client.force_login(staff_a)
    client.cookies["django_language"] = reader
    page = client.get(f"/students/uploads/{job.pk}/").content.decode()
    check = lambda: payments_upload_check(university=university_a, content=content, filename="payroll.csv")  # noqa: E731
    assert shown_errors(page) == checked_in(reader, check)
    assert checked_in(reader, check) != checked_in(uploader, check)


def test_a_year_locked_between_the_check_and_the_apply_refuses_the_file(dc_award, staff_a, university_a):
    # The file was checked with FY2025 open; the officer accepts the FY2025 report before it is
    # written. Before: the apply compared only the ledger's entries and wrote into the accepted year.
    from django.core.exceptions import ValidationError

    from payments.imports import payments_upload_apply, payments_upload_check

    content = csv_file(year_rows(dc_award.student.student_number))
    plan = payments_upload_check(university=university_a, content=content, filename="payroll.csv")
    assert plan.result.ok
    services.year_lock(university_id=university_a.pk, program_id=dc_award.program_id, fiscal_year=2025)
    with pytest.raises(ValidationError):
        payments_upload_apply(plan=plan, acting_user=staff_a)
    assert not PaymentEntry.objects.exists()
