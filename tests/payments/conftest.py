from datetime import date

import pytest

from programs.models import Program
from students import services
from tests.factories import StudentFactory


@pytest.fixture
def dc_award(reference, university_a, staff_a):
    """A JSPS DC1 fellow at university A from April 2025: ¥200,000 a month (DOMAIN.md)."""
    student = StudentFactory(university=university_a, erad_number="12345678")
    return services.award_create(
        student=student,
        program=Program.objects.get(code="JSPS_DC1"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        acting_user=staff_a,
    )
