"""The derived per-student-per-fiscal-year facts (DESIGN.md flow step 3).

Fetch, then calculate (STYLE.md): rows are read into `programs.rules` dataclasses, the
rules decide, and the rows are upserted. An incremental refresh and a full rebuild run the
same code on the same inputs, so they cannot disagree.

Concurrency: every refresh takes a transaction-scoped advisory lock per person (PostgreSQL;
a no-op on SQLite) before it reads, and writes by upsert, deleting only rows that no longer
exist. A rebuild is a sequence of such refreshes in short batches, each its own transaction,
so a write beside a rebuild waits at most one batch and never fails on a duplicate row, and
whichever of the two takes a person's lock last reads the other's committed rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import F

from programs import rules
from programs.models import LivingCostFloor
from students.models import (
    FactsVersion,
    Student,
    StudentYearBand,
    StudentYearFact,
    StudentYearOverlap,
)
from students.selectors import award_terms

REBUILD_BATCH = 500  # a write beside a rebuild waits for at most one batch


@dataclass(frozen=True)
class StudentRecord:
    student_id: int
    university_id: int
    erad_number: str
    founder: str
    national_group: int | None
    field: str
    is_international: bool
    is_working_adult: bool
    entry_date: date
    completion_date: date | None

    @property
    def enrolment(self) -> rules.Enrolment:
        return rules.Enrolment(self.entry_date, self.completion_date)

    @property
    def person_key(self) -> str:
        """Records sharing an e-Rad number are one person (DOMAIN.md: A person)."""
        return f"erad:{self.erad_number}" if self.erad_number else f"student:{self.student_id}"


def floor_versions() -> list[rules.FloorVersion]:
    return [
        rules.FloorVersion(effective_from=f.effective_from, annual_yen=f.annual_amount)
        for f in LivingCostFloor.objects.order_by("effective_from")
    ]


def fetch_records(student_ids: Iterable[int]) -> dict[int, StudentRecord]:
    rows = Student.objects.filter(pk__in=list(student_ids)).values_list(
        "pk",
        "university_id",
        "erad_number",
        "university__founder",
        "university__national_group",
        "field",
        "is_international",
        "is_working_adult",
        "entry_date",
        "completion_date",
    )
    return {row[0]: StudentRecord(*row) for row in rows}


def with_person_peers(student_ids: Iterable[int]) -> set[int]:
    """The given students plus every other record of the same persons (shared e-Rad number)."""
    return _persons(set(student_ids))[0]


def _persons(ids: set[int]) -> tuple[set[int], set[str]]:
    """(the students with every record of their persons, the lock keys of those persons)."""
    rows = list(Student.objects.filter(pk__in=ids).values_list("pk", "erad_number"))
    erads = {erad for _pk, erad in rows if erad}
    if erads:
        rows += list(Student.objects.filter(erad_number__in=erads).values_list("pk", "erad_number"))
    everyone = ids | {pk for pk, _erad in rows}
    # A record is locked under its id and its e-Rad number, so a write that moves it from one
    # person to another waits for both.
    keys = {f"s:{pk}" for pk in everyone} | {f"e:{erad}" for erad in erads}
    return everyone, keys


# Keys share this many advisory locks: each is held until the transaction ends, in a lock
# table of about max_locks_per_transaction × max_connections (6,400 by default) for the whole
# server, so a 100,000-row upload locking one per person failed with "out of shared memory".
# A bounded number keeps every transaction within it; two persons sharing a lock only wait.
LOCK_SLOTS = 1024  # a power of two: a key's slot is the low bits of its hash


def _lock(keys: set[str]) -> None:
    """Transaction-scoped advisory locks, taken in one global order (slot number) so two
    transactions never wait for each other in a circle. A no-op off PostgreSQL."""
    if not keys or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(slot)) FROM ("
            " SELECT DISTINCT hashtextextended(k, 0) & %s::bigint AS slot FROM unnest(%s::text[]) AS k ORDER BY 1 OFFSET 0"
            ") AS ordered",
            [LOCK_SLOTS - 1, sorted(keys)],
        )


def compute_facts(
    records: dict[int, StudentRecord],
    terms: dict[int, list[rules.AwardTerms]],
    floors: list[rules.FloorVersion],
) -> tuple[list[StudentYearFact], list[StudentYearOverlap], list[StudentYearBand]]:
    """Fact rows for complete persons: every record of each person must be in `records`."""
    persons: dict[str, list[StudentRecord]] = defaultdict(list)
    for record in records.values():
        persons[record.person_key].append(record)
    facts: list[StudentYearFact] = []
    overlaps: list[StudentYearOverlap] = []
    bands: list[StudentYearBand] = []
    for person_records in persons.values():
        person_enrolments = [r.enrolment for r in person_records]
        person_awards = [a for r in person_records for a in terms.get(r.student_id, [])]
        record_years = {r.student_id: rules.fiscal_years_touched(terms.get(r.student_id, [])) for r in person_records}
        for fy in sorted(set().union(*record_years.values())):
            person = rules.year_outcome(person_awards, fy, floors, person_enrolments)
            outcomes = {
                # A person with one record (most people) needs no second computation.
                r.student_id: person
                if len(person_records) == 1
                else rules.year_outcome(terms[r.student_id], fy, floors, [r.enrolment])
                for r in person_records
                if fy in record_years[r.student_id]
            }
            # The representative carries the person in national figures: highest peak, then lowest id.
            representative = min(outcomes, key=lambda sid: (-outcomes[sid].peak_rate, sid))
            for student_id, outcome in outcomes.items():
                record = records[student_id]
                pairs = rules.concurrent_pairs(terms[student_id], fy)
                overlaps.extend(
                    StudentYearOverlap(
                        student_id=student_id,
                        university_id=record.university_id,
                        fiscal_year=fy,
                        person_key=record.person_key,
                        program_a=a,
                        program_b=b,
                    )
                    for a, b in sorted(pairs)
                )
                facts.append(
                    StudentYearFact(
                        student_id=student_id,
                        university_id=record.university_id,
                        fiscal_year=fy,
                        person_key=record.person_key,
                        peak_rate=outcome.peak_rate,
                        counts=outcome.counts,
                        program=outcome.program or "",
                        is_representative=student_id == representative,
                        person_peak_rate=person.peak_rate,
                        person_counts=person.counts,
                        person_program=person.program or "",
                        has_multiple_support=bool(pairs),
                        founder=record.founder,
                        national_group=record.national_group,
                        field=record.field,
                        is_international=record.is_international,
                        is_working_adult=record.is_working_adult,
                    )
                )
                single = len(person_records) == 1
                for is_person, source in ((False, outcome), (True, person)):
                    if is_person and (single or student_id != representative):
                        continue
                    bands.extend(
                        StudentYearBand(
                            student_id=student_id,
                            university_id=record.university_id,
                            fiscal_year=fy,
                            is_person=is_person,
                            national=is_person or single,
                            above=band.above,
                            up_to=band.up_to,
                            program=band.program,
                        )
                        for band in source.bands
                    )
    return facts, overlaps, bands


def facts_version() -> str:
    """A token that changes whenever the facts change (the time guards against a restored database)."""
    row = FactsVersion.objects.filter(pk=1).values_list("version", "changed_at").first()
    return f"{row[0]}-{row[1].timestamp():.6f}" if row else "0"


def _bump_version() -> None:
    """Mark the facts as changed, after the commit so the row lock is held for an instant only."""

    def bump() -> None:
        if not FactsVersion.objects.filter(pk=1).update(version=F("version") + 1):
            FactsVersion.objects.get_or_create(pk=1, defaults={"version": 1})

    transaction.on_commit(bump)


def _upsert(model: type, rows: list, unique: list[str], ids: set[int]) -> None:
    """Insert or update `rows`, then delete the students' rows that are no longer there."""
    update = [f.name for f in model._meta.concrete_fields if f.name != "id" and f.name not in unique]
    if rows:
        model.objects.bulk_create(
            rows, batch_size=1000, update_conflicts=True, unique_fields=unique, update_fields=update
        )
    wanted = {tuple(getattr(row, f"{name}_id" if name == "student" else name) for name in unique) for row in rows}
    stale = [
        pk
        for pk, *key in model.objects.filter(student_id__in=ids).values_list("pk", "student_id", *unique[1:])
        if tuple(key) not in wanted
    ]
    if stale:
        model.objects.filter(pk__in=stale).delete()


def _refresh_locked(ids: set[int], floors: list[rules.FloorVersion]) -> int:
    """Inside a transaction: lock the persons of `ids`, read, compute and upsert their rows."""
    ids, keys = _persons(ids)
    _lock(keys)
    while True:  # an e-Rad number may have changed before the lock was ours
        again, more = _persons(ids)
        if again <= ids and more <= keys:
            break
        _lock(more - keys)
        ids, keys = ids | again, keys | more
    facts, overlaps, bands = compute_facts(fetch_records(ids), award_terms(ids), floors)
    _upsert(StudentYearFact, facts, ["student", "fiscal_year"], ids)
    _upsert(StudentYearOverlap, overlaps, ["student", "fiscal_year", "program_a", "program_b"], ids)
    _upsert(StudentYearBand, bands, ["student", "fiscal_year", "is_person", "up_to"], ids)
    _bump_version()
    return len(facts)


def facts_refresh(*, student_ids: Iterable[int]) -> int:
    """Recompute the facts of the given students (and their person peers); returns rows written.

    Callers pass every student whose person may have changed: after an e-Rad number changes,
    the record and its old partners (DOMAIN.md: "Changing or clearing a number re-counts both
    the old and the new person at once").
    """
    ids = set(student_ids)
    if not ids:
        return 0
    with transaction.atomic():
        return _refresh_locked(ids, floor_versions())


def _person_batches(batch_size: int) -> Iterator[list[int]]:
    """Student ids in batches that never split a person across two batches."""
    batch: list[int] = []
    seen: set[int] = set()
    erad_groups: dict[str, list[int]] = defaultdict(list)
    for pk, erad in Student.objects.exclude(erad_number="").values_list("pk", "erad_number"):
        erad_groups[erad].append(pk)
    for pk, erad in Student.objects.order_by("pk").values_list("pk", "erad_number").iterator(chunk_size=5000):
        if pk in seen:
            continue
        group = erad_groups[erad] if erad else [pk]
        seen.update(group)
        batch.extend(group)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def facts_rebuild(*, batch_size: int = REBUILD_BATCH) -> int:
    """Rebuild every fact row from the awards, batch by batch, each batch its own short
    transaction under the same per-person locks as a write (DESIGN.md flow step 3). Must end
    equal to what incremental refreshes give, however many writes run beside it."""
    floors = floor_versions()
    written = 0
    for ids in _person_batches(batch_size):
        with transaction.atomic():
            written += _refresh_locked(set(ids), floors)
    return written
