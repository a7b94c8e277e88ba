"""Payments benchmark (issue #15): a national year of payments uploaded through the product's
upload (check, then apply all or nothing) against a raw COPY of the same rows in the same run;
the peak memory of the upload in a fresh process; the reconciliation of a whole university as
a ratio to one aggregate query over its ledger.

    python bench/run.py --only payments --payment-rows 700000

Every award × 12 months of FY2025, one synthetic university holding them all, sent as payroll
files of at most FILE_ROWS rows each (the product refuses a file over UPLOAD_MAX_ROWS, 100,000 by
default: a university's year is far smaller). Nothing asserts; times are printed.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEAK_PREFIX = "peak_rss_kb="
FY_MONTHS = [(2025, m) for m in range(4, 13)] + [(2026, m) for m in range(1, 4)]
FILE_ROWS = 96_000  # 8,000 fellows × 12 months, under the product's 100,000-row cap


def awardees(rows: int):
    """A synthetic university with rows / 12 DC1 fellows (awards for FY2025 and beyond)."""
    from programs.models import Program
    from students.models import Award, Student, University

    university, _ = University.objects.get_or_create(
        name_ja="ベンチマーク支給大学", defaults={"founder": "national", "is_synthetic": True}
    )
    fellows = rows // 12
    if Award.objects.filter(university=university).count() >= fellows:
        return university
    dc1 = Program.objects.get(code="JSPS_DC1")
    students = Student.objects.bulk_create(
        (
            Student(university=university, student_number=f"Y{i:07d}", field="science", entry_date=date(2025, 4, 1))
            for i in range(fellows)
        ),
        batch_size=5000,
    )
    Award.objects.bulk_create(
        (
            Award(
                student=s,
                university=university,
                program=dc1,
                start_date=date(2025, 4, 1),
                end_date=date(2028, 3, 31),
                annual_living_cost=2_400_000,
            )
            for s in students
        ),
        batch_size=5000,
    )
    return university


def payroll_files(rows: int) -> list[bytes]:
    fellows, per_file = rows // 12, FILE_ROWS // 12
    return [payroll_file(first, min(first + per_file, fellows)) for first in range(0, fellows, per_file)]


def payroll_file(first: int, last: int) -> bytes:
    from payments.imports import headers

    out = io.StringIO()
    out.write(",".join(headers("ja")) + "\n")
    for i in range(first, last):
        for year, month in FY_MONTHS:
            out.write(f"Y{i:07d},JSPS_DC1,{year}-{month:02d},200000,0,{year}-{month:02d}-20,,\n")
    return out.getvalue().encode("utf-8")


def upload(university, contents: list[bytes]) -> float:
    from payments.imports import payments_upload_apply, payments_upload_check

    start = time.perf_counter()
    for number, content in enumerate(contents):
        plan = payments_upload_check(university=university, content=content, filename=f"payroll-{number}.csv")
        assert plan.result.ok, plan.result.errors[:3]
        payments_upload_apply(plan=plan, acting_user=None)
    return time.perf_counter() - start


def raw_copy(university) -> tuple[float, int]:
    """The same rows COPY'd into a table shaped like the ledger (its indexes included)."""
    from django.db import connection

    from students.models import Award

    award_ids = list(Award.objects.filter(university=university).order_by("pk").values_list("pk", flat=True))
    buffer = io.StringIO()
    for award_id in award_ids:
        for year, month in FY_MONTHS:
            buffer.write(
                f"{award_id}\t{university.pk}\t{year}-{month:02d}-01\t200000\t0\t{year}-{month:02d}-20\t\tt\tupload\t"
                "2026-01-01 00:00:00+00\n"
            )
    data = buffer.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute("CREATE TABLE bench_copy (LIKE payments_paymententry INCLUDING ALL)")
        start = time.perf_counter()
        with cursor.cursor.copy(
            "COPY bench_copy (award_id, university_id, month, living_cost, research_cost, pay_date, reason,"
            " is_current, source, created_at) FROM STDIN"
        ) as copy:
            copy.write(data)
        seconds = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_copy")
    return seconds, len(award_ids) * 12


def reconciliation(university, repeat: int) -> tuple[float, float, int]:
    from django.db.models import Sum

    from payments import selectors
    from payments.models import PaymentEntry

    def full():
        return selectors.university_open_differences(university.pk, today=date(2026, 4, 1))

    def aggregate():
        return PaymentEntry.objects.current().filter(university=university).aggregate(Sum("living_cost"))

    times_full, times_aggregate = [], []
    lines = []
    for _ in range(repeat):
        start = time.perf_counter()
        lines = full()
        times_full.append(time.perf_counter() - start)
        start = time.perf_counter()
        aggregate()
        times_aggregate.append(time.perf_counter() - start)
    return min(times_full), min(times_aggregate), len(lines)


def peak_memory_mb(rows: int) -> float:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-" + "x" * 50),
        "ALLOWED_HOSTS": "testserver",
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--only", "payments-memory", "--payment-rows", str(rows)],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    reported = [line for line in done.stdout.splitlines() if line.startswith(PEAK_PREFIX)]
    return int(reported[-1].removeprefix(PEAK_PREFIX)) * 1024 / 1e6


def payments_memory(args) -> None:
    """In a fresh process: upload a year of a second synthetic university's payments, print VmHWM."""
    from payments.models import PaymentEntry

    university = awardees(args.payment_rows)
    PaymentEntry.objects.filter(university=university).delete()
    upload(university, payroll_files(args.payment_rows)[:1])  # one file: what one upload job holds
    status = Path("/proc/self/status").read_text()
    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    print(f"{PEAK_PREFIX}{kb}")


def bench_payments(args) -> None:
    from payments.models import PaymentEntry

    rows = args.payment_rows
    print(f"\n== Payments: a national year (every award × 12 months), {rows:,} rows", flush=True)
    start = time.perf_counter()
    university = awardees(rows)
    contents = payroll_files(rows)
    print(
        f"{rows // 12:,} DC1 fellows at one university, {len(contents)} files of ≤ {FILE_ROWS:,} rows, "
        f"{sum(len(c) for c in contents) / 1e6:.1f} MB (prepared in {time.perf_counter() - start:.1f}s)"
    )
    copy_seconds, copied = raw_copy(university)
    upload_seconds = upload(university, contents)
    written = PaymentEntry.objects.filter(university=university, is_current=True).count()
    print(f"raw COPY:        {copied:,} rows in {copy_seconds:.1f}s = {copied / copy_seconds:,.0f} rows/s")
    print(
        f"product upload:  {written:,} rows in {upload_seconds:.1f}s = {written / upload_seconds:,.0f} rows/s "
        f"(check, then apply all or nothing) = {upload_seconds / copy_seconds:.1f}× COPY (goal ≤ 20×)"
    )
    again = upload(university, contents)
    print(
        f"the same file again: {again:.1f}s, {PaymentEntry.objects.filter(university=university).count() - written:,} rows written"
    )
    full, aggregate, lines = reconciliation(university, args.repeat)
    print(
        f"reconciliation of the university: {full:.2f}s ({lines:,} open differences) vs one aggregate over its "
        f"ledger {aggregate * 1000:.0f} ms = {full / aggregate:.0f}×"
    )
    print(
        f"peak memory of one upload (fresh process, a file of {min(rows, FILE_ROWS):,} rows): "
        f"{peak_memory_mb(rows):.0f} MB (goal < 300 MB)"
    )
