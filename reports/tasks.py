from celery import shared_task


@shared_task(name="reports.tasks.send_report_reminders_task")
def send_report_reminders_task() -> int:
    """Daily by beat: report deadlines coming and passed (each reminder goes out once)."""
    from django.utils import timezone

    from reports.reminders import send_report_reminders

    return send_report_reminders(timezone.localdate())
