"""Benchmarks for phdsupport: `make bench`. Prints ratios against a baseline measured in the same run.

Runs on PostgreSQL (BENCH_DATABASE_URL, default a database `phdsupport_bench` on 127.0.0.1),
which it drops and recreates. Times are wall-clock medians; the machine is shared and noisy,
so read the ratios, not the absolute numbers. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/phdsupport_bench")
os.environ["DATABASE_URL"] = BENCH_DB
os.environ.setdefault("DEBUG", "true")  # the memory measurement runs its own process with DEBUG off
os.environ["CELERY_BROKER_URL"] = ""
os.environ.setdefault("API_RATE", "1000000/min")  # measure the API, not its throttle
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phdsupport.settings")


def recreate_database() -> None:
    import psycopg

    name = BENCH_DB.rsplit("/", 1)[1]
    admin = BENCH_DB.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _database_exists() -> bool:
    import psycopg

    try:
        psycopg.connect(BENCH_DB).close()
    except psycopg.OperationalError:
        return False
    return True


def analyze() -> None:
    """What a deployment's autovacuum does after a load (it is off on this machine's server):
    fresh planner statistics (without them the planner guesses on empty-table statistics) and the
    visibility map (without it no count can be answered from an index alone: every row is fetched
    from the table to see whether it is visible). VACUUM runs outside a transaction."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


def national_data_present() -> bool:
    from students.models import Student

    return Student.objects.exists()


def generate_national_data(args) -> None:
    from datetime import date

    from students.demo import demo_generate
    from students.models import StudentYearFact, University

    section(f"National scale data (scale {args.scale}, universities ≥ {args.universities})")
    extra = max(args.universities - University.objects.count(), 0)
    seconds, size = timed(
        lambda: demo_generate(
            scale=args.scale, first_fy=2021, last_fy=2030, seed=1, extra_universities=extra, yearly_awards=True
        )
    )
    facts = StudentYearFact.objects.count()
    print(
        f"generated {size.students:,} students, {size.awards:,} awards, {size.universities:,} universities, "
        f"{facts:,} fact rows in {seconds:.1f}s"
    )

    # Careers and reports of the same population, so their pages have their real work to do.
    import random

    from careers.demo import demo_careers
    from reports.demo import demo_reports

    seconds, (careers, reports) = timed(
        lambda: (
            demo_careers(today=date(args.fiscal_year + 1, 6, 30), rng=random.Random(1)),
            demo_reports(today=date(args.fiscal_year + 1, 6, 30), rng=random.Random(1)),
        )
    )
    print(f"generated {careers:,} career records and {reports:,} reports in {seconds:.1f}s")
    analyze()


def bench_dashboard(args) -> None:
    from django.db import connection

    from programs import rules
    from students.facts import fetch_records, floor_versions, with_person_peers
    from students.models import Award
    from students.selectors import award_terms

    if not (args.reuse_data and national_data_present()):
        generate_national_data(args)
    fy = args.fiscal_year

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM students_studentyearfact WHERE fiscal_year = %s "
                "AND is_representative AND person_counts",
                [fy],
            )
            return cursor.fetchone()[0]

    raw_count = raw()

    def naive():
        start, end = rules.fiscal_year_bounds(fy)
        ids = set(Award.objects.filter(start_date__lte=end, end_date__gte=start).values_list("student_id", flat=True))
        terms = award_terms(ids)
        records = fetch_records(ids)
        persons: dict[str, list] = {}
        enrolments: dict[str, list] = {}
        for sid, awards in terms.items():
            persons.setdefault(records[sid].person_key, []).extend(awards)
        # A person's other records (no award this year) still add their enrolled months.
        for record in fetch_records(with_person_peers(ids)).values():
            enrolments.setdefault(record.person_key, []).append(record.enrolment)
        floors = floor_versions()
        return sum(
            1 for key, awards in persons.items() if rules.year_outcome(awards, fy, floors, enrolments[key]).counts
        )

    naive_time, naive_count = timed(naive)
    print(f"headcount FY{fy}: facts {raw_count:,} · recounted from the awards by the rules {naive_count:,}")
    print(f"recount from the awards (no derived facts): {naive_time * 1000:.0f} ms")

    section("Recompute of the facts (PostgreSQL)")
    from bench import recompute

    recompute.bench(args)
    analyze()

    bench_pages(args)


def bench_pages(args) -> None:
    from bench import pages
    from students.models import Student, StudentYearFact

    if not (args.reuse_data and national_data_present()):
        generate_national_data(args)
    analyze()  # a reused data set as autovacuum would have left it, whatever ran on it before
    section(
        f"Pages at national scale, FY{args.fiscal_year} (test client, whole view; "
        f"{Student.objects.count():,} students, {StudentYearFact.objects.count():,} fact rows)"
    )
    pages.bench(args.fiscal_year, args.repeat)


def bench_recompute(args) -> None:
    """`--only recompute`: the national data set, then only the recompute figures."""
    from bench import recompute
    from students.demo import demo_generate
    from students.models import University

    section(f"National scale data (scale {args.scale}, universities ≥ {args.universities})")
    extra = max(args.universities - University.objects.count(), 0)
    seconds, size = timed(
        lambda: demo_generate(
            scale=args.scale, first_fy=2021, last_fy=2030, seed=1, extra_universities=extra, yearly_awards=True
        )
    )
    print(f"generated {size.students:,} students, {size.awards:,} awards in {seconds:.1f}s")
    analyze()
    section("Recompute of the facts (PostgreSQL)")
    recompute.bench(args)


def bench_uploads(args) -> None:
    from bench import uploads
    from students.models import University
    from tests.factories import user_with_role

    section(f"Upload of {args.rows:,} award rows (PostgreSQL)")
    ours_university = University.objects.create(name_ja="ベンチ大学A", founder="national", is_synthetic=True)
    theirs_university = University.objects.create(name_ja="ベンチ大学B", founder="national", is_synthetic=True)
    staff = user_with_role("bench_staff", "university_staff", university=ours_university)
    copy_university = University.objects.create(name_ja="ベンチ大学C", founder="national", is_synthetic=True)
    ours_time, ours_rows, check_time, apply_time = uploads.ours(ours_university, uploads.award_file(args.rows), staff)
    theirs_time, theirs_rows = uploads.import_export(theirs_university, uploads.award_file(args.rows, prefix="C"))
    copy_time, copy_rows = uploads.raw_copy(copy_university, uploads.award_file(args.rows, prefix="D"))
    ours_rate, theirs_rate, copy_rate = ours_rows / ours_time, theirs_rows / theirs_time, copy_rows / copy_time
    print(
        f"phdsupport, the whole upload (stored and checked, then checked again and applied: every rule, "
        f"history, facts refresh): {ours_rows:,} awards in {ours_time:.1f}s = {ours_rate:,.0f} rows/s"
    )
    print(
        f"  of which the check before the preview {check_time:.1f}s, the apply (check again, write, history, "
        f"facts) {apply_time:.1f}s = {ours_rows / apply_time:,.0f} rows/s"
    )
    print(
        f"django-import-export, bulk path (no rules, no history):        {theirs_rows:,} awards in "
        f"{theirs_time:.1f}s = {theirs_rate:,.0f} rows/s"
    )
    print(
        f"raw COPY + INSERT … SELECT (nothing checked):                  {copy_rows:,} awards in "
        f"{copy_time:.2f}s = {copy_rate:,.0f} rows/s"
    )
    # The goals compare the step that writes: django-import-export's own preview (its dry run)
    # is not timed either. The whole upload, with the check before the preview, is printed beside.
    apply_rate = ours_rows / apply_time
    print(f"ratio phdsupport (apply step) / django-import-export: {apply_rate / theirs_rate:.1f}×   (goal ≥ 5×)")
    print(f"ratio COPY / phdsupport (apply step):                 {copy_rate / apply_rate:.1f}×   (goal ≤ 10×)")
    print(
        f"the same with the whole upload (check before the preview included): "
        f"{ours_rate / theirs_rate:.1f}× and {copy_rate / ours_rate:.1f}×"
    )
    if args.memory_rows:
        print(
            f"peak memory of the process that takes a {args.memory_rows:,}-row upload with no broker "
            f"(the web process stores, counts, checks and applies it; with a broker these steps are "
            f"split between lighter processes): {uploads.peak_memory_mb(args.memory_rows):.0f} MB "
            f"(10^6 bytes; goal < 250 MB)"
        )


def bench_api(args) -> None:
    from datetime import date

    from bench import api
    from programs.models import Program
    from students import services
    from students.api.keys import api_key_create
    from students.models import Student, University

    section("API (PostgreSQL)")
    university = University.objects.create(name_ja="ベンチ大学API", founder="national", is_synthetic=True)
    spring = Program.objects.get(code="SPRING")
    students = Student.objects.bulk_create(
        [
            Student(university=university, student_number=f"P{i:05d}", field="science", entry_date=date(2025, 4, 1))
            for i in range(150)
        ]
    )
    for student in students:
        services.award_create(
            student=student, program=spring, start_date=date(2025, 4, 1), end_date=date(2028, 3, 31), acting_user=None
        )
    _key, secret = api_key_create(name="bench", scope="write", university=university, acting_user=None)
    api.bench(university, secret, args.rows)


def bench_enrolment(args) -> None:
    from bench import enrolment

    section("Doctoral-degree indicator, all national universities (PostgreSQL)")
    enrolment.bench(args.repeat, timed, analyze)


def upload_memory(args) -> None:
    from bench import uploads
    from students.models import University

    university = University.objects.create(
        name_ja=f"メモリ計測大学{time.time_ns()}", founder="national", is_synthetic=True
    )
    uploads.through_the_product(university, uploads.award_file(args.rows, prefix=f"M{time.time_ns() % 10**6}-"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1.4")))
    parser.add_argument("--universities", type=int, default=800)
    parser.add_argument("--fiscal-year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--only",
        choices=[
            "dashboard",
            "data",
            "pages",
            "recompute",
            "uploads",
            "api",
            "enrolment",
            "upload-memory",
            "payments",
            "payments-memory",
        ],
        default=None,
    )
    parser.add_argument(
        "--reuse-data",
        action="store_true",
        help="keep the bench database if it already holds the national data set (generating it takes "
        "long); migrations still run. Only for repeated page runs: uploads and the API add rows to it",
    )
    parser.add_argument(
        "--payment-memory-rows",
        type=int,
        default=99_996,
        help="rows of the synthetic file whose upload's memory is measured",
    )
    parser.add_argument(
        "--payment-fiscal-year",
        type=int,
        default=None,
        help="the payments' year (default: the first from --fiscal-year on that no accepted report locks)",
    )
    parser.add_argument("--payment-university", type=int, default=0, help=argparse.SUPPRESS)  # the memory child's
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=50, help="award edits timed in the quiet case")
    parser.add_argument("--university-students", type=int, default=10_000, help="students of the refreshed university")
    parser.add_argument("--memory-rows", type=int, default=100_000)
    args = parser.parse_args()

    if args.only not in ("upload-memory", "payments-memory") and not (args.reuse_data and _database_exists()):
        recreate_database()
    import django
    from django.core.management import call_command

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host and response.context
    if args.only == "upload-memory":
        upload_memory(args)
        return
    if args.only == "payments-memory":
        from bench.payments import payments_memory

        payments_memory(args)
        return
    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    # The national data set first, so the upload and API rows do not inflate its headcount.
    if args.only in (None, "dashboard"):
        bench_dashboard(args)
    if args.only == "data" and not (args.reuse_data and national_data_present()):
        generate_national_data(args)
    if args.only == "pages":
        bench_pages(args)
    if args.only == "recompute":
        bench_recompute(args)
    if args.only in (None, "uploads"):
        bench_uploads(args)
    if args.only in (None, "api"):
        bench_api(args)
    if args.only in (None, "enrolment"):
        bench_enrolment(args)
    if args.only in (None, "payments"):
        from bench.payments import bench_payments

        bench_payments(args)


if __name__ == "__main__":
    main()
