import logging

from celery import shared_task

from students.facts import facts_rebuild

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="students.tasks.facts_rebuild_task")
def facts_rebuild_task(self) -> int | None:
    """Rebuild every derived fact (nightly by beat, or on demand); idempotent.

    Redis redelivers a task unacknowledged after its visibility timeout (settings: the upload
    jobs' stale limit), which a national rebuild may outlast: a redelivered rebuild does not
    start a second one beside the first (or after a killed one: the facts are refreshed on every
    write anyway, and beat rebuilds again the next night).
    """
    if (self.request.delivery_info or {}).get("redelivered"):
        logger.warning("facts rebuild %s redelivered; not run twice", self.request.id)
        return None
    return facts_rebuild()


def _retry_later(task, busy) -> None:
    """Another run of the job still beats: look again once its beat would be stale."""
    from django.conf import settings

    countdown = min(busy.wait, max(settings.UPLOAD_STALE_SECONDS / 2, 1))
    raise task.retry(countdown=countdown, max_retries=None)


@shared_task(bind=True, name="students.tasks.upload_check_task")
def upload_check_task(self, job_id: int) -> str:
    from students.uploads import Busy, upload_check

    try:
        return upload_check(job_id=job_id).state
    except Busy as busy:
        _retry_later(self, busy)
        raise


@shared_task(bind=True, name="students.tasks.upload_apply_task")
def upload_apply_task(self, job_id: int, user_id: int | None) -> str:
    from django.contrib.auth import get_user_model

    from students.uploads import Busy, upload_apply

    user = get_user_model().objects.filter(pk=user_id).first()
    try:
        return upload_apply(job_id=job_id, acting_user=user).state
    except Busy as busy:
        _retry_later(self, busy)
        raise


@shared_task(name="students.tasks.idempotency_records_purge_task")
def idempotency_records_purge_task() -> int:
    """Delete Idempotency-Key answers older than IDEMPOTENCY_TTL_HOURS (hourly by beat); idempotent."""
    from students.api.idempotency import idempotency_records_purge

    return idempotency_records_purge()


@shared_task(name="students.tasks.upload_sweep_task")
def upload_sweep_task() -> int:
    """Mark failed the upload jobs whose run went silent (beat, and on viewing a job's page)."""
    from students.uploads import upload_sweep

    return upload_sweep()
