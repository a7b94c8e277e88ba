import io
from datetime import date

import pytest
from django.core.management import call_command

from programs.models import Program
from students import services
from students.models import StudentYearFact
from students.tasks import facts_rebuild_task
from tests.factories import StudentFactory, UniversityFactory, user_with_role

pytestmark = pytest.mark.integration

FACT_FIELDS = (
    "student_id",
    "fiscal_year",
    "peak_rate",
    "counts",
    "program",
    "is_representative",
    "person_peak_rate",
    "person_counts",
    "person_program",
)


def snapshot():
    return sorted(StudentYearFact.objects.values_list(*FACT_FIELDS))


def test_rebuild_through_a_real_worker_equals_incremental_facts(celery_worker_on_redis):
    # given: awards written through the services (incremental refresh)
    call_command("load_reference", stdout=io.StringIO())
    university = UniversityFactory()
    staff = user_with_role("w_staff", "university_staff", university=university)
    for number, code in enumerate(["SPRING", "JSPS_DC1", "EMERGENT_RA"]):
        student = StudentFactory(university=university, student_number=f"W{number}")
        services.award_create(
            student=student,
            program=Program.objects.get(code=code),
            start_date=date(2023, 4, 1),
            end_date=date(2025, 3, 31),
            acting_user=staff,
        )
    incremental = snapshot()
    StudentYearFact.objects.all().delete()
    # when: the worker rebuilds from scratch
    written = facts_rebuild_task.delay().get(timeout=60)
    # then
    assert written == len(incremental) == 6
    assert snapshot() == incremental
