"""A hand-built population covering every counting rule of DOMAIN.md, for FY2025.

| student | university | awards in FY2025                         | counts? |
|---------|------------|------------------------------------------|---------|
| s1      | A          | SPRING ¥1,800,000                        | yes: exactly the floor |
| s2      | A          | DC1 ¥2,400,000 (international)           | yes |
| s3      | A          | EMERGENT_RA ¥1,200,000 alone             | no |
| s4      | A          | SPRING ¥1,799,999                        | no: one yen short |
| s5      | B          | EMERGENT_RA ¥1,000,000 + SPRING ¥1,200,000 | yes, attributed EMERGENT_RA (¥1,000,000 in the FY against SPRING's ¥600,000 from October); holds two supports |
| s6, s7  | A then B   | SPRING, same e-Rad number (a transfer)   | at both universities, once nationally |
| s8      | B          | JSPS_PD ¥4,344,000 (completed)           | never: postdoctoral |
| s9      | A          | SPRING suspended the whole fiscal year   | no |
"""

from datetime import date

import pytest

from programs.models import Program
from students import services
from tests.factories import StudentFactory, UniversityFactory, user_with_role


def _award(student, code, start, end, living, user, **extra):
    return services.award_create(
        student=student,
        program=Program.objects.get(code=code),
        start_date=start,
        end_date=end,
        annual_living_cost=living,
        acting_user=user,
        **extra,
    )


@pytest.fixture
def population(reference):
    a = UniversityFactory(name_ja="甲大学", founder="national", national_group=4)
    b = UniversityFactory(name_ja="乙大学", founder="private", national_group=None)
    staff_a = user_with_role("pop_staff_a", "university_staff", university=a)
    staff_b = user_with_role("pop_staff_b", "university_staff", university=b)
    fy_start, fy_end = date(2025, 4, 1), date(2026, 3, 31)
    s = {}
    s[1] = StudentFactory(university=a, student_number="S1", family_name="名前一", field="engineering")
    _award(s[1], "SPRING", fy_start, date(2028, 3, 31), 1_800_000, staff_a)
    s[2] = StudentFactory(
        university=a, student_number="S2", family_name="名前二", field="science", is_international=True
    )
    _award(s[2], "JSPS_DC1", fy_start, date(2028, 3, 31), 2_400_000, staff_a)
    s[3] = StudentFactory(university=a, student_number="S3", field="science")
    _award(s[3], "EMERGENT_RA", fy_start, fy_end, 1_200_000, staff_a)
    s[4] = StudentFactory(university=a, student_number="S4", field="health")
    _award(s[4], "SPRING", fy_start, date(2028, 3, 31), 1_799_999, staff_a)
    s[5] = StudentFactory(university=b, student_number="S5", field="humanities", is_working_adult=True)
    _award(s[5], "EMERGENT_RA", fy_start, fy_end, 1_000_000, staff_b)
    _award(s[5], "SPRING", date(2025, 10, 1), date(2028, 3, 31), 1_200_000, staff_b)
    s[6] = StudentFactory(university=a, student_number="S6", erad_number="87654321", field="engineering")
    _award(s[6], "SPRING", fy_start, date(2025, 9, 30), 1_800_000, staff_a)
    s[7] = StudentFactory(university=b, student_number="S7", erad_number="87654321", field="engineering")
    _award(s[7], "SPRING", date(2025, 10, 1), date(2028, 3, 31), 1_800_000, staff_b)
    s[8] = StudentFactory(university=b, student_number="S8", status="completed", completion_date=date(2025, 3, 31))
    _award(s[8], "JSPS_PD", fy_start, date(2028, 3, 31), 4_344_000, staff_b)
    s[9] = StudentFactory(university=a, student_number="S9", field="agriculture")
    suspended = _award(s[9], "SPRING", date(2024, 4, 1), date(2027, 3, 31), 1_800_000, staff_a)
    services.award_event_create(
        award=suspended, kind="suspension", start_date=fy_start, end_date=fy_end, reason="休学", acting_user=staff_a
    )
    return {"a": a, "b": b, "staff_a": staff_a, "staff_b": staff_b, "students": s}
