"""The derived per-student-per-fiscal-year facts (DESIGN.md flow step 3).

Fetch, then calculate (STYLE.md): rows are read into `programs.rules` dataclasses, the
rules decide, and the rows are replaced. An incremental refresh and a full rebuild run the
same code on the same inputs, so they cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from programs import rules
from programs.models import LivingCostFloor
from students.models import FactsVersion, Student, StudentYearFact, StudentYearOverlap
from students.selectors import award_terms

REBUILD_BATCH = 2000


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
    )
    return {row[0]: StudentRecord(*row) for row in rows}


def with_person_peers(student_ids: Iterable[int]) -> set[int]:
    """The given students plus every other record of the same persons (shared e-Rad number)."""
    ids = set(student_ids)
    erads = set(Student.objects.filter(pk__in=ids).exclude(erad_number="").values_list("erad_number", flat=True))
    if erads:
        ids |= set(Student.objects.filter(erad_number__in=erads).values_list("pk", flat=True))
    return ids


def compute_facts(
    records: dict[int, StudentRecord],
    terms: dict[int, list[rules.AwardTerms]],
    floors: list[rules.FloorVersion],
) -> tuple[list[StudentYearFact], list[StudentYearOverlap]]:
    """Fact rows for complete persons: every record of each person must be in `records`."""
    persons: dict[str, list[StudentRecord]] = defaultdict(list)
    for record in records.values():
        persons[record.person_key].append(record)
    facts: list[StudentYearFact] = []
    overlaps: list[StudentYearOverlap] = []
    for person_records in persons.values():
        person_awards = [a for r in person_records for a in terms.get(r.student_id, [])]
        record_years = {r.student_id: rules.fiscal_years_touched(terms.get(r.student_id, [])) for r in person_records}
        for fy in sorted(set().union(*record_years.values())):
            person = rules.year_outcome(person_awards, fy, floors)
            outcomes = {
                # A person with one record (most people) needs no second computation.
                r.student_id: person
                if len(person_records) == 1
                else rules.year_outcome(terms[r.student_id], fy, floors)
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
                        peak_program=outcome.peak_program or "",
                        person_peak_program=person.peak_program or "",
                        has_multiple_support=bool(pairs),
                        founder=record.founder,
                        national_group=record.national_group,
                        field=record.field,
                        is_international=record.is_international,
                        is_working_adult=record.is_working_adult,
                    )
                )
    return facts, overlaps


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


def _write(facts: list[StudentYearFact], overlaps: list[StudentYearOverlap]) -> None:
    StudentYearFact.objects.bulk_create(facts, batch_size=2000)
    StudentYearOverlap.objects.bulk_create(overlaps, batch_size=2000)


def facts_refresh(*, student_ids: Iterable[int]) -> int:
    """Recompute the facts of the given students (and their person peers); returns rows written."""
    ids = with_person_peers(student_ids)
    if not ids:
        return 0
    with transaction.atomic():
        facts, overlaps = compute_facts(fetch_records(ids), award_terms(ids), floor_versions())
        StudentYearFact.objects.filter(student_id__in=ids).delete()
        StudentYearOverlap.objects.filter(student_id__in=ids).delete()
        _write(facts, overlaps)
        _bump_version()
    return len(facts)


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
    """Rebuild every fact row from the awards; must equal what incremental refreshes gave."""
    floors = floor_versions()
    written = 0
    with transaction.atomic():
        StudentYearFact.objects.all().delete()
        StudentYearOverlap.objects.all().delete()
        for ids in _person_batches(batch_size):
            facts, overlaps = compute_facts(fetch_records(ids), award_terms(ids), floors)
            _write(facts, overlaps)
            written += len(facts)
        _bump_version()
    return written
