"""Statistics uploads run on the students' upload machinery: with a broker the web request only
stores the file; a real worker on Redis checks it (counting its rows) and applies it."""

import pytest

from enrolment import services
from enrolment.models import EnrolmentStatistic
from students import uploads
from students.models import Field
from tests.factories import UniversityFactory, user_with_role
from tests.integration.test_upload_worker import wait_for

pytestmark = pytest.mark.integration


def statistics_file(years: range, *, bad_row: int | None = None) -> bytes:
    lines = [",".join(services.headers("ja"))]
    for year in years:
        for _code, label in Field.choices:
            entrants = -1 if len(lines) == bad_row else 28
            lines.append(f"{year},{label},30,{entrants},20,5,6,95,25,18,3")
    return ("\n".join(lines) + "\n").encode("cp932")


def test_a_thousand_statistics_rows_checked_and_applied_by_the_worker(celery_worker_on_redis):
    university = UniversityFactory()
    staff = user_with_role("stat_staff", "university_staff", university=university)
    content = statistics_file(range(2001, 2101))  # 100 years × 10 fields
    job = uploads.upload_create(
        university=university, filename="stats.csv", content=content, acting_user=staff, kind=services.UPLOAD_KIND
    )
    assert job.total_rows == 0  # the web request only stores the file and queues the check
    job = wait_for(job, {"checked", "rejected", "failed"})
    assert job.state == "checked", job.result.get("errors", [])[:3] or job.message
    assert (job.total_rows, job.processed_rows, job.result["students_created"]) == (1000, 1000, 1000)
    assert not EnrolmentStatistic.objects.exists()
    uploads.upload_apply_start(job=job, acting_user=staff)
    job = wait_for(job, {"applied", "rejected", "failed"})
    assert job.state == "applied", job.message
    assert EnrolmentStatistic.objects.filter(university=university).count() == 1000
    assert EnrolmentStatistic.history.filter(history_user=staff).count() == 1000
    # the same file again: checked, every row unchanged
    again = uploads.upload_create(
        university=university, filename="stats.csv", content=content, acting_user=staff, kind=services.UPLOAD_KIND
    )
    again = wait_for(again, {"checked", "rejected", "failed"})
    assert (again.state, again.result["students_unchanged"]) == ("checked", 1000)


def test_a_bad_row_rejects_the_statistics_file_on_the_worker(celery_worker_on_redis):
    university = UniversityFactory()
    staff = user_with_role("stat_staff_bad", "university_staff", university=university)
    job = uploads.upload_create(
        university=university,
        filename="bad.csv",
        content=statistics_file(range(2020, 2025), bad_row=17),
        acting_user=staff,
        kind=services.UPLOAD_KIND,
    )
    job = wait_for(job, {"checked", "rejected", "failed"})
    assert job.state == "rejected"
    assert [(e["row"], e["column"]["ja"]) for e in job.result["errors"]] == [(18, "入学者数")]
    assert "0以上100,000以下の整数で入力してください。" in job.result["errors"][0]["message"]["ja"]
    assert not EnrolmentStatistic.objects.exists()
