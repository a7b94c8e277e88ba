"""Rebuild equals incremental: random edits through the services, then a full rebuild."""

import random
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from programs.models import Program
from students import services
from students.demo import demo_generate
from students.facts import facts_rebuild
from students.models import Award, StudentYearBand, StudentYearFact, StudentYearOverlap
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
FIELDS = (
    "student_id",
    "fiscal_year",
    "peak_rate",
    "counts",
    "program",
    "is_representative",
    "person_peak_rate",
    "person_counts",
    "person_program",
    "has_multiple_support",
    "founder",
    "field",
)


def snapshot():
    facts = sorted(StudentYearFact.objects.values_list(*FIELDS))
    overlaps = sorted(StudentYearOverlap.objects.values_list("student_id", "fiscal_year", "program_a", "program_b"))
    bands = sorted(
        StudentYearBand.objects.values_list(
            "student_id", "fiscal_year", "is_person", "national", "above", "up_to", "program"
        )
    )
    return facts, overlaps, bands


def test_rebuild_equals_incremental_after_random_edits(reference):
    demo_generate(scale=0.005, first_fy=2021, last_fy=2025, seed=11)
    facts_rebuild()
    rng = random.Random(3)
    user = user_with_role("editor", "administrator")
    programs = {p.code: p for p in Program.objects.all()}
    awards = list(Award.objects.select_related("student", "program"))
    edits = 0
    for award in rng.sample(awards, k=min(40, len(awards))):
        action = rng.choice(["amount", "suspend", "terminate", "ra", "erad", "raise", "complete", "clear"])
        try:
            if action == "amount":
                services.award_update(
                    award=award, annual_living_cost=rng.choice([1_500_000, 1_800_000, 2_400_000]), acting_user=user
                )
            elif action == "suspend":
                services.award_event_create(
                    award=award,
                    kind="suspension",
                    start_date=award.start_date,
                    end_date=date(award.start_date.year, 12, 31),
                    acting_user=user,
                )
            elif action == "terminate":
                services.award_event_create(
                    award=award, kind="termination", start_date=award.start_date, acting_user=user
                )
            elif action == "ra":
                if award.program.code == "EMERGENT_RA":
                    continue  # the same program on the same start date is a duplicate award, not an edit
                services.award_create(
                    student=award.student,
                    program=programs["EMERGENT_RA"],
                    start_date=award.start_date,
                    end_date=award.end_date,
                    annual_living_cost=900_000,
                    acting_user=user,
                )
            elif action == "raise":
                services.award_event_create(
                    award=award,
                    kind="amount_change",
                    start_date=award.start_date.replace(day=15),
                    annual_living_cost=2_760_000,
                    acting_user=user,
                )
            elif action == "complete":
                services.student_update(
                    student=award.student, completion_date=date(award.start_date.year + 1, 9, 30), acting_user=user
                )
            elif action == "clear":
                services.student_update(student=award.student, erad_number="", acting_user=user)
            else:
                services.student_update(student=award.student, erad_number="11112222", acting_user=user)
            edits += 1
        except ValidationError:
            pass  # a refused edit writes nothing, which is also what the rebuild must see
    assert edits > 20
    incremental = snapshot()
    facts_rebuild()
    assert snapshot() == incremental


def test_the_written_columns_are_the_tables_columns():
    # compute_facts builds plain rows in these orders: a column added to a model must be added here.
    from students.facts import BANDS, FACTS, OVERLAPS

    for table in (FACTS, OVERLAPS, BANDS):
        stored = {f.attname for f in table.model._meta.concrete_fields} - {"id"}
        assert set(table.columns) == stored, table.model.__name__
        assert len(table.columns) == len(stored)


def test_a_rebuild_into_empty_tables_writes_the_same_rows_by_copy_or_by_statements(reference, monkeypatch):
    from django.db import connection

    from students import facts

    demo_generate(scale=0.005, first_fy=2021, last_fy=2025, seed=11)
    built = snapshot()
    assert len(built[0]) > 600  # one batch of 500 students writes more rows than COPY_FROM
    for copy_from in (0, 10**9):  # every write by COPY (PostgreSQL), then every write by INSERT
        with connection.cursor() as cursor:
            for table in ("studentyearfact", "studentyearband", "studentyearoverlap"):
                cursor.execute(f"DELETE FROM students_{table}")
        monkeypatch.setattr(facts, "COPY_FROM", copy_from)
        facts_rebuild()
        assert snapshot() == built
    # and a rebuild over up-to-date rows changes nothing
    facts_rebuild()
    assert snapshot() == built
