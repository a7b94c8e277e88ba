"""The doctoral-degree indicator at national scale (issue #16): every national university and
inter-university institute, the 10 fields, a three-year window and the cohorts its five-year
terms reach back to, timed against one aggregate query over the same statistics."""

from __future__ import annotations

import random

from django.db import connection

WINDOW_FIRST_YEAR = 2020  # R2–R4, as the FY2024 allocation


def generate(rng: random.Random) -> tuple[int, int]:
    """Reported rows shaped as enrolment.demo shapes them (every row passes the service's checks)."""
    from enrolment import rules
    from enrolment.models import EnrolmentStatistic
    from enrolment.selectors import LOOKBACK_YEARS
    from students.models import Field, Founder, University

    first = WINDOW_FIRST_YEAR - LOOKBACK_YEARS
    last = WINDOW_FIRST_YEAR + rules.WINDOW_YEARS - 1
    national = list(University.objects.filter(founder=Founder.NATIONAL).values_list("pk", flat=True))
    rows = []
    for university_id in national:
        for field in Field.values:
            term = 4 if field == "health" and rng.random() < 0.6 else 3
            capacity = rng.randint(3, 60)
            entrants_by_year: dict[int, int] = {}
            for year in range(first, last + 1):
                entrants = max(1, round(capacity * rng.uniform(0.6, 1.1)))
                entrants_by_year[year] = entrants
                cohort = entrants_by_year.get(rules.cohort_year(year, term), entrants)
                completions = round(cohort * rng.uniform(0.35, 0.75))
                degrees = completions + round(cohort * rng.uniform(0.0, 0.3))
                rows.append(
                    EnrolmentStatistic(
                        university_id=university_id,
                        fiscal_year=year,
                        field=field,
                        admission_capacity=capacity,
                        entrants=entrants,
                        entrants_from_masters=round(entrants * 0.6),
                        entrants_working_adults=round(entrants * 0.3),
                        entrants_international=round(entrants * 0.2),
                        enrolled=max(entrants * term + 2, degrees),
                        degrees_conferred=degrees,
                        completions_within_term=completions,
                        standard_term_years=term,
                    )
                )
    EnrolmentStatistic.objects.bulk_create(rows, batch_size=5000)
    return len(national), len(rows)


def aggregate_query() -> list[tuple]:
    """The baseline: one GROUP BY over the same rows the indicator reads (its window and cohorts)."""
    from enrolment import rules
    from enrolment.selectors import LOOKBACK_YEARS

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.university_id, s.field, SUM(s.admission_capacity), SUM(s.entrants), "
            "SUM(s.degrees_conferred), SUM(s.completions_within_term) "
            "FROM enrolment_enrolmentstatistic s JOIN students_university u ON u.id = s.university_id "
            "WHERE u.founder = 'national' AND s.fiscal_year BETWEEN %s AND %s "
            "GROUP BY s.university_id, s.field",
            [WINDOW_FIRST_YEAR - LOOKBACK_YEARS, WINDOW_FIRST_YEAR + rules.WINDOW_YEARS - 1],
        )
        return cursor.fetchall()


def bench(repeat: int, timed, analyze) -> None:
    from django.test import Client

    from enrolment import selectors
    from tests.factories import user_with_role

    seconds, (universities, rows) = timed(lambda: generate(random.Random(1)))
    analyze()
    print(
        f"generated {rows:,} statistics rows for {universities} national universities and institutes in {seconds:.1f}s"
    )
    query_time, groups = timed(aggregate_query, repeat)
    indicator_time, results = timed(lambda: selectors.indicator(first_year=WINDOW_FIRST_YEAR), repeat)
    ranked = sum(1 for r in results if r.rank)
    print(f"one aggregate query over the same statistics: {len(groups):,} groups in {query_time * 1000:.1f} ms")
    print(
        f"indicator FY{WINDOW_FIRST_YEAR}–FY{WINDOW_FIRST_YEAR + 2} (fetch, cohorts, deviation scores, weighted "
        f"means, ranks, bands): {len(results)} universities, {ranked} ranked, in {indicator_time * 1000:.1f} ms"
    )
    print(f"ratio indicator / aggregate query: {indicator_time / query_time:.1f}×")
    client = Client()
    client.force_login(user_with_role("bench_ministry", "ministry_viewer"))
    page_time, response = timed(
        lambda: client.get("/enrolment/national/", {"first_year": WINDOW_FIRST_YEAR, "fiscal_year": 2022}), repeat
    )
    assert response.status_code == 200, response.status_code
    print(
        f"the ministry's page (coverage tables and the indicator): {page_time * 1000:.0f} ms "
        f"(ratio to the query {page_time / query_time:.1f}×)"
    )
