"""Synthetic career records for the demo's completers (labelled synthetic like the rest)."""

from __future__ import annotations

import random
from datetime import date

from django.db import transaction

from careers.models import CareerOutcome
from students.models import Student

DESTINATION_WEIGHTS = {
    # close to SPRING's FY2022 completers (DOMAIN.md): 79.3% employed
    "permanent_research": 22,
    "postdoc": 24,
    "non_permanent_research": 9,
    "non_research": 24,
    "student": 3,
    "not_employed": 13,
    "unknown": 5,
}
SECTOR_WEIGHTS = {"academia": 42.5, "company": 33.0, "government": 2.7, "startup": 0.7, "other": 21.1}


@transaction.atomic
def demo_careers(*, today: date, rng: random.Random) -> int:
    """Career records for most completers at the points already due (about one in eight left
    unentered: due, and overdue after a month)."""
    destinations, destination_w = list(DESTINATION_WEIGHTS), list(DESTINATION_WEIGHTS.values())
    sectors, sector_w = list(SECTOR_WEIGHTS), list(SECTOR_WEIGHTS.values())
    careers = []
    finished = Student.objects.filter(status=Student.Status.COMPLETED, completion_date__isnull=False)
    for student in finished.only("pk", "university_id", "completion_date").iterator(chunk_size=5000):
        for point, years in (("completion", 0), ("year_1", 1)):
            if student.completion_date.replace(year=student.completion_date.year + years) > today:
                continue
            if rng.random() < 0.12:  # not entered yet: due, and overdue after a month
                continue
            destination = rng.choices(destinations, destination_w)[0]
            employed = destination in ("permanent_research", "postdoc", "non_permanent_research", "non_research")
            careers.append(
                CareerOutcome(
                    student_id=student.pk,
                    university_id=student.university_id,
                    survey_point=point,
                    destination=destination,
                    sector=rng.choices(sectors, sector_w)[0] if employed else "",
                    country="JP" if rng.random() < 0.9 else rng.choice(["US", "DE", "GB", "CN", "KR"]),
                )
            )
    CareerOutcome.objects.bulk_create(careers, batch_size=5000)
    return len(careers)
