"""Stuck upload jobs: heartbeat, sweeper, retry, takeover, exactly-once apply (issue #12, item 5)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from students import uploads
from students.models import Award, Student, UploadJob
from students.tasks import upload_sweep_task
from tests.students.test_imports import GOOD_ROWS, csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def checked(reference, university_a, staff_a):
    job = uploads.upload_create(
        university=university_a, filename="a.csv", content=csv_bytes(GOOD_ROWS), acting_user=staff_a
    )
    assert job.state == "checked"
    return job


def killed_mid_apply(job, seconds_ago=3600):
    """What a worker killed during the apply leaves: applying, claimed, a heartbeat that stopped."""
    UploadJob.objects.filter(pk=job.pk).update(
        state="applying", attempt=job.attempt + 1, heartbeat_at=timezone.now() - timedelta(seconds=seconds_ago)
    )
    job.refresh_from_db()
    return job


def test_a_run_beats_and_finishes_with_its_attempt(checked, staff_a):
    assert checked.attempt == 1  # the check claimed it
    assert checked.heartbeat_at is not None
    job = uploads.upload_apply_start(job=checked, acting_user=staff_a)
    assert job.state == "applied"
    assert job.attempt == 2
    assert job.heartbeat_at >= checked.heartbeat_at


def test_the_heartbeat_thread_beats_while_the_run_works(checked, settings, monkeypatch):
    import threading

    settings.UPLOAD_HEARTBEAT_SECONDS = 0.05
    beats = []
    real_held = uploads._held

    def held(job):
        if threading.current_thread().name.endswith("-heartbeat"):
            beats.append(job.pk)
        return real_held(job)

    monkeypatch.setattr(uploads, "_held", held)
    with uploads._beating(checked):
        threading.Event().wait(0.5)
    assert beats  # beat at least once in 0.5 s


def test_the_sweeper_fails_a_silent_job_and_offers_a_retry(checked, settings):
    job = killed_mid_apply(checked)
    fresh = UploadJob.objects.create(
        university=job.university, filename="b.csv", content=b"", state="checking", heartbeat_at=timezone.now()
    )
    queued = UploadJob.objects.create(university=job.university, filename="c.csv", content=b"", state="checking")
    assert upload_sweep_task() == 1
    job.refresh_from_db()
    assert job.state == "failed"
    assert job.retry_state == "applying"
    assert job.can_retry
    assert "何も書き込んでいません" in job.message
    assert UploadJob.objects.get(pk=fresh.pk).state == "checking"  # still beating
    assert UploadJob.objects.get(pk=queued.pk).state == "checking"  # waiting for a worker, not stuck


def test_viewing_the_job_page_sweeps_and_the_retry_button_applies_it_once(client, checked, staff_a):
    job = killed_mid_apply(checked)
    client.force_login(staff_a)
    page = client.get(f"/students/uploads/{job.pk}/").content.decode()
    assert "反映を再実行する" in page
    assert "何も書き込んでいません" in page
    response = client.post(f"/students/uploads/{job.pk}/retry/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "applied"
    assert Award.objects.count() == 3
    # a second retry is refused: the job is applied
    client.post(f"/students/uploads/{job.pk}/retry/")
    assert Award.objects.count() == 3


def test_a_failed_check_is_checked_again_on_retry(checked, staff_a):
    UploadJob.objects.filter(pk=checked.pk).update(state="failed", retry_state="checking", result={})
    checked.refresh_from_db()
    job = uploads.upload_retry(job=checked, acting_user=staff_a)
    assert job.state == "checked"
    assert job.result["awards_created"] == 3
    assert not Award.objects.exists()


def test_retry_is_refused_for_a_job_that_did_not_fail(checked, staff_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        uploads.upload_retry(job=checked, acting_user=staff_a)


def test_a_redelivered_apply_does_nothing_once_applied(checked, staff_a):
    uploads.upload_apply_start(job=checked, acting_user=staff_a)
    job = uploads.upload_apply(job_id=checked.pk, acting_user=staff_a)  # the same task again
    assert job.state == "applied"
    assert Award.objects.count() == 3
    assert Award.history.count() == 3


def test_a_redelivered_apply_takes_over_a_silent_run(checked, staff_a):
    job = killed_mid_apply(checked)
    job = uploads.upload_apply(job_id=job.pk, acting_user=staff_a)
    assert job.state == "applied"
    assert job.attempt == 3
    assert Student.objects.count() == 3
    assert Award.objects.count() == 3


def test_a_redelivered_apply_waits_while_the_first_run_still_beats(checked, staff_a, settings):
    job = killed_mid_apply(checked, seconds_ago=1)
    with pytest.raises(uploads.Busy) as busy:
        uploads.upload_apply(job_id=job.pk, acting_user=staff_a)
    assert 0 < busy.value.wait <= settings.UPLOAD_STALE_SECONDS
    assert not Award.objects.exists()


def test_a_run_that_lost_the_job_rolls_its_writes_back(checked, staff_a, monkeypatch):
    """Taken over (or swept) while it wrote: its rows and "applied" never commit."""
    real_apply = uploads.import_apply

    def apply_then_lose_the_job(*, plan, acting_user):
        result = real_apply(plan=plan, acting_user=acting_user)
        UploadJob.objects.filter(pk=checked.pk).update(attempt=99)  # another run claimed it meanwhile
        return result

    monkeypatch.setattr(uploads, "import_apply", apply_then_lose_the_job)
    job = uploads.upload_apply_start(job=checked, acting_user=staff_a)
    assert job.state == "applying"
    assert not Student.objects.exists()
    assert not Award.objects.exists()


def test_an_error_during_the_apply_fails_the_job_with_a_retry(checked, staff_a, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(uploads, "import_apply", broken)
    with pytest.raises(RuntimeError):
        uploads.upload_apply_start(job=checked, acting_user=staff_a)
    checked.refresh_from_db()
    assert checked.state == "failed"
    assert checked.retry_state == "applying"
    assert "disk full" in checked.message
    monkeypatch.undo()
    assert uploads.upload_retry(job=checked, acting_user=staff_a).state == "applied"
    assert Award.objects.count() == 3


def test_apply_start_twice_applies_once(checked, staff_a):
    from django.core.exceptions import ValidationError

    uploads.upload_apply_start(job=checked, acting_user=staff_a)
    with pytest.raises(ValidationError):
        uploads.upload_apply_start(job=checked, acting_user=staff_a)
    assert Award.objects.count() == 3


BAD_FIELD = "2025D009,,山田,花子,astrology,2025-04-01,3,在籍,,0,0,SPRING,2025-04-01,2028-03-31,1800000,1100000,0"


def test_a_job_is_checked_in_its_uploaders_language_wherever_it_runs(reference, university_a, staff_a):
    """A worker has no request to take a language from: it checked every file in Japanese, so an
    English page showed Japanese row errors. The job keeps the uploader's language and runs in it."""
    from django.utils import translation

    with translation.override("en"):
        job = uploads.upload_create(
            university=university_a, filename="a.csv", content=csv_bytes([BAD_FIELD]), acting_user=staff_a
        )
    assert job.language == "en"
    stored = job.result["errors"]
    # The same job checked again by a worker whose own language is Japanese.
    UploadJob.objects.filter(pk=job.pk).update(state="checking", result={}, heartbeat_at=None)
    with translation.override("ja"):
        job = uploads.upload_check(job_id=job.pk)
    assert job.state == "rejected"
    assert job.result["errors"] == stored
    english = [e["message"]["en"] for e in stored]  # kept in every language; this is the English
    assert english
    assert not any(_has_japanese(m) for m in english), english


def test_the_sweeper_says_so_in_each_jobs_language(checked):
    UploadJob.objects.filter(pk=checked.pk).update(language="en")
    killed_mid_apply(checked)
    assert upload_sweep_task() == 1
    checked.refresh_from_db()
    assert "Nothing was written" in checked.message
    assert not _has_japanese(checked.message)


def _has_japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


def test_a_retry_that_fails_again_says_its_own_reason_not_the_sweepers(client, checked, staff_a, monkeypatch):
    """The sweeper's reason is kept in each language (result["message"]); a retry clears it with the
    message, so a retry that fails in turn shows why it failed, not that the first run stalled."""
    job = killed_mid_apply(checked)
    assert upload_sweep_task() == 1
    job.refresh_from_db()
    assert "message" in job.result

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(uploads, "import_check", broken)
    with pytest.raises(RuntimeError):
        uploads.upload_retry(job=job, acting_user=staff_a)
    job.refresh_from_db()
    assert (job.state, job.message) == ("failed", "RuntimeError: disk full")
    assert "message" not in job.result
    client.force_login(staff_a)
    page = client.get(f"/students/uploads/{job.pk}/").content.decode()
    assert "RuntimeError: disk full" in page
    assert "何も書き込んでいません。「再実行」" not in page
