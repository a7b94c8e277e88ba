"""Page benchmark: every dashboard and work page, warm and right after a write, at national scale.

Each page is timed through the Django test client (the whole view: queries, Python, template),
median of rounds, in two states:
- warm: the same request again, caches as a user finds them;
- after a write: the facts version moved and the cache emptied, so everything is computed afresh
  (the most a user can meet right after someone saves).
Baselines, measured in the same run on the same data:
- one raw aggregate: the national count as one SQL statement on the derived facts (the floor any
  counting page stands on);
- the page's own queries: every SQL statement the page ran when computed afresh, replayed raw
  through a cursor (what the database alone costs; the rest is Python and templates).
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass

WARM_GOAL = 5.0  # × the raw aggregate (issue #13/#14)
AFTER_WRITE_GOAL = 50.0


@dataclass
class PageCase:
    label: str
    user: object
    path: str
    params: dict


def _median_seconds(call, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _forget_everything() -> None:
    """What a write does to the caches, and more: the facts version moves and the cache empties."""
    from django.core.cache import cache

    from students.models import FactsVersion

    FactsVersion.objects.update_or_create(pk=1, defaults={"version": time.time_ns()})
    cache.clear()


def _replayable(sql: str) -> str:
    """A server-side cursor's DECLARE replays as the query it reads (a cursor name cannot repeat)."""
    match = re.match(r'DECLARE "[^"]+" NO SCROLL CURSOR (?:WITH(?:OUT)? HOLD )?FOR (.*)', sql, re.S)
    return match.group(1) if match else sql


def cases(fiscal_year: int) -> list[PageCase]:
    from django.db.models import Count

    from programs.models import Program
    from students.models import University
    from tests.factories import user_with_role

    biggest = University.objects.annotate(n=Count("students")).order_by("-n").first()
    ministry = user_with_role("bench_pages_ministry", "ministry_viewer")
    officer = user_with_role("bench_pages_officer", "program_officer", programs=Program.objects.all())
    staff = user_with_role("bench_pages_staff", "university_staff", university=biggest)
    fy = {"fiscal_year": fiscal_year}
    return [
        PageCase("national", ministry, "/dashboards/", fy),
        PageCase("national what-if ¥2,000,000", ministry, "/dashboards/", {**fy, "floor": 2_000_000}),
        PageCase("university (largest)", staff, f"/dashboards/universities/{biggest.pk}/", fy),
        PageCase("reports status", ministry, "/dashboards/reports/", {}),
        PageCase("outcomes", ministry, "/dashboards/outcomes/", {}),
        PageCase("home (ministry)", ministry, "/", {}),
        PageCase("home (officer)", officer, "/", {}),
        PageCase("home (staff)", staff, "/", {}),
        PageCase("quality fix list (staff)", staff, "/students/quality/", {}),
        PageCase("careers due (staff)", staff, "/students/careers/", {}),
        PageCase("student list (staff)", staff, "/students/", {}),
    ]


def bench(fiscal_year: int, rounds: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    def raw_aggregate():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM students_studentyearfact WHERE fiscal_year = %s "
                "AND is_representative AND person_counts",
                [fiscal_year],
            )
            return cursor.fetchone()[0]

    raw_aggregate()
    aggregate = _median_seconds(raw_aggregate, max(rounds * 3, 9))
    print(f"one raw aggregate (national count on the facts): {aggregate * 1000:.2f} ms (median)")
    print(
        f"{'page':<30} {'warm ms':>9} {'×agg':>6} {'after write ms':>15} {'×agg':>7} "
        f"{'own SQL ms':>11} {'queries':>8}  goals: warm ≤ {WARM_GOAL:.0f}×, after a write ≤ {AFTER_WRITE_GOAL:.0f}×"
    )
    misses = []
    for case in cases(fiscal_year):
        client = Client()
        client.force_login(case.user)

        def get(case=case, client=client):
            response = client.get(case.path, case.params)
            assert response.status_code == 200, (case.path, response.status_code)

        def afresh(get=get):
            _forget_everything()
            get()

        _forget_everything()
        with CaptureQueriesContext(connection) as captured:
            get()
        statements = [_replayable(q["sql"]) for q in captured.captured_queries]

        def replay(statements=statements):
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                    if cursor.description:
                        cursor.fetchall()

        cold = _median_seconds(afresh, max(rounds // 2, 3))
        get()
        warm = _median_seconds(get, rounds)
        replay()
        own_sql = _median_seconds(replay, max(rounds // 2, 3))
        warm_ratio, cold_ratio = warm / aggregate, cold / aggregate
        ok = warm_ratio <= WARM_GOAL and cold_ratio <= AFTER_WRITE_GOAL
        if not ok:
            misses.append(case.label)
        print(
            f"{case.label:<30} {warm * 1000:>9.1f} {warm_ratio:>6.1f} {cold * 1000:>15.1f} {cold_ratio:>7.1f} "
            f"{own_sql * 1000:>11.1f} {len(statements):>8}  {'ok' if ok else 'MISSES GOAL'}"
        )
    print(f"pages missing a goal: {', '.join(misses) if misses else 'none'}")
