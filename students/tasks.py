from celery import shared_task

from students.facts import facts_rebuild, facts_refresh


@shared_task(name="students.tasks.facts_rebuild_task")
def facts_rebuild_task() -> int:
    """Rebuild every derived fact (nightly by beat, or on demand); idempotent."""
    return facts_rebuild()


@shared_task(name="students.tasks.facts_refresh_task")
def facts_refresh_task(student_ids: list[int]) -> int:
    return facts_refresh(student_ids=student_ids)


@shared_task(name="students.tasks.upload_check_task")
def upload_check_task(job_id: int) -> str:
    from students.uploads import upload_check

    return upload_check(job_id=job_id).state


@shared_task(name="students.tasks.upload_apply_task")
def upload_apply_task(job_id: int, user_id: int | None) -> str:
    from django.contrib.auth import get_user_model

    from students.uploads import upload_apply

    user = get_user_model().objects.filter(pk=user_id).first()
    return upload_apply(job_id=job_id, acting_user=user).state
