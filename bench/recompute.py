"""Recompute of the derived facts (issues #11 and #14): the full rebuild, where its time goes, the
rebuild beside a stream of award edits, and the refresh of one university's facts against reading
its awards. Runs on the national data set bench/run.py generated; prints, never asserts.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import defaultdict
from contextlib import contextmanager

from django.db import connection, transaction

from students import facts as facts_module
from students.facts import counts_rebuild, facts_rebuild, facts_refresh
from students.models import Award, AwardEvent, Student, StudentYearFact, University
from students.selectors import award_terms

# Every table the facts refresh writes (students.facts: FACTS, OVERLAPS, BANDS, AWARD_COUNTS and the
# kept counts): an "empty" run must start with none of them stored, or it times a compare against
# stale rows.
DERIVED = (
    "students_studentyearfact, students_studentyearband, students_studentyearoverlap, students_studentyearawards,"
    " students_nationalyearcount, students_universityyearcount"
)
UNIVERSITY_STUDENTS = 10_000


def _median(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _server_cpu() -> float | None:
    """CPU seconds the PostgreSQL backend of this connection has used (it runs on this machine:
    /proc), or None where it cannot be read."""
    import os

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _empty_derived_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {DERIVED}")
        cursor.execute(f"ANALYZE {DERIVED}")


@contextmanager
def _phases():
    """Wall time spent in each step of a refresh, by wrapping the module's own functions."""
    spent: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    steps = {
        "_persons": "find the persons and their records",
        "_lock": "take the per-person advisory locks",
        "fetch_records": "read students (enrolment, breakdown columns)",
        "award_terms": "read awards and events into rule inputs",
        "compute_facts": "apply programs.rules (counting, attribution, what-if bands, overlaps)",
        "_sync": "compare with the stored rows and write the differences",
    }
    originals = {name: getattr(facts_module, name) for name in steps}

    def wrap(name, fn):
        def timed(*args, **kwargs):
            start, start_cpu = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start
                cpu[name] += time.thread_time() - start_cpu

        return timed

    for name, fn in originals.items():
        setattr(facts_module, name, wrap(name, fn))
    try:
        yield spent, cpu, steps
    finally:
        for name, fn in originals.items():
            setattr(facts_module, name, fn)


def rebuild(args) -> float:
    """The national rebuild, over up-to-date facts and into empty tables; returns rows/s of the
    former (the case the rebuild beside writes repeats)."""
    rows = StudentYearFact.objects.count()
    print(
        f"facts: {rows:,} student-year rows for {Student.objects.count():,} students and "
        f"{Award.objects.count():,} awards; rows/s below counts these rows"
    )
    seconds, written = _median(facts_rebuild, 1)
    up_to_date = written / seconds
    print(
        f"full rebuild over up-to-date facts (the nightly run: every person locked, read and "
        f"computed, nothing to write): {written:,} rows in {seconds:.1f}s = {up_to_date:,.0f} rows/s"
    )
    _empty_derived_tables()
    cpu, server = time.process_time(), _server_cpu()
    with _phases() as (spent, cpu_spent, steps):
        start = time.perf_counter()
        written = facts_rebuild()
        seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    server = None if server is None else _server_cpu() - server
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {DERIVED}")
    rate = written / seconds
    print(
        f"full rebuild into empty tables (every row computed and written: after a floor or rule "
        f"change): {written:,} rows in {seconds:.1f}s = {rate:,.0f} rows/s (goal ≥ 20,000)"
    )
    print(
        f"  where the time goes: {seconds:.1f}s wall, of which this process's CPU {cpu:.1f}s (the rest is "
        f"PostgreSQL, the network and waiting for a core on a shared machine); per step, wall and CPU:"
    )
    for name, label in steps.items():
        print(f"    {spent[name]:6.1f}s {spent[name] / seconds:4.0%}  CPU {cpu_spent[name]:5.1f}s  {label}")
    other = seconds - sum(spent.values())
    print(f"    {other:6.1f}s {other / seconds:4.0%}  batching, transactions, commits")
    if server is not None:
        print(
            f"  CPU of the rebuild: {cpu:.1f}s here + {server:.1f}s in its PostgreSQL backend = "
            f"{written / (cpu + server):,.0f} rows per CPU-second; the wall time is {seconds / (cpu + server):.1f}× "
            f"that CPU time (waiting for a core the machine's other work holds)"
        )
    per_row = 1e6 * cpu_spent["compute_facts"] / written
    all_in = 1e6 * cpu / written
    print(
        f"  CPU per row: programs.rules {per_row:.0f} µs (at most {1e6 / per_row:,.0f} rows/s on one free core), "
        f"the whole rebuild in this process {all_in:.0f} µs (at most {1e6 / all_in:,.0f} rows/s)"
    )
    return up_to_date


def rebuild_beside_writes(args, quiet_rows_per_second: float) -> None:
    """Rows/s of a rebuild while award edits stream in, and the p95 latency of those edits,
    each against the quiet case (issue #11: no write fails or stalls because of the facts)."""
    from students import services
    from tests.factories import user_with_role

    editor = user_with_role("bench_editor", "administrator")
    open_awards = list(
        Award.objects.filter(status=Award.Status.ACTIVE).order_by("?").values_list("pk", flat=True)[:5000]
    )
    rng = random.Random(1)

    def edit() -> float:
        award = Award.objects.get(pk=rng.choice(open_awards))
        start = time.perf_counter()
        services.award_event_create(
            award=award,
            kind="amount_change",
            start_date=award.start_date,
            annual_living_cost=award.annual_living_cost,
            acting_user=editor,
        )
        return time.perf_counter() - start

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]

    quiet = [edit() for _ in range(args.edits)]
    done, result = threading.Event(), {}

    def run() -> None:
        try:
            start = time.perf_counter()
            result["rows"] = facts_rebuild()
            result["seconds"] = time.perf_counter() - start
        finally:
            done.set()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    busy, failures = [], 0
    while not done.is_set():
        try:
            busy.append(edit())
        except Exception:  # a failed write is what this measures
            failures += 1
    thread.join()
    busy_rows_per_second = result["rows"] / result["seconds"]
    print(
        f"rebuild over up-to-date facts beside {len(busy):,} award edits (an amount-change event each, "
        f"through the service, facts refreshed in the same transaction): {busy_rows_per_second:,.0f} rows/s "
        f"(ratio to the quiet rebuild {busy_rows_per_second / quiet_rows_per_second:.2f}×), failed writes: {failures}"
    )
    print(
        f"award edit p95: quiet {p95(quiet) * 1000:.1f} ms ({len(quiet)} edits), beside a rebuild "
        f"{p95(busy) * 1000:.1f} ms (ratio {p95(busy) / p95(quiet):.1f}×)"
    )


def clone_university(size: int, seed: int = 1) -> University:
    """A university of `size` students copied from random students of the data set, with their
    awards, suspensions and amount changes (no e-Rad numbers: no persons shared with others)."""
    rng = random.Random(seed)
    ids = list(Student.objects.values_list("pk", flat=True))
    chosen = [rng.choice(ids) for _ in range(size)]
    sources = Student.objects.in_bulk(set(chosen))
    university = University.objects.create(
        name_ja=f"ベンチ大学R{time.time_ns() % 10**6}", founder="national", national_group=1, is_synthetic=True
    )
    with transaction.atomic():
        students = []
        for number, pk in enumerate(chosen):
            source = sources[pk]
            students.append(
                Student(
                    university=university,
                    student_number=f"R{number:05d}",
                    family_name=source.family_name,
                    given_name=source.given_name,
                    field=source.field,
                    entry_date=source.entry_date,
                    status=source.status,
                    completion_date=source.completion_date,
                    is_international=source.is_international,
                    is_working_adult=source.is_working_adult,
                )
            )
        Student.objects.bulk_create(students, batch_size=2000)
        copy_of = {student.pk: pk for student, pk in zip(students, chosen, strict=True)}
        awards_of = defaultdict(list)
        for award in Award.objects.filter(student_id__in=set(chosen)):
            awards_of[award.student_id].append(award)
        events_of = defaultdict(list)
        for event in AwardEvent.objects.filter(award__student_id__in=set(chosen)):
            events_of[event.award_id].append(event)
        new_awards, new_events = [], []
        for student in students:
            for award in awards_of[copy_of[student.pk]]:
                copy = Award(
                    student=student,
                    university=university,
                    program_id=award.program_id,
                    start_date=award.start_date,
                    end_date=award.end_date,
                    annual_living_cost=award.annual_living_cost,
                    annual_research_cost=award.annual_research_cost,
                    status=award.status,
                    is_reserved=award.is_reserved,
                )
                new_awards.append(copy)
                new_events.append((copy, events_of[award.pk]))
        Award.objects.bulk_create(new_awards, batch_size=2000)
        AwardEvent.objects.bulk_create(
            [
                AwardEvent(
                    award=copy,
                    university=university,
                    kind=event.kind,
                    start_date=event.start_date,
                    end_date=event.end_date,
                    previous_end_date=event.previous_end_date,
                    annual_living_cost=event.annual_living_cost,
                )
                for copy, events in new_events
                for event in events
            ],
            batch_size=2000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return university


def university_refresh(args) -> None:
    """#14 Recompute: the facts of one university of 10,000 students refreshed, against reading
    its awards."""
    university = clone_university(args.university_students)
    ids = list(Student.objects.filter(university=university).values_list("pk", flat=True))
    awards = Award.objects.filter(university=university).count()
    events = AwardEvent.objects.filter(award__university=university).count()
    print(f"university of {len(ids):,} students, {awards:,} awards, {events:,} events (copied from the data set)")

    def read_raw():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.id, a.student_id, p.code, p.audience, a.annual_living_cost, a.start_date, a.end_date,"
                " p.is_exclusive FROM students_award a JOIN programs_program p ON p.id = a.program_id"
                " WHERE a.university_id = %s",
                [university.pk],
            )
            rows = cursor.fetchall()
            cursor.execute(
                "SELECT e.award_id, e.kind, e.start_date, e.end_date, e.annual_living_cost"
                " FROM students_awardevent e JOIN students_award a ON a.id = e.award_id"
                " WHERE a.university_id = %s AND e.kind IN ('suspension', 'amount_change')",
                [university.pk],
            )
            return len(rows) + len(cursor.fetchall())

    raw_seconds, _ = _median(read_raw, args.repeat)
    terms_seconds, _ = _median(lambda: award_terms(university_id=university.pk), args.repeat)

    def refresh_from_empty():
        StudentYearFact.objects.filter(university=university).delete()
        for model in ("studentyearband", "studentyearoverlap", "studentyearawards"):
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM students_{model} WHERE university_id = %s", [university.pk])
        start = time.perf_counter()
        rows = facts_refresh(student_ids=ids)
        return time.perf_counter() - start, rows

    fresh = [refresh_from_empty() for _ in range(args.repeat)]
    counts_rebuild()  # the facts were emptied behind the kept counts' back: each refresh added them again
    fresh_seconds = statistics.median(s for s, _rows in fresh)
    rows = fresh[0][1]
    again_seconds, _ = _median(lambda: facts_refresh(student_ids=ids), args.repeat)
    print(
        f"read its awards and events, raw SQL (rows fetched, nothing built): {raw_seconds * 1000:,.0f} ms; "
        f"read into rule inputs (students.selectors.award_terms): {terms_seconds * 1000:,.0f} ms"
    )
    print(
        f"refresh of its facts, none stored yet (as after an upload; {rows:,} rows computed and written): "
        f"{fresh_seconds * 1000:,.0f} ms = {fresh_seconds / raw_seconds:.1f}× the raw read, "
        f"{fresh_seconds / terms_seconds:.1f}× award_terms (goal < 2×)"
    )
    print(
        f"refresh of its facts, already up to date (computed, nothing to write): {again_seconds * 1000:,.0f} ms "
        f"= {again_seconds / raw_seconds:.1f}× the raw read, {again_seconds / terms_seconds:.1f}× award_terms"
    )


def bench(args) -> None:
    quiet = rebuild(args)
    rebuild_beside_writes(args, quiet)
    university_refresh(args)
