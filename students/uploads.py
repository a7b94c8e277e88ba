"""Running an upload job: check, then apply; on the worker when a broker is configured, inline otherwise.

With a broker the web request only stores the file and queues the check: the worker reads it
(the row count comes from there). A run claims its job (attempt + 1) and beats on the job
(heartbeat_at) on every progress report and, from a thread, at least every
UPLOAD_HEARTBEAT_SECONDS. A run silent for UPLOAD_STALE_SECONDS is dead (its process was
killed): the sweeper marks the job failed with a retry offered, and a redelivered task takes
it over. Only the run holding the current attempt may finish the job, and the apply finishes
it inside the transaction that writes the rows, so an upload lands exactly once.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from phdsupport.validation import messages_text
from programs.labels import in_each_language
from students.imports import (
    ImportResult,
    UploadRejected,
    check_upload_size,
    import_apply,
    import_check,
    plan_is_current,
    read_table,
)
from students.models import University, UploadJob

logger = logging.getLogger(__name__)
RUNNING = (UploadJob.State.CHECKING, UploadJob.State.APPLYING)

STALLED = _(
    "処理が{seconds}秒以上応答しなかったため中断しました（処理していたプロセスが停止したとみられます）。"
    "何も書き込んでいません。「再実行」でやり直せます。"
)
CANNOT_RETRY = _("このアップロードは再実行できません。")


@dataclass(frozen=True)
class UploadKind:
    """How to check and apply one kind of file. `check(university=, content=, filename=, progress=)`
    returns a plan whose `.result` is an ImportResult and writes nothing; `apply(plan=, acting_user=)`
    writes the plan all or nothing (raising UploadRejected when the data moved since the check)."""

    check: Callable[..., Any]
    apply: Callable[..., ImportResult]
    # Its jobs are shown and driven on the workspace's upload pages (students:upload); a kind with
    # pages of its own (the enrolment statistics) keeps them apart.
    workspace: bool = False
    # `current(plan)`, inside the apply's transaction: whether what the plan's check read is
    # unchanged, read again locked. A kind that has it gets, in its check, `checked=` (the
    # preview's plan.fingerprint: the rules are skipped where nothing they read has changed) and,
    # when the plan is no longer current, `lock=True` (checked again inside the transaction).
    current: Callable[[Any], bool] | None = None


def _students_check(**kwargs: Any) -> Any:
    return import_check(**kwargs)  # looked up when run, so tests may replace import_check


def _students_apply(**kwargs: Any) -> ImportResult:
    return import_apply(**kwargs)


def _students_current(plan: Any) -> bool:
    return plan_is_current(plan)


STUDENTS = "students"
KINDS: dict[str, UploadKind] = {
    STUDENTS: UploadKind(check=_students_check, apply=_students_apply, workspace=True, current=_students_current)
}


def register_upload_kind(
    name: str, *, check: Callable[..., Any], apply: Callable[..., ImportResult], workspace: bool = False
) -> None:
    """Let an app above students run its uploads on this machinery (worker, progress, retry)."""
    KINDS[name] = UploadKind(check=check, apply=apply, workspace=workspace)


def workspace_kinds() -> list[str]:
    """The kinds whose jobs the workspace's upload pages list and drive."""
    return [name for name, kind in KINDS.items() if kind.workspace]


class Busy(Exception):
    """Another run of this job still beats; look again in `wait` seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__(wait)
        self.wait = wait


class _Superseded(Exception):
    """This run lost the job (taken over or marked failed); what it wrote is rolled back."""


class _Moved(Exception):
    """The check inside the apply's transaction found errors: the data moved since the preview."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__()
        self.result = result


def _queued() -> bool:
    """A broker is configured (tasks are not run eagerly): the worker does the reading."""
    from phdsupport.celery import app

    return not app.conf.task_always_eager


def upload_create(
    *, university: University, filename: str, content: bytes, acting_user: Any, kind: str = STUDENTS
) -> UploadJob:
    """Store the file and start checking it; raises UploadRejected for a file refused at once.

    Queued, only the size is checked here and a file the worker cannot read becomes a rejected
    job; inline, an unreadable file is refused before a job is kept (as the form shows it).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown upload kind {kind!r}")
    check_upload_size(content)
    queued = _queued()
    rows = 0 if queued else read_table(content, filename).count
    job = UploadJob.objects.create(
        university=university,
        kind=kind,
        created_by=acting_user,
        filename=filename[:255],
        content=_packed(content),
        total_rows=rows,
        language=translation.get_language() or "",
    )
    if queued:
        from students.tasks import upload_check_task

        transaction.on_commit(lambda: upload_check_task.delay(job.pk))
        return job
    return upload_check(job_id=job.pk)


# --- Claims, heartbeats, finishing ---------------------------------------------------------


def _stale_before() -> Any:
    return timezone.now() - timedelta(seconds=settings.UPLOAD_STALE_SECONDS)


def _claim(job_id: int, state: str) -> UploadJob | None:
    """Take the job for this run if it is in `state` and nobody runs it (or its run went silent).

    None: the job has moved on (finished, failed, retried), so there is nothing to do. Raises Busy
    while another run still beats (a task redelivered while the first delivery still runs).
    """
    job = UploadJob.objects.select_related("university").defer("content").filter(pk=job_id).first()
    if job is None or job.state != state:
        return None
    now = timezone.now()
    if job.heartbeat_at is not None and job.heartbeat_at >= _stale_before():
        stale_in = (job.heartbeat_at - _stale_before()).total_seconds()
        raise Busy(wait=max(1.0, stale_in + 1))
    # Compare and swap on the attempt: of two runs claiming together, one wins.
    claimed = (
        UploadJob.objects.filter(pk=job_id, state=state, attempt=job.attempt)
        .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=_stale_before()))
        .update(attempt=job.attempt + 1, heartbeat_at=now, processed_rows=0)
    )
    if not claimed:
        return _claim(job_id, state)
    if job.heartbeat_at is not None:  # a run of this state began before and went silent
        logger.warning("upload job %s: attempt %s takes over %s", job_id, job.attempt + 1, state)
    job.attempt, job.heartbeat_at, job.processed_rows = job.attempt + 1, now, 0
    return job


def _held(job: UploadJob):
    return UploadJob.objects.filter(pk=job.pk, attempt=job.attempt, state=job.state)


def _progress(job: UploadJob) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        _held(job).update(processed_rows=done, total_rows=total, heartbeat_at=timezone.now())

    return report


class _Beat:
    def __init__(self) -> None:
        self.stop = threading.Event()
        self.writing = threading.Event()
        self.gate = threading.Lock()  # a beat in flight finishes before the writes begin

    @contextmanager
    def paused_on_sqlite(self) -> Iterator[None]:
        """SQLite has one writer: a beat waiting on the apply's transaction would hold a read lock
        that the commit waits for (and lock every reader out meanwhile), so it pauses instead."""
        if connection.vendor == "sqlite":
            with self.gate:
                self.writing.set()
        try:
            yield
        finally:
            self.writing.clear()


@contextmanager
def _beating(job: UploadJob) -> Iterator[_Beat]:
    """Beat from a thread while the run works (a long statement or the apply's writes report nothing)."""
    state = _Beat()
    stop = state.stop

    def beat() -> None:
        try:
            while not stop.wait(settings.UPLOAD_HEARTBEAT_SECONDS):
                with state.gate:
                    if state.writing.is_set():
                        continue
                    try:
                        _held(job).update(heartbeat_at=timezone.now())
                    except DatabaseError as error:  # SQLite: another process writes; beat again later
                        logger.info("upload job %s: heartbeat skipped (%s)", job.pk, error)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"upload-{job.pk}-heartbeat", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join(timeout=30)


def _finish(job: UploadJob, **fields: Any) -> bool:
    """Record the run's outcome if the run still holds the job."""
    return bool(_held(job).update(heartbeat_at=timezone.now(), processed_rows=F("total_rows"), **fields))


def _refused_whole(error: UploadRejected) -> dict[str, Any]:
    """A file refused as a whole: its reason as the uploader read it (`message`), and in every
    language (`result`), so each reader's page says it in theirs."""
    return {"message": " ".join(error.messages), "result": {"message": in_each_language([messages_text(error)])[0]}}


def _fail(job: UploadJob, error: Exception) -> None:
    _held(job).update(state=UploadJob.State.FAILED, retry_state=job.state, message=f"{type(error).__name__}: {error}")


def _in_language_of(job: UploadJob) -> translation.override:
    """The job's messages in its uploader's language, wherever it runs (a worker has no request)."""
    return translation.override(job.language or settings.LANGUAGE_CODE)


def _fresh(job_id: int) -> UploadJob:
    return UploadJob.objects.select_related("university").defer("content").get(pk=job_id)


# The stored file is kept compressed (a CSV shrinks about eightfold). Sent and read whole, it
# passes through the database driver's buffers, which keep their largest size for the life of
# the connection: a 100,000-row CSV (11 MB, twice that as hex text) held them at 50 MB more
# beside its plan. A file stored before this has no marker and is read as it is.
PACKED = b"\x00zlib\x00"  # no CSV or XLSX begins with a NUL byte


def _packed(content: bytes) -> bytes:
    return PACKED + zlib.compress(content, 1)


def _content(job: UploadJob) -> bytes:
    """The stored file, read once for the run: the job objects passed around leave it out, so a
    100,000-row file is not held several times over beside its plan."""
    stored = UploadJob.objects.filter(pk=job.pk).values_list("content", flat=True).get()
    stored = stored if isinstance(stored, bytes) else bytes(stored)
    return zlib.decompress(stored[len(PACKED) :]) if stored.startswith(PACKED) else stored


# --- Check and apply ----------------------------------------------------------------------


def upload_check(*, job_id: int) -> UploadJob:
    """Read and check the stored file (nothing written but the job); a no-op once the check is done."""
    job = _claim(job_id, UploadJob.State.CHECKING)
    if job is None:
        return _fresh(job_id)
    with _beating(job), _in_language_of(job):
        try:
            plan = KINDS[job.kind].check(
                university=job.university, content=_content(job), filename=job.filename, progress=_progress(job)
            )
        except UploadRejected as error:
            _finish(job, state=UploadJob.State.REJECTED, **_refused_whole(error))
        except Exception as error:  # the page must not wait forever on a job that died
            _fail(job, error)
            raise
        else:
            state = UploadJob.State.CHECKED if plan.result.ok else UploadJob.State.REJECTED
            fingerprint = getattr(plan, "fingerprint", "")
            _finish(job, state=state, result=plan.result.as_dict(), check_fingerprint=fingerprint)
    return _fresh(job_id)


def upload_apply_start(*, job: UploadJob, acting_user: Any) -> UploadJob:
    started = UploadJob.objects.filter(pk=job.pk, state=UploadJob.State.CHECKED).update(
        state=UploadJob.State.APPLYING, processed_rows=0, heartbeat_at=None, message=""
    )
    if not started:  # also a second click while the first apply runs
        raise ValidationError(str(_("この アップロードは反映できる状態ではありません。")))
    return _run_apply(job, acting_user)


def _run_apply(job: UploadJob, acting_user: Any) -> UploadJob:
    if _queued():
        from students.tasks import upload_apply_task

        user_id = getattr(acting_user, "pk", None)
        transaction.on_commit(lambda: upload_apply_task.delay(job.pk, user_id))
        job.refresh_from_db()
        return job
    return upload_apply(job_id=job.pk, acting_user=acting_user)


def upload_apply(*, job_id: int, acting_user: Any) -> UploadJob:
    """Check again against the data as it is now, then apply all or nothing, exactly once.

    A kind that `checks_in_apply` checks in the transaction that writes, with what it reads
    locked, and its rules run again only where what they read moved since the preview (the
    check's fingerprint); other kinds check first, then write.

    A redelivered task finds the job applied (or failed, or retried) and does nothing; one that
    finds the job applying with a silent run takes it over: the dead run wrote nothing, since
    its transaction never committed.
    """
    job = _claim(job_id, UploadJob.State.APPLYING)
    if job is None:
        return _fresh(job_id)
    with _beating(job) as beat, _in_language_of(job):
        try:
            kind = KINDS[job.kind]
            if kind.current is not None:
                _check_and_apply(job, kind, beat, acting_user)
                return _fresh(job_id)
            plan = kind.check(
                university=job.university, content=_content(job), filename=job.filename, progress=_progress(job)
            )
            if plan.result.ok:
                with beat.paused_on_sqlite(), transaction.atomic():
                    result: ImportResult = kind.apply(plan=plan, acting_user=acting_user)
                    # In the transaction that writes: the rows and "applied" commit together or not at all.
                    if not _finish(job, state=UploadJob.State.APPLIED, result=result.as_dict()):
                        raise _Superseded
            else:  # the data changed since the check: nothing is written, the new errors are shown
                _finish(job, state=UploadJob.State.REJECTED, result=plan.result.as_dict())
        except _Superseded:
            logger.warning("upload job %s: attempt %s lost the job; rolled back", job.pk, job.attempt)
        except UploadRejected as error:
            _finish(job, state=UploadJob.State.REJECTED, **_refused_whole(error))
        except Exception as error:  # nothing was written (one transaction); say so on the page
            _fail(job, error)
            raise
    return _fresh(job_id)


def _check_and_apply(job: UploadJob, kind: UploadKind, beat: _Beat, acting_user: Any) -> None:
    """Check (the rules only where what they read moved since the preview), then, in the
    transaction that writes, make sure with the rows locked that nothing the check read has
    moved since; if something has, check again there, locked, before writing. The job's row is
    not written inside the transaction before its end, so the heartbeat and the pages never
    wait for it."""
    plan = kind.check(
        university=job.university,
        content=_content(job),
        filename=job.filename,
        progress=_progress(job),
        checked=job.check_fingerprint,
    )
    try:
        if not plan.result.ok:  # the data changed since the preview: nothing is written
            raise _Moved(plan.result)
        with beat.paused_on_sqlite(), transaction.atomic():
            if not kind.current(plan):  # moved in the meantime: checked again, reading locked
                checked, plan = plan.fingerprint, None
                plan = kind.check(
                    university=job.university,
                    content=_content(job),
                    filename=job.filename,
                    progress=None,
                    checked=checked,
                    lock=True,
                )
                if not plan.result.ok:
                    raise _Moved(plan.result)
            result: ImportResult = kind.apply(plan=plan, acting_user=acting_user)
            if not _finish(job, state=UploadJob.State.APPLIED, result=result.as_dict()):
                raise _Superseded
    except _Moved as moved:  # the new errors are shown
        _finish(job, state=UploadJob.State.REJECTED, result=moved.result.as_dict())


# --- Stuck jobs: the sweeper and retry ------------------------------------------------------


def upload_sweep() -> int:
    """Mark failed every running job whose run went silent (its process was killed); retry offered.

    Its reason is kept as the other upload errors are: as the uploader read it (`message`) and in
    every language (`result["message"]`, beside what the check found), so each reader's page says
    it in theirs. A job is failed only if it is still running and silent when written."""
    stale = _stale_before()
    reads = in_each_language([format_lazy(STALLED, seconds=settings.UPLOAD_STALE_SECONDS)])[0]
    swept = 0
    for state in RUNNING:
        silent = UploadJob.objects.filter(state=state, heartbeat_at__lt=stale)
        for pk, language, result in silent.values_list("pk", "language", "result"):
            kept = result if isinstance(result, dict) else {}
            swept += silent.filter(pk=pk).update(
                state=UploadJob.State.FAILED,
                retry_state=state,
                message=reads.get(language) or reads[settings.LANGUAGE_CODE],
                result={**kept, "message": reads},
            )
    if swept:
        logger.warning("upload sweep: %s silent job(s) marked failed", swept)
    return swept


def upload_retry(*, job: UploadJob, acting_user: Any) -> UploadJob:
    """Run a failed job's check or apply again (the apply checks again first, as always)."""
    state = job.retry_state
    # The reason it failed goes with it, in every language too (a later failure says its own).
    result = {key: value for key, value in (job.result or {}).items() if key != "message"}
    moved = (
        UploadJob.objects.filter(pk=job.pk, state=UploadJob.State.FAILED, retry_state__in=RUNNING).update(
            state=state, retry_state="", heartbeat_at=None, processed_rows=0, message="", result=result
        )
        if state
        else 0
    )
    if not moved:
        raise ValidationError(str(CANNOT_RETRY))
    if state == UploadJob.State.APPLYING:
        return _run_apply(job, acting_user)
    if _queued():
        from students.tasks import upload_check_task

        transaction.on_commit(lambda: upload_check_task.delay(job.pk))
        return _fresh(job.pk)
    return upload_check(job_id=job.pk)
