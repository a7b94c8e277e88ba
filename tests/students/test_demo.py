"""The synthetic demo data obey the rules they are generated to follow."""

from collections import defaultdict

import pytest
from django.db.models import F

from programs import rules
from students.demo import demo_generate
from students.models import Award, Student, StudentYearFact
from students.selectors import award_terms

pytestmark = pytest.mark.django_db


def test_demo_data_respect_exclusivity_and_terms(reference):
    size = demo_generate(scale=0.01, first_fy=2021, last_fy=2025, seed=7)
    assert size.students > 100
    terms = award_terms(Student.objects.values_list("pk", flat=True))
    for awards in terms.values():
        for award in awards:
            others = [a for a in awards if a.award_id != award.award_id]
            assert rules.exclusive_conflict(award, others) is None
    headcount = defaultdict(int)
    for fy in StudentYearFact.objects.filter(is_representative=True, person_counts=True).values_list(
        "fiscal_year", flat=True
    ):
        headcount[fy] += 1
    # Shaped like the published series: growing towards FY2025.
    assert headcount[2021] < headcount[2023] < headcount[2025]
    # Each award carries its student's university (lists of a university's awards read it).
    assert not Award.objects.exclude(university_id=F("student__university_id")).exists()
