"""Rebuild equals incremental: random edits through the services, then a full rebuild."""

import random
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count

from dashboards.selectors import Scope, gross_awards, university_table
from programs import rules
from programs.models import Program
from students import services
from students.demo import demo_generate
from students.facts import facts_rebuild
from students.models import Award, StudentYearAwards, StudentYearBand, StudentYearFact, StudentYearOverlap
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
    "person_several_universities",
    "person_several_up_to",
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
    awards = sorted(
        StudentYearAwards.objects.values_list("student_id", "university_id", "fiscal_year", "program", "awards")
    )
    return facts, overlaps, bands, awards


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
    # The derived award counts are the awards active in each fiscal year, counted from the awards.
    for fy in range(2021, 2027):
        start, end = rules.fiscal_year_bounds(fy)
        direct = Award.objects.filter(start_date__lte=end, end_date__gte=start).order_by()
        assert gross_awards(fy) == dict(direct.values_list("program__code").annotate(n=Count("pk")))
        assert dict(direct.values_list("university_id").annotate(n=Count("pk"))) == {
            row.university_id: row.awards for row in university_table(Scope(fy)) if row.awards
        }


def test_the_written_columns_are_the_tables_columns():
    # compute_facts builds plain rows in these orders: a column added to a model must be added here.
    from students.facts import AWARD_COUNTS, BANDS, FACTS, OVERLAPS

    for table in (FACTS, OVERLAPS, BANDS, AWARD_COUNTS):
        stored = {f.attname for f in table.model._meta.concrete_fields} - {"id"}
        assert set(table.columns) == stored, table.model.__name__
        assert len(table.columns) == len(stored)


def _spy_writes(monkeypatch):
    """Which write path each derived table's rows took: "copy" straight into the table (nothing
    stored yet, PostgreSQL), "staged" (COPY into a staging table, then upsert), "statements"."""
    from phdsupport import bulk
    from students import facts

    paths = []
    copy_rows, staged, upsert = bulk.copy_rows, facts._upsert_staged, facts._upsert_rows

    def spy(name, fn):
        def call(*args, **kwargs):
            paths.append(name)
            return fn(*args, **kwargs)

        return call

    monkeypatch.setattr(bulk, "copy_rows", spy("copy", copy_rows))
    monkeypatch.setattr(facts, "_upsert_staged", spy("staged", staged))
    monkeypatch.setattr(facts, "_upsert_rows", spy("upsert", upsert))
    return paths


def test_a_rebuild_into_empty_tables_writes_the_same_rows_by_copy_or_by_statements(reference, monkeypatch):
    from django.db import connection

    from students import facts

    demo_generate(scale=0.005, first_fy=2021, last_fy=2025, seed=11)
    built = snapshot()
    assert len(built[0]) > 600  # one batch of 500 students writes more rows than COPY_FROM
    paths = _spy_writes(monkeypatch)
    for copy_from in (0, 10**9):  # COPY_FROM does not matter: nothing is stored, nothing to upsert
        with connection.cursor() as cursor:
            for table in ("studentyearfact", "studentyearband", "studentyearoverlap", "studentyearawards"):
                cursor.execute(f"DELETE FROM students_{table}")
        monkeypatch.setattr(facts, "COPY_FROM", copy_from)
        paths.clear()
        facts_rebuild()
        assert snapshot() == built
        # Nothing stored yet: straight in by COPY on PostgreSQL, by the upsert's statements elsewhere.
        assert set(paths) == ({"copy"} if connection.vendor == "postgresql" else {"upsert"})
    # and a rebuild over up-to-date rows changes nothing
    paths.clear()
    facts_rebuild()
    assert snapshot() == built
    assert paths == []


def test_a_rebuild_over_stored_rows_that_differ_upserts_them_staged_or_by_statements(reference, monkeypatch):
    from django.db import connection
    from django.db.models import F

    from students import facts

    demo_generate(scale=0.005, first_fy=2021, last_fy=2025, seed=11)
    built = snapshot()
    paths = _spy_writes(monkeypatch)
    for copy_from in (0, 10**9):  # every upsert staged (PostgreSQL), then every upsert by statements
        # Every stored row wrong, and some rows missing or left over: the rebuild compares and repairs.
        StudentYearFact.objects.update(peak_rate=F("peak_rate") + 1)
        StudentYearBand.objects.update(up_to=F("up_to") + 1)  # their keys change: stale rows and new ones
        StudentYearAwards.objects.update(awards=F("awards") + 1)
        StudentYearOverlap.objects.all().delete()
        monkeypatch.setattr(facts, "COPY_FROM", copy_from)
        paths.clear()
        facts_rebuild()
        assert snapshot() == built
        staged = connection.vendor == "postgresql" and copy_from == 0
        assert "upsert" in paths
        assert ("staged" in paths) == staged
        # The overlaps of students with nothing stored in that table go straight in.
        assert ("copy" in paths) == (connection.vendor == "postgresql" and built[1] != [])
