from celery import shared_task

from students.facts import facts_rebuild, facts_refresh


@shared_task(name="students.tasks.facts_rebuild_task")
def facts_rebuild_task() -> int:
    """Rebuild every derived fact (nightly by beat, or on demand); idempotent."""
    return facts_rebuild()


@shared_task(name="students.tasks.facts_refresh_task")
def facts_refresh_task(student_ids: list[int]) -> int:
    return facts_refresh(student_ids=student_ids)
