"""A payroll export of 12,000 rows checked and applied by a real worker, with progress."""

import io
from datetime import date

import pytest
from django.core.management import call_command

from payments.imports import headers
from payments.models import PaymentEntry
from programs.models import Program
from students import uploads
from students.models import Award, Student
from tests.factories import UniversityFactory, user_with_role
from tests.integration.test_upload_worker import wait_for

pytestmark = pytest.mark.integration

FELLOWS = 1_000


def test_twelve_thousand_payment_rows_on_the_worker(celery_worker_on_redis):
    call_command("load_reference", stdout=io.StringIO())
    university = UniversityFactory()
    staff = user_with_role("payroll", "university_staff", university=university)
    dc1 = Program.objects.get(code="JSPS_DC1")
    students = Student.objects.bulk_create(
        Student(university=university, student_number=f"P{i:05d}", field="science", entry_date=date(2025, 4, 1))
        for i in range(FELLOWS)
    )
    Award.objects.bulk_create(
        Award(
            student=s,
            university=university,
            program=dc1,
            start_date=date(2025, 4, 1),
            end_date=date(2028, 3, 31),
            annual_living_cost=2_400_000,
        )
        for s in students
    )
    lines = [",".join(headers("ja"))]
    for i in range(FELLOWS):
        for month in [*range(4, 13), 1, 2, 3]:
            year = 2025 if month >= 4 else 2026
            lines.append(f"P{i:05d},JSPS_DC1,{year}-{month:02d},200000,0,{year}-{month:02d}-20,,")
    content = ("\n".join(lines) + "\n").encode("cp932")
    # when
    job = uploads.upload_create(
        university=university, filename="payroll.csv", content=content, acting_user=staff, kind="payments"
    )
    job = wait_for(job, {"checked", "rejected"})
    assert job.state == "checked", job.result.get("errors", [])[:3]
    assert (job.total_rows, job.result["awards_created"]) == (12_000, 12_000)
    assert not PaymentEntry.objects.exists()
    uploads.upload_apply_start(job=job, acting_user=staff)
    job = wait_for(job, {"applied", "rejected", "failed"})
    # then
    assert job.state == "applied", job.message
    assert PaymentEntry.objects.filter(university=university, is_current=True).count() == 12_000
