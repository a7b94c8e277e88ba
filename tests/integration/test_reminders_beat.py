"""Reminders sent by a real Celery beat process and a real worker on Redis (issue #6).

Beat runs as its own process with the project's schedule, shortened by REMINDER_INTERVAL_SECONDS;
the worker runs in this process against the test database, so Django's locmem mail backend
(pytest-django's) collects what it sends.
"""

import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from programs import rules
from programs.models import Program
from reports.models import ReportDeadline
from students.models import ReminderSent
from tests.factories import AwardFactory, StudentFactory, UniversityFactory, user_with_role
from tests.integration.conftest import REDIS_URL

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _staff(university, name):
    user = user_with_role(name, "university_staff", university=university)
    user.email = f"{name}@example.jp"
    user.save()


@pytest.fixture
def beat():
    schedule = tempfile.mkdtemp()
    env = {
        **os.environ,
        "CELERY_BROKER_URL": REDIS_URL,
        "REMINDER_INTERVAL_SECONDS": "2",
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "phdsupport.settings",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "phdsupport",
            "beat",
            "--loglevel",
            "warning",
            "--schedule",
            f"{schedule}/beat-schedule",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    process.wait(timeout=20)


def test_beat_and_worker_send_each_reminder_once_at_the_right_time(celery_worker_on_redis, beat):
    call_command("load_reference", stdout=io.StringIO())
    today = timezone.localdate()
    current = rules.fiscal_year(today)
    spring, boost, dc1 = (Program.objects.get(code=c) for c in ("SPRING", "BOOST", "JSPS_DC1"))
    # Due in 10 days: a "before" reminder. Due in 30 days: none yet. Due 10 days ago: "overdue".
    ReportDeadline.objects.filter(program=spring, fiscal_year=current).update(due_date=today + timedelta(days=10))
    ReportDeadline.objects.filter(program=boost, fiscal_year=current).update(due_date=today + timedelta(days=30))
    ReportDeadline.objects.filter(program=dc1, fiscal_year=current - 1).update(due_date=today - timedelta(days=10))
    fy_start = rules.fiscal_year_bounds(current)[0]
    soon, later, late = UniversityFactory(), UniversityFactory(), UniversityFactory()
    for university, name in ((soon, "soon"), (later, "later"), (late, "late")):
        _staff(university, name)
    AwardFactory(
        student=StudentFactory(university=soon), start_date=fy_start, end_date=fy_start.replace(year=fy_start.year + 3)
    )
    AwardFactory(
        student=StudentFactory(university=later),
        program=boost,
        start_date=fy_start,
        end_date=fy_start.replace(year=fy_start.year + 3),
    )
    previous_start = rules.fiscal_year_bounds(current - 1)[0]
    AwardFactory(
        student=StudentFactory(university=late),
        program=dc1,
        start_date=previous_start,
        end_date=previous_start.replace(year=previous_start.year + 3),
    )
    StudentFactory(university=later, status="completed", completion_date=today - timedelta(days=40))
    runs = []
    task_postrun.connect(lambda sender=None, **kw: runs.append(sender.name), weak=False)

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and runs.count("reports.tasks.send_report_reminders_task") < 3:
        time.sleep(0.5)
    assert runs.count("reports.tasks.send_report_reminders_task") >= 3, (
        beat.stdout.read1().decode() if beat.poll() else runs
    )

    sent = sorted((m.to[0], "過ぎています" in m.subject, "進路" in m.subject) for m in mail.outbox)
    assert sent == [
        ("late@example.jp", True, False),  # the DC1 report is past its deadline
        ("later@example.jp", False, True),  # a completer's career record is due
        ("soon@example.jp", False, False),  # the SPRING report is due in 10 days
    ]
    assert ReminderSent.objects.count() == 3  # beat ran three times or more; each reminder went once
