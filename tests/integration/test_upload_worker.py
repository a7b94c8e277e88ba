import io
import time

import pytest
from django.core.management import call_command
from django.db import OperationalError

from students import imports, uploads
from students.models import Award, Student, UploadJob
from tests.factories import UniversityFactory, user_with_role

pytestmark = pytest.mark.integration


def big_file(rows: int) -> bytes:
    lines = [",".join(imports.headers("ja"))]
    for i in range(rows):
        lines.append(
            f"B{i:06d},,山田,花子{i},engineering,2025-04-01,3,enrolled,,0,0,SPRING,2025-04-01,2028-03-31,1800000,1100000,0"
        )
    return ("\n".join(lines) + "\n").encode("cp932")


def wait_for(job: UploadJob, states: set[str], timeout: float = 240) -> UploadJob:
    deadline = time.monotonic() + timeout
    seen_progress = set()
    while time.monotonic() < deadline:
        try:
            job.refresh_from_db()
        except OperationalError:  # SQLite: readers wait out a large apply's commit; look again
            continue
        seen_progress.add(job.processed_rows)
        if job.state in states:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job stuck in {job.state} ({job.processed_rows}/{job.total_rows})")


def test_ten_thousand_rows_checked_and_applied_by_the_worker(celery_worker_on_redis):
    call_command("load_reference", stdout=io.StringIO())
    university = UniversityFactory()
    staff = user_with_role("big_staff", "university_staff", university=university)
    # when: a 10,000-row Shift_JIS file is uploaded
    job = uploads.upload_create(university=university, filename="big.csv", content=big_file(10_000), acting_user=staff)
    assert job.total_rows == 0  # with a broker the web request only stores the file and queues the check
    job = wait_for(job, {"checked", "rejected"})
    assert job.total_rows == 10_000  # counted by the worker
    assert job.state == "checked", job.result.get("errors", [])[:3]
    assert job.result["students_created"] == 10_000
    assert not Student.objects.exists()  # checking wrote nothing
    # when: applied
    uploads.upload_apply_start(job=job, acting_user=staff)
    job = wait_for(job, {"applied", "rejected", "failed"})
    # then
    assert job.state == "applied"
    assert Award.objects.filter(student__university=university).count() == 10_000
    assert Award.history.filter(history_user=staff).count() == 10_000
