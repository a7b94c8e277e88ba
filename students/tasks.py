from celery import shared_task

from students.facts import facts_rebuild


@shared_task(name="students.tasks.facts_rebuild_task")
def facts_rebuild_task() -> int:
    """Rebuild every derived fact (nightly by beat, or on demand); idempotent."""
    return facts_rebuild()


def _mark_failed(job_id: int, error: Exception) -> None:
    from students.models import UploadJob

    UploadJob.objects.filter(pk=job_id).update(state=UploadJob.State.FAILED, message=f"{type(error).__name__}: {error}")


@shared_task(name="students.tasks.upload_check_task")
def upload_check_task(job_id: int) -> str:
    from students.uploads import upload_check

    try:
        return upload_check(job_id=job_id).state
    except Exception as error:  # the page must not wait forever on a job that died
        _mark_failed(job_id, error)
        raise


@shared_task(name="students.tasks.upload_apply_task")
def upload_apply_task(job_id: int, user_id: int | None) -> str:
    from django.contrib.auth import get_user_model

    from students.uploads import upload_apply

    user = get_user_model().objects.filter(pk=user_id).first()
    try:
        return upload_apply(job_id=job_id, acting_user=user).state
    except Exception as error:  # nothing was written (one transaction); say so on the page
        _mark_failed(job_id, error)
        raise


@shared_task(name="students.tasks.idempotency_records_purge_task")
def idempotency_records_purge_task() -> int:
    """Delete Idempotency-Key answers older than IDEMPOTENCY_TTL_HOURS (hourly by beat); idempotent."""
    from students.api.idempotency import idempotency_records_purge

    return idempotency_records_purge()
