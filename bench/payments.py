"""Payments benchmark (issue #15): a national year of payments uploaded through the product
against a raw COPY of the same rows; the peak memory of the heaviest upload process; the
reconciliation of a whole university against one aggregate query over its ledger.

    python bench/run.py --only payments [--payment-fiscal-year 2026] [--reuse-data]   (data: load_demo --scale 1.0)

The year: by default the first from --fiscal-year on with no accepted annual report (an accepted
report locks the year's payments and the files would be refused; the demo data accepts reports
up to the last full year).

The year: every award active in the fiscal year (--fiscal-year, 2025) × its 12 months, as each
university's payroll would export it (one CSV per university: student number, program, month,
living cost at the award's amount in force, pay date; months outside the award's dates as ¥0
lines). The ledger's entries of those months are deleted first, so that every run writes the
same rows. Nothing asserts; every figure is printed with what it times.
"""

from __future__ import annotations

import io
import statistics
import time
from dataclasses import dataclass
from datetime import date

from programs import rules

PAY_DAY = 20
SYNTHETIC_NAME = "ベンチマーク支給大学"


@dataclass
class PayrollFile:
    university_id: int
    content: bytes
    rows: int
    # The same rows as the ledger table takes them: (award id, month, living cost, pay date)
    ledger_rows: list[tuple[int, date, int, date]]


def fiscal_months(fiscal_year: int) -> list[int]:
    return list(rules.fiscal_year_months(fiscal_year))


def payroll_files(fiscal_year: int, university_ids: list[int] | None = None) -> list[PayrollFile]:
    """One payroll export per university holding awards active in the year."""
    from payments.imports import headers
    from students.models import Award
    from students.selectors import award_terms

    first, last = rules.fiscal_year_bounds(fiscal_year)
    active = Award.objects.filter(start_date__lte=last, end_date__gte=first)
    if university_ids is not None:
        active = active.filter(university_id__in=university_ids)
    universities = sorted(set(active.values_list("university_id", flat=True)))
    months = fiscal_months(fiscal_year)
    files = []
    for university_id in universities:
        numbers = dict(active.filter(university_id=university_id).values_list("pk", "student__student_number"))
        out = io.StringIO()
        out.write(",".join(headers("ja")) + "\n")
        ledger_rows = []
        for terms_list in award_terms(university_id=university_id).values():
            for terms in terms_list:
                if terms.award_id not in numbers:
                    continue
                first_month, last_month = rules.month_index(terms.start), rules.month_index(terms.end)
                for month in months:
                    # The payroll pays the amount in force in every month of the award (a
                    # suspension it did not hear of included); outside the award, a ¥0 line.
                    living = terms.annual_amount(month) // 12 if first_month <= month <= last_month else 0
                    start = rules.month_start(month)
                    pay_date = start.replace(day=PAY_DAY)
                    out.write(
                        f"{numbers[terms.award_id]},{terms.program},{start:%Y-%m},{living},0,{pay_date:%Y/%m/%d},,\n"
                    )
                    ledger_rows.append((terms.award_id, start, living, pay_date))
        files.append(PayrollFile(university_id, out.getvalue().encode("utf-8"), len(ledger_rows), ledger_rows))
    return files


def clear_year(fiscal_year: int) -> int:
    """Delete the ledger's entries of the year's months (the demo's or an earlier run's)."""
    from django.db import connection

    from payments.models import PaymentEntry

    first, last = rules.fiscal_year_bounds(fiscal_year)
    deleted, _ = PaymentEntry.objects.filter(month__gte=first, month__lte=last).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE payments_paymententry")
    return deleted


def raw_copy(files: list[PayrollFile]) -> tuple[float, int]:
    """The same rows COPY'd into payments_paymententry itself (its indexes and its unique
    current-month constraint maintained), in one transaction rolled back afterwards. Timed: the
    COPY statement alone; its input text is made before the clock starts."""
    from django.db import connection, transaction

    buffer = io.StringIO()
    for payroll in files:
        for award_id, month, living, pay_date in payroll.ledger_rows:
            buffer.write(
                f"{award_id}\t{payroll.university_id}\t{month}\t{living}\t0\t{pay_date}\t\tt\tupload\t\\N\t"
                "2026-12-01 00:00:00+00\n"
            )
    data, rows = buffer.getvalue(), sum(f.rows for f in files)
    del buffer

    class RolledBack(Exception):
        pass

    seconds = 0.0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            start = time.perf_counter()
            with cursor.cursor.copy(
                "COPY payments_paymententry (award_id, university_id, month, living_cost, research_cost, pay_date,"
                " reason, is_current, source, created_by_id, created_at) FROM STDIN"
            ) as copy:
                copy.write(data)
            seconds = time.perf_counter() - start
            raise RolledBack
    except RolledBack:
        pass
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE payments_paymententry")  # the rolled-back rows' dead tuples
    return seconds, rows


def through_the_product(payroll: PayrollFile, acting_user=None) -> tuple[float, float, dict]:
    """One university's file as a user's goes: stored and checked (upload_create, no broker: the
    check runs in this process), then applied (the apply button: checked again against the data
    as it is now, then written all or nothing). Returns (check seconds, apply seconds, result)."""
    from students import uploads

    start = time.perf_counter()
    job = uploads.upload_create(
        university=_university(payroll.university_id),
        filename=f"payroll-{payroll.university_id}.csv",
        content=payroll.content,
        acting_user=acting_user,
        kind="payments",
    )
    checked = time.perf_counter()
    assert job.state == job.State.CHECKED, (job.state, job.message, str(job.result)[:500])
    job = uploads.upload_apply_start(job=job, acting_user=acting_user)
    assert job.state == job.State.APPLIED, (job.state, job.message, str(job.result)[:500])
    return checked - start, time.perf_counter() - checked, job.result


def _university(pk: int):
    from students.models import University

    return University.objects.get(pk=pk)


def reconciliation(university_id: int, fiscal_year: int, repeat: int) -> tuple[float, float, int, int]:
    """The university's reconciliation (every award and month of its students, due by the rules
    beside paid, classified, open differences oldest first: what its page computes) against one
    aggregate query over its current ledger (sums and count of its entries). Medians of `repeat`."""
    from django.db import connection

    from payments import selectors

    after_the_year = rules.month_start(fiscal_months(fiscal_year)[-1] + 2)  # every month of the year owed

    def aggregate():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*), SUM(living_cost), SUM(research_cost) FROM payments_paymententry "
                "WHERE university_id = %s AND is_current",
                [university_id],
            )
            return cursor.fetchone()

    full_times, aggregate_times, lines, entries = [], [], [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        lines = selectors.university_open_differences(university_id, today=after_the_year)
        full_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        entries = aggregate()[0]
        aggregate_times.append(time.perf_counter() - start)
    return statistics.median(full_times), statistics.median(aggregate_times), len(lines), entries


# --- Peak memory: the heaviest upload process ------------------------------------------------


def synthetic_file(rows: int, fiscal_year: int) -> PayrollFile:
    """A university with rows // 12 DC1 fellows and their year's payroll: a file at the product's
    row cap (UPLOAD_MAX_ROWS), larger than any university's year in the demo data."""
    from programs.models import Program
    from students.models import Award, Student, University

    university = University.objects.create(
        name_ja=f"{SYNTHETIC_NAME}{time.time_ns()}", founder="national", is_synthetic=True
    )
    first, _last = rules.fiscal_year_bounds(fiscal_year)
    dc1 = Program.objects.get(code="JSPS_DC1")
    students = Student.objects.bulk_create(
        (
            Student(university=university, student_number=f"Y{i:07d}", field="science", entry_date=first)
            for i in range(rows // 12)
        ),
        batch_size=5000,
    )
    Award.objects.bulk_create(
        (
            Award(
                student=s,
                university=university,
                program=dc1,
                start_date=first,
                end_date=date(fiscal_year + 3, 3, 31),
                annual_living_cost=2_400_000,
            )
            for s in students
        ),
        batch_size=5000,
    )
    del students
    return payroll_files(fiscal_year, [university.pk])[0]


def payments_memory(args) -> None:
    """The measured child (bench.common): one upload through the product, in a transaction rolled
    back at the end so that the bench database keeps nothing of it. The file: the largest
    university's year (`--payment-university`), or a synthetic one of `--payment-memory-rows`."""
    from django.db import transaction

    from payments.models import PaymentEntry

    class RolledBack(Exception):
        pass

    try:
        with transaction.atomic():
            if args.payment_university:
                payroll = payroll_files(args.fiscal_year, [args.payment_university])[0]
                first, last = rules.fiscal_year_bounds(args.fiscal_year)
                PaymentEntry.objects.filter(
                    university_id=args.payment_university, month__gte=first, month__lte=last
                ).delete()  # as before the national upload: every row is new
            else:
                payroll = synthetic_file(args.payment_memory_rows, args.fiscal_year)
            payroll.ledger_rows = []
            check, apply, result = through_the_product(payroll)
            print(f"file_rows={payroll.rows} check={check:.1f}s apply={apply:.1f}s written={result['awards_created']}")
            raise RolledBack
    except RolledBack:
        pass


def bench_payments(args) -> None:
    from bench.common import peak_memory_mb
    from bench.run import analyze, generate_national_data, national_data_present
    from payments.models import PaymentEntry

    if not national_data_present():
        generate_national_data(args)
    from students.models import YearLock

    fy = args.payment_fiscal_year or args.fiscal_year
    while not args.payment_fiscal_year and YearLock.objects.filter(fiscal_year=fy).exists():
        fy += 1
    if YearLock.objects.filter(fiscal_year=fy).exists():
        raise SystemExit(f"FY{fy} has accepted reports (its payments are locked): give another --payment-fiscal-year")
    print(f"\n== Payments: a national year (every award active in FY{fy} × 12 months), PostgreSQL", flush=True)
    start = time.perf_counter()
    deleted = clear_year(fy)
    analyze()
    files = payroll_files(fy)
    rows = sum(f.rows for f in files)
    largest = max(files, key=lambda f: f.rows)
    print(
        f"{rows:,} rows ({rows // 12:,} awards) at {len(files)} universities, one payroll CSV each "
        f"({sum(len(f.content) for f in files) / 1e6:.1f} MB; largest {largest.rows:,} rows); "
        f"{deleted:,} ledger entries of the year deleted first; ANALYZE run; prepared in "
        f"{time.perf_counter() - start:.0f}s",
        flush=True,
    )

    copy_seconds, copied = raw_copy(files)
    copy_rate = copied / copy_seconds
    print(
        f"raw COPY into payments_paymententry (the COPY statement only, indexes and constraint kept, "
        f"rolled back): {copied:,} rows in {copy_seconds:.1f}s = {copy_rate:,.0f} rows/s",
        flush=True,
    )

    for file in files:
        file.ledger_rows = []  # the product reads the CSV
    check_total = apply_total = 0.0
    written = 0
    for payroll in files:
        check, apply, result = through_the_product(payroll)
        check_total, apply_total = check_total + check, apply_total + apply
        written += result["awards_created"] + result["awards_updated"]
    product_seconds = check_total + apply_total
    product_rate = written / product_seconds
    current = PaymentEntry.objects.current().filter(
        month__gte=rules.fiscal_year_bounds(fy)[0], month__lte=rules.fiscal_year_bounds(fy)[1]
    )
    print(
        f"product upload, every university's file as a user's goes (upload_create: stored, read, "
        f"checked; upload_apply_start: checked again, written all or nothing; no broker, so in this "
        f"process): {written:,} rows in {product_seconds:.1f}s (check {check_total:.1f}s, apply "
        f"{apply_total:.1f}s) = {product_rate:,.0f} rows/s; {current.count():,} current entries in the year",
        flush=True,
    )
    print(f"ratio COPY / product: {copy_rate / product_rate:.1f}×   (goal ≤ 20×)", flush=True)

    check, apply, result = through_the_product(largest)
    print(
        f"the largest university's file again ({largest.rows:,} rows): {check + apply:.1f}s, "
        f"{result['awards_created'] + result['awards_updated']:,} rows written, "
        f"{result['awards_unchanged']:,} unchanged",
        flush=True,
    )

    analyze()
    full, aggregate, lines, entries = reconciliation(largest.university_id, fy, args.repeat)
    print(
        f"reconciliation of the largest university (university_open_differences: its awards, due by "
        f"the rules beside paid for every award and month, classified; median of {args.repeat}): "
        f"{full * 1000:,.0f} ms, {lines:,} open differences; one aggregate query over its ledger "
        f"(COUNT and SUMs of its {entries:,} current entries): {aggregate * 1000:.1f} ms; "
        f"ratio {full / aggregate:,.0f}×",
        flush=True,
    )

    for label, bench_args in (
        (
            f"the largest university's year ({largest.rows:,} rows)",
            ["--payment-university", str(largest.university_id)],
        ),
        (
            f"a file at the product's row cap ({args.payment_memory_rows:,} rows, a synthetic university)",
            ["--payment-university", "0"],
        ),
    ):
        peak, out = peak_memory_mb(
            [
                "--only",
                "payments-memory",
                "--fiscal-year",
                str(fy),
                "--payment-memory-rows",
                str(args.payment_memory_rows),
                *bench_args,
            ]
        )
        print(
            f"peak memory (ru_maxrss) of a fresh process taking one upload through the product "
            f"(check, then apply, as the web process does with no broker; rolled back), {label}: "
            f"{peak:.0f} MB (goal < 300 MB) [{out.strip().splitlines()[-1]}]",
            flush=True,
        )
