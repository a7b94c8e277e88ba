from celery import shared_task


@shared_task(name="careers.tasks.send_career_reminders_task")
def send_career_reminders_task() -> int:
    """Daily by beat (sent monthly): career records due and not entered (each reminder goes out once)."""
    from django.utils import timezone

    from careers.reminders import send_career_reminders

    return send_career_reminders(timezone.localdate())
