"""Synthetic reported statistics for the demo's universities (labelled synthetic like the rest):
one row per university, field and fiscal year, shaped so that every row passes the service's checks
(of-which counts within entrants, on-time completions within degrees, enrolled and their cohort)."""

from __future__ import annotations

import random
from collections import Counter

from django.db import transaction

from enrolment import rules
from enrolment.models import EnrolmentStatistic
from students.models import Student

FIRST_DEMO_YEAR = 2016  # five-year terms of an FY2020 window reach back to FY2016


@transaction.atomic
def demo_enrolment(*, last_year: int, rng: random.Random) -> int:
    """Rows from FY2016 to `last_year` for every university and field holding students; the size
    follows the university's records so that coverage lands near the national 20–30%."""
    EnrolmentStatistic.objects.all().delete()
    sizes = Counter(Student.objects.values_list("university_id", "field"))
    rows = []
    for (university_id, field), records in sorted(sizes.items()):
        term = 4 if field == "health" and rng.random() < 0.6 else 3
        capacity = max(2, round(records / 3 * rng.uniform(1.2, 2.0)))
        entrants_by_year: dict[int, int] = {}
        for year in range(FIRST_DEMO_YEAR, last_year + 1):
            entrants = max(1, round(capacity * rng.uniform(0.6, 1.1)))
            entrants_by_year[year] = entrants
            cohort = entrants_by_year.get(rules.cohort_year(year, term), entrants)
            completions = round(cohort * rng.uniform(0.35, 0.75))
            degrees = completions + round(cohort * rng.uniform(0.0, 0.3))
            enrolled = max(entrants * term + round(entrants * rng.uniform(0.1, 0.6)), degrees)
            rows.append(
                EnrolmentStatistic(
                    university_id=university_id,
                    fiscal_year=year,
                    field=field,
                    admission_capacity=capacity,
                    entrants=entrants,
                    entrants_from_masters=round(entrants * rng.uniform(0.5, 0.8)),
                    entrants_working_adults=round(entrants * rng.uniform(0.2, 0.45)),
                    entrants_international=round(entrants * rng.uniform(0.1, 0.3)),
                    enrolled=enrolled,
                    degrees_conferred=degrees,
                    completions_within_term=completions,
                    standard_term_years=term,
                )
            )
    EnrolmentStatistic.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
