from django.conf import settings
from django.core.management.base import BaseCommand

from students.tasks import facts_rebuild_task


class Command(BaseCommand):
    help = "Rebuild the derived per-student-per-year facts; with --queue, through the Celery worker."

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true", help="Send to the worker and wait for its answer.")
        parser.add_argument("--timeout", type=int, default=3600)

    def handle(self, *args, queue, timeout, **options):
        if queue and not settings.CELERY_BROKER_URL:
            self.stderr.write("CELERY_BROKER_URL is not set; cannot queue.")
            raise SystemExit(2)
        written = facts_rebuild_task.delay().get(timeout=timeout) if queue else facts_rebuild_task()
        self.stdout.write(f"Rebuilt {written:,} fact rows" + (" through the worker." if queue else "."))
