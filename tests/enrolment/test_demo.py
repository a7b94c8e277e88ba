import random

import pytest

from enrolment import rules
from enrolment.demo import demo_enrolment
from enrolment.models import EnrolmentStatistic
from students.models import Field
from tests.factories import StudentFactory, UniversityFactory

pytestmark = pytest.mark.django_db


def test_demo_rows_pass_every_check_and_give_an_indicator():
    universities = [UniversityFactory() for _ in range(3)]
    for index, university in enumerate(universities):
        for n in range(5 + index * 4):
            StudentFactory(university=university, field="engineering" if n % 2 else "health")
    assert demo_enrolment(last_year=2024, rng=random.Random(1)) == 3 * 2 * 9
    fields = [code for code, _label in Field.choices]
    by_key = {}
    for row in EnrolmentStatistic.objects.all():
        values = {
            name: getattr(row, name) for name in (*rules.COUNT_FIELDS, "fiscal_year", "field", "standard_term_years")
        }
        assert rules.check_statistic(values, fields) == []
        by_key.setdefault((row.university_id, row.field), {})[row.fiscal_year] = rules.CohortFigures(
            row.standard_term_years, row.entrants, row.completions_within_term
        )
    for years in by_key.values():
        for year, figures in years.items():
            others = {y: f for y, f in years.items() if y != year}
            assert rules.check_cohorts(year, figures, others) == []
    rows = [
        rules.StatisticRow(
            r.university_id,
            r.field,
            r.fiscal_year,
            r.admission_capacity,
            r.entrants,
            r.degrees_conferred,
            r.completions_within_term,
            r.standard_term_years,
        )
        for r in EnrolmentStatistic.objects.all()
    ]
    results = rules.degree_indicator(rows, {u.pk: rules.UniversityInfo(1) for u in universities}, 2020)
    assert sorted(r.rank for r in results) == [1, 2, 3]
