"""Issue #11, point 7: no user write fails because of the facts, and a rebuild running beside a
stream of writes ends equal to a fresh rebuild (DESIGN.md flow step 3).

PostgreSQL only (threads need real concurrent transactions); CI runs the suite on both.
"""

import random
import threading
from datetime import date

import pytest
from django.conf import settings
from django.db import connection

from programs.models import Program
from students import services
from students.demo import demo_generate
from students.facts import facts_rebuild
from students.models import Award, StudentYearAwards, StudentYearBand, StudentYearFact, StudentYearOverlap
from tests.factories import StudentFactory, UniversityFactory, user_with_role

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


def test_writes_beside_a_rebuild_all_land_and_the_result_equals_a_fresh_rebuild(reference):
    demo_generate(scale=0.005, first_fy=2021, last_fy=2025, seed=5)
    user = user_with_role("writer", "administrator")
    open_awards = Award.objects.filter(status__in=[Award.Status.ACTIVE, Award.Status.SUSPENDED]).order_by("pk")
    awards = list(open_awards.values_list("pk", "start_date", "end_date"))
    rng = random.Random(7)
    edits = [rng.choice(awards) for _ in range(60)]
    landed = []

    def rebuild():
        for _ in range(2):
            facts_rebuild(batch_size=25)

    def write():
        for pk, start, _end in edits:
            award = Award.objects.get(pk=pk)
            if len(landed) % 2:
                # (on the code before issue #11 this write failed: "deadlock detected" on the facts)
                services.student_update(
                    student=award.student, field=rng.choice(["science", "health", "humanities"]), acting_user=user
                )
            else:
                amount = rng.choice([1_500_000, 1_800_000, 2_400_000, 2_760_000])
                services.award_event_create(
                    award=award, kind="amount_change", start_date=start, annual_living_cost=amount, acting_user=user
                )
            landed.append(pk)

    errors = run_threads(rebuild, write)
    assert errors == []
    assert len(landed) == len(edits)
    after = snapshot()
    facts_rebuild()
    assert snapshot() == after


def test_two_writes_on_one_person_both_land(reference):
    a, b = UniversityFactory(), UniversityFactory()
    user = user_with_role("writer2", "administrator")
    first = StudentFactory(university=a, erad_number="55556666", entry_date=date(2024, 4, 1))
    second = StudentFactory(university=b, erad_number="55556666", entry_date=date(2025, 4, 1))
    ra = Program.objects.get(code="EMERGENT_RA")
    award_a = services.award_create(
        student=first,
        program=ra,
        start_date=date(2024, 4, 1),
        end_date=date(2025, 3, 31),
        annual_living_cost=1_000_000,
        acting_user=user,
    )
    award_b = services.award_create(
        student=second,
        program=ra,
        start_date=date(2025, 4, 1),
        end_date=date(2026, 3, 31),
        annual_living_cost=1_000_000,
        acting_user=user,
    )

    def raise_amounts(award, months):
        def run():
            for month in months:
                services.award_event_create(
                    award=Award.objects.get(pk=award.pk),
                    kind="amount_change",
                    start_date=month,
                    annual_living_cost=1_000_000 + month.month * 100_000,
                    acting_user=user,
                )

        return run

    months_a = [date(2024 + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    months_b = [date(2025 + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    errors = run_threads(raise_amounts(award_a, months_a), raise_amounts(award_b, months_b), lambda: facts_rebuild())
    assert errors == []
    assert award_a.events.count() == 12
    assert award_b.events.count() == 12
    after = snapshot()
    facts_rebuild()
    assert snapshot() == after
    # March 2025 pays 1,300,000 and March 2026 1,300,000; the best month is December: 2,200,000
    assert StudentYearFact.objects.get(student=first, fiscal_year=2024).person_peak_rate == 2_200_000
