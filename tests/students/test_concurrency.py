"""Issue #11, point 7: no user write fails because of the facts, and a rebuild running beside a
stream of writes ends equal to a fresh rebuild (DESIGN.md flow step 3).

PostgreSQL only (threads need real concurrent transactions); CI runs the suite on both.
"""

import random
import threading
import time
from datetime import date

import pytest
from django.conf import settings
from django.db import connection

from programs.models import Program
from students import facts as facts_module
from students import services
from students.demo import demo_generate
from students.facts import facts_rebuild
from students.models import (
    Award,
    AwardEvent,
    Student,
    StudentYearAwards,
    StudentYearBand,
    StudentYearFact,
    StudentYearOverlap,
)
from tests.factories import StudentFactory, UniversityFactory, user_with_role
from tests.students.kept_counts import assert_counts_kept

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL (concurrent transactions)"
    ),
    pytest.mark.django_db(transaction=True),
]


def snapshot():
    facts = sorted(
        StudentYearFact.objects.values_list(
            "student_id",
            "fiscal_year",
            "peak_rate",
            "counts",
            "program",
            "is_representative",
            "person_key",
            "person_peak_rate",
            "person_counts",
            "person_program",
            "has_multiple_support",
        )
    )
    overlaps = sorted(StudentYearOverlap.objects.values_list("student_id", "fiscal_year", "program_a", "program_b"))
    bands = sorted(
        StudentYearBand.objects.values_list(
            "student_id", "fiscal_year", "is_person", "national", "above", "up_to", "program"
        )
    )
    awards = sorted(
        StudentYearAwards.objects.values_list("student_id", "university_id", "fiscal_year", "program", "awards")
    )
    return facts, overlaps, bands, awards


def run_threads(*targets):
    """Run each callable in its own thread (its own connection); return the errors raised."""
    errors: list[BaseException] = []

    def wrap(target):
        def run():
            try:
                target()
            except BaseException as error:  # every failure is reported
                errors.append(error)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return errors


@pytest.fixture
def slow_rules(monkeypatch):
    """Widen the race: every refresh (the rebuild's batches and each write's own) pauses between
    reading its inputs and writing its rows, as a busy server would. Without the per-person locks
    a refresh then writes what it read before another transaction committed (both tests below
    fail on `_lock` made a no-op); with them, whoever locks a person second reads the first's rows."""
    compute = facts_module.compute_facts

    def paused(*args, **kwargs):
        result = compute(*args, **kwargs)
        time.sleep(0.02)
        return result

    monkeypatch.setattr(facts_module, "compute_facts", paused)


def test_writes_beside_a_rebuild_all_land_and_the_result_equals_a_fresh_rebuild(reference, slow_rules):
    demo_generate(scale=0.005, first_fy=2021, last_fy=2025, seed=5)
    user = user_with_role("writer", "administrator")
    open_awards = Award.objects.filter(status__in=[Award.Status.ACTIVE, Award.Status.SUSPENDED]).order_by("pk")
    awards = list(open_awards.values_list("pk", "start_date", "end_date"))
    rng = random.Random(7)
    # Few awards edited many times, while rebuilds run one after another until the writes end:
    # every write meets a batch computing its person now and then.
    edits = [rng.choice(awards[:: max(len(awards) // 20, 1)]) for _ in range(60)]
    events_before = AwardEvent.objects.filter(kind="amount_change").count()
    landed: list[tuple] = []
    writing = threading.Event()
    writing.set()

    def rebuild():
        while writing.is_set():
            facts_rebuild(batch_size=50)

    def write():
        try:
            write_all()
        finally:
            writing.clear()

    def write_all():
        for pk, start, _end in edits:
            award = Award.objects.get(pk=pk)
            if len(landed) % 2:
                # (on the code before issue #11 this write failed: "deadlock detected" on the facts)
                field = rng.choice(["science", "health", "humanities"])
                services.student_update(student=award.student, field=field, acting_user=user)
                landed.append(("field", award.student_id, field))
            else:
                amount = rng.choice([1_500_000, 1_800_000, 2_400_000, 2_760_000])
                services.award_event_create(
                    award=award, kind="amount_change", start_date=start, annual_living_cost=amount, acting_user=user
                )
                landed.append(("amount", pk, amount))

    errors = run_threads(rebuild, write)
    assert errors == []
    assert len(landed) == len(edits)
    # no write lost: every event is there, and each student holds the field written last
    amounts = [entry for entry in landed if entry[0] == "amount"]
    assert AwardEvent.objects.filter(kind="amount_change").count() == events_before + len(amounts)
    last_field = {student_id: field for kind, student_id, field in landed if kind == "field"}
    for student_id, field in last_field.items():
        assert Student.objects.get(pk=student_id).field == field
    assert_counts_kept()  # each rebuild summed the counts up while the writes inserted changes
    after = snapshot()
    facts_rebuild()
    assert snapshot() == after


def test_two_writes_on_one_person_both_land(reference, slow_rules):
    # One person (e-Rad 55556666) at two universities, an RA at each over the same fiscal year:
    # the person's rate in a month is the sum of both, so each write's refresh depends on the
    # other's award, and a refresh that read before the other committed would undo its change.
    a, b = UniversityFactory(), UniversityFactory()
    user = user_with_role("writer2", "administrator")
    first = StudentFactory(university=a, erad_number="55556666", entry_date=date(2024, 4, 1))
    second = StudentFactory(university=b, erad_number="55556666", entry_date=date(2024, 4, 1))
    ra = Program.objects.get(code="EMERGENT_RA")

    def ra_award(student):
        return services.award_create(
            student=student,
            program=ra,
            start_date=date(2025, 4, 1),
            end_date=date(2026, 3, 31),
            annual_living_cost=600_000,
            acting_user=user,
        )

    award_a, award_b = ra_award(first), ra_award(second)
    months = [date(2025 + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]

    def raise_amounts(award, step):
        def run():
            for number, month in enumerate(months, start=1):
                services.award_event_create(
                    award=Award.objects.get(pk=award.pk),
                    kind="amount_change",
                    start_date=month,
                    annual_living_cost=600_000 + number * step,
                    acting_user=user,
                )

        return run

    errors = run_threads(raise_amounts(award_a, 100_000), raise_amounts(award_b, 10_000), facts_rebuild)
    assert errors == []
    assert_counts_kept()
    assert award_a.events.count() == 12
    assert award_b.events.count() == 12
    after = snapshot()
    facts_rebuild()
    assert snapshot() == after
    # March 2026: 1,800,000 at A plus 720,000 at B
    person = StudentYearFact.objects.get(student=first, fiscal_year=2025)
    assert (person.person_peak_rate, person.person_counts) == (2_520_000, True)


def test_a_write_while_a_rebuild_batch_computes_its_person_is_not_undone(reference, monkeypatch):
    # The race made certain: the rebuild's batch holding the student has read the awards and
    # waits (up to 2 s) for the user's write to commit before it writes its rows. With the
    # per-person lock the write waits for the batch instead, then refreshes from what the batch
    # committed; without it the batch writes back the facts it read before the write (the
    # student stays uncounted: this test fails on `_lock` made a no-op).
    user = user_with_role("writer3", "administrator")
    university = UniversityFactory()
    spring = Program.objects.get(code="SPRING")
    students = [StudentFactory(university=university, entry_date=date(2024, 4, 1)) for _ in range(6)]
    awards = [
        services.award_create(
            student=student,
            program=spring,
            start_date=date(2025, 4, 1),
            end_date=date(2028, 3, 31),
            annual_living_cost=1_500_000,
            acting_user=user,
        )
        for student in students
    ]
    target = students[3]
    rebuilding = threading.local()
    in_batch, written = threading.Event(), threading.Event()
    compute = facts_module.compute_facts

    def paused(records, *args, **kwargs):
        result = compute(records, *args, **kwargs)
        if getattr(rebuilding, "active", False) and target.pk in records:
            in_batch.set()
            written.wait(timeout=2)
        return result

    monkeypatch.setattr(facts_module, "compute_facts", paused)

    def rebuild():
        rebuilding.active = True
        facts_rebuild(batch_size=2)

    def write():
        assert in_batch.wait(timeout=60)
        services.award_event_create(
            award=Award.objects.get(pk=awards[3].pk),
            kind="amount_change",
            start_date=date(2025, 4, 1),
            annual_living_cost=2_400_000,
            acting_user=user,
        )
        written.set()

    assert run_threads(rebuild, write) == []
    assert StudentYearFact.objects.get(student=target, fiscal_year=2025).counts is True
    after = snapshot()
    facts_rebuild()
    assert snapshot() == after


def test_a_refresh_of_a_whole_university_holds_a_bounded_number_of_locks(reference):
    # 10,000 students after an upload locked one key each and PostgreSQL answered "out of shared
    # memory" (its lock table holds max_locks_per_transaction × max_connections for everyone).
    from django.db import transaction

    university = UniversityFactory()
    students = Student.objects.bulk_create(
        [
            Student(university=university, student_number=f"L{n:05d}", field="science", entry_date=date(2024, 4, 1))
            for n in range(3000)
        ]
    )
    with transaction.atomic():
        facts_module.facts_refresh(student_ids=[s.pk for s in students])
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
            held = cursor.fetchone()[0]
    assert 0 < held <= facts_module.LOCK_BUCKETS


def test_writes_at_two_universities_at_once_keep_the_counts_exact(reference, slow_rules):
    """Two staff writing at once (their own students, at two universities: the same national
    counts move) while the counts are summed up again and again: no write waits on another's
    count or fails, and every count equals the fact rows counted afresh (the kept counts take
    changes, never update a row: students.models.NationalYearCount). The writes go on until the
    last summing up has ended, so a change lost or counted twice by it would stay (emptying and
    refilling in two statements, a pause between them, instead of one fails here)."""
    from students.facts import counts_rebuild

    ra = Program.objects.get(code="EMERGENT_RA")
    writers = []
    for n in range(2):
        university = UniversityFactory(founder=("national", "private")[n], national_group=(1, None)[n])
        user = user_with_role(f"staff{n}", "university_staff", university=university)
        awards = [
            services.award_create(
                student=StudentFactory(university=university, field="science"),
                program=ra,
                start_date=date(2024, 4, 1),
                end_date=date(2026, 3, 31),
                annual_living_cost=600_000,
                acting_user=user,
            )
            for _ in range(4)
        ]
        writers.append((user, awards))
    summed = threading.Event()

    def write(user, awards, seed):
        def run():
            rng = random.Random(seed)
            for _ in range(400):  # at most: until the summing up has ended, then a few more
                award = rng.choice(awards)
                cost = rng.choice([600_000, 1_900_000, 2_400_000])  # counted or not, and by how much
                services.award_update(award=Award.objects.get(pk=award.pk), annual_living_cost=cost, acting_user=user)
                if summed.is_set():
                    break

        return run

    def sum_up():
        try:
            for _ in range(8):
                counts_rebuild()
                time.sleep(0.01)
        finally:
            summed.set()

    errors = run_threads(*(write(user, awards, seed) for seed, (user, awards) in enumerate(writers)), sum_up)
    assert errors == []
    assert_counts_kept()
