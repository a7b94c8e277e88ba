"""Running an upload job: check, then apply; inline for small files, on the worker for large ones."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from students.imports import ASYNC_THRESHOLD, ImportResult, UploadRejected, import_apply, import_check, read_table
from students.models import University, UploadJob


def upload_create(*, university: University, filename: str, content: bytes, acting_user: Any) -> UploadJob:
    """Store the file and start checking it; raises UploadRejected for an unreadable file."""
    rows = read_table(content, filename).count
    job = UploadJob.objects.create(
        university=university, created_by=acting_user, filename=filename[:255], content=content, total_rows=rows
    )
    if rows >= ASYNC_THRESHOLD:
        from students.tasks import upload_check_task

        transaction.on_commit(lambda: upload_check_task.delay(job.pk))
    else:
        upload_check(job_id=job.pk)
    return job


def _progress(job_id: int):
    def report(done: int, total: int) -> None:
        UploadJob.objects.filter(pk=job_id).update(processed_rows=done, total_rows=total)

    return report


def upload_check(*, job_id: int) -> UploadJob:
    job = UploadJob.objects.select_related("university").get(pk=job_id)
    try:
        plan = import_check(
            university=job.university, content=bytes(job.content), filename=job.filename, progress=_progress(job.pk)
        )
        job.result = plan.result.as_dict()
        job.state = UploadJob.State.CHECKED if plan.result.ok else UploadJob.State.REJECTED
    except UploadRejected as error:
        job.state, job.message = UploadJob.State.REJECTED, " ".join(error.messages)
    job.processed_rows = job.total_rows
    job.save(update_fields=["result", "state", "message", "processed_rows"])
    return job


def upload_apply_start(*, job: UploadJob, acting_user: Any) -> UploadJob:
    if job.state != UploadJob.State.CHECKED:
        raise ValidationError(_("この アップロードは反映できる状態ではありません。"))
    UploadJob.objects.filter(pk=job.pk).update(state=UploadJob.State.APPLYING, processed_rows=0)
    if job.total_rows >= ASYNC_THRESHOLD:
        from students.tasks import upload_apply_task

        transaction.on_commit(lambda: upload_apply_task.delay(job.pk, acting_user.pk))
        job.refresh_from_db()
        return job
    return upload_apply(job_id=job.pk, acting_user=acting_user)


def upload_apply(*, job_id: int, acting_user: Any) -> UploadJob:
    """Check again against the data as it is now, then apply all or nothing."""
    job = UploadJob.objects.select_related("university").get(pk=job_id)
    if job.state == UploadJob.State.APPLIED:  # a redelivered task: the work is already done
        return job
    plan = import_check(
        university=job.university, content=bytes(job.content), filename=job.filename, progress=_progress(job.pk)
    )
    if plan.result.ok:
        result: ImportResult = import_apply(plan=plan, acting_user=acting_user)
        job.state = UploadJob.State.APPLIED
    else:  # the data changed since the check: nothing is written, the new errors are shown
        result = plan.result
        job.state = UploadJob.State.REJECTED
    job.result = result.as_dict()
    job.processed_rows = job.total_rows
    job.save(update_fields=["result", "state", "processed_rows"])
    return job
