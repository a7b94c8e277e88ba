"""A report being handled locks its own row only: a university's clerk can go on recording awards of
the report's program meanwhile (PostgreSQL: FOR UPDATE with a join locked the program row too, and
every award insert of that program, whose foreign key takes a KEY SHARE lock on it, waited).

PostgreSQL only (two real concurrent transactions); CI runs the suite on both databases.
"""

import threading
from datetime import date

import pytest
from django.conf import settings
from django.db import connection, transaction

from programs.models import Program
from reports import services as report_services
from reports.models import Report
from students import services
from tests.factories import StudentFactory, user_with_role

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL (concurrent transactions)"
    ),
    pytest.mark.django_db(transaction=True),
]


def test_an_award_of_the_program_is_recorded_while_its_report_is_locked(reference, university_a):
    spring = Program.objects.get(code="SPRING")
    staff = user_with_role("clerk", "university_staff", university=university_a)
    first = StudentFactory(university=university_a, student_number="L1")
    services.award_create(
        student=first, program=spring, start_date=date(2025, 4, 1), end_date=date(2028, 3, 31), acting_user=staff
    )
    report = report_services.report_prepare(
        university=university_a, program=spring, fiscal_year=2025, acting_user=staff
    )
    locked, release = threading.Event(), threading.Event()
    failures = []

    def hold_the_report():
        try:
            with transaction.atomic():
                report_services._locked_for_update(report, Report.State.DRAFT)
                locked.set()
                release.wait(10)
        except Exception as error:  # reported to the main thread
            failures.append(error)
        finally:
            locked.set()
            connection.close()

    holder = threading.Thread(target=hold_the_report)
    holder.start()
    try:
        assert locked.wait(10)
        second = StudentFactory(university=university_a, student_number="L2")
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            award = services.award_create(
                student=second,
                program=spring,
                start_date=date(2025, 4, 1),
                end_date=date(2028, 3, 31),
                acting_user=staff,
            )
        assert award.pk
    finally:
        release.set()
        holder.join(15)
    assert failures == []
