"""The derived per-student-per-fiscal-year facts (DESIGN.md flow step 3).

Fetch, then calculate (STYLE.md): rows are read into `programs.rules` dataclasses, the
rules decide, and the rows are upserted. An incremental refresh and a full rebuild run the
same code on the same inputs, so they cannot disagree.

Concurrency: every refresh takes a transaction-scoped advisory lock per person (by bucket;
PostgreSQL; a no-op on SQLite) before it reads, and writes by upsert, deleting only rows that no longer
exist. A rebuild is a sequence of such refreshes in short batches, each its own transaction,
so a write beside a rebuild waits at most one batch and never fails on a duplicate row, and
whichever of the two takes a person's lock last reads the other's committed rows. A write takes
its persons' locks first, before any row (facts_lock_persons; the order of every lock a write
takes is in students/services.py, "Lock order").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass, fields
from datetime import date
from functools import cached_property

from django.db import connection, transaction
from django.db.models import F

from phdsupport import bulk
from programs import rules
from programs.models import LivingCostFloor
from students.models import (
    FactsVersion,
    NationalYearCount,
    Student,
    StudentYearAwards,
    StudentYearBand,
    StudentYearFact,
    StudentYearOverlap,
    UniversityYearCount,
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

    @cached_property
    def person_key(self) -> str:
        """Records sharing an e-Rad number are one person (DOMAIN.md: A person). Computed once:
        every fact and overlap row of the record carries it."""
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


def _persons(
    ids: set[int], erad_numbers: Set[str] = frozenset(), created: Set[int] = frozenset()
) -> tuple[set[int], set[str]]:
    """(the students with every record of their persons, the lock keys of those persons).
    `erad_numbers`: persons named by number too (a record about to take it); `created`: records
    this transaction inserted, which no other transaction can see: not keyed by their id."""
    rows = list(Student.objects.filter(pk__in=ids).values_list("pk", "erad_number"))
    erads = {erad for _pk, erad in rows if erad} | set(erad_numbers)
    if erads:
        rows += list(Student.objects.filter(erad_number__in=erads).values_list("pk", "erad_number"))
    everyone = ids | {pk for pk, _erad in rows}
    # A record is locked under its id and its e-Rad number, so a write that moves it from one
    # person to another waits for both.
    keys = {f"s:{pk}" for pk in everyone - created} | {f"e:{erad}" for erad in erads}
    return everyone, keys


# Persons are locked by bucket: PostgreSQL keeps every lock a transaction holds in a shared table
# of max_locks_per_transaction × max_connections entries (6,400 by default, for all sessions), so a
# refresh of a whole university (10,000 students after an upload) locking one key per person ran
# out of shared memory. Two persons sharing a bucket only wait for each other.
LOCK_BUCKETS = 1024  # a power of two: the bucket is the hash's low bits
LOCK_CLASS = 11  # the two-number advisory keys (LOCK_CLASS, bucket), apart from other advisory locks


def _lock(keys: set[str]) -> None:
    """Transaction-scoped advisory locks on the keys' buckets, taken in one global order so two
    transactions never wait for each other in a circle. A no-op off PostgreSQL."""
    if not keys or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, b)) FROM ("
            " SELECT DISTINCT (hashtextextended(k, 0) & %s)::int AS b FROM unnest(%s::text[]) AS k"
            " ORDER BY 1 OFFSET 0"
            ") AS ordered",
            [LOCK_CLASS, LOCK_BUCKETS - 1, sorted(keys)],
        )


@dataclass(frozen=True)
class DerivedTable:
    """A derived table written as plain tuples in `columns` order (no model instances: a rebuild
    writes hundreds of thousands of rows), unique per student by `unique`."""

    model: type
    columns: tuple[str, ...]
    unique: tuple[str, ...]

    @property
    def key_positions(self) -> tuple[int, ...]:
        return tuple(self.columns.index(name) for name in self.unique)


FACTS = DerivedTable(
    StudentYearFact,
    (
        "student_id",
        "university_id",
        "fiscal_year",
        "person_key",
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
        "national_group",
        "field",
        "is_international",
        "is_working_adult",
    ),
    ("student_id", "fiscal_year"),
)
OVERLAPS = DerivedTable(
    StudentYearOverlap,
    ("student_id", "university_id", "fiscal_year", "person_key", "program_a", "program_b"),
    ("student_id", "fiscal_year", "program_a", "program_b"),
)
BANDS = DerivedTable(
    StudentYearBand,
    ("student_id", "university_id", "fiscal_year", "is_person", "national", "above", "up_to", "program"),
    ("student_id", "fiscal_year", "is_person", "up_to"),
)


def compute_facts(
    records: dict[int, StudentRecord],
    terms: dict[int, list[rules.AwardTerms]],
    floors: list[rules.FloorVersion],
) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Rows of FACTS, OVERLAPS and BANDS for complete persons: every record of each person must
    be in `records`."""
    persons: dict[str, list[StudentRecord]] = defaultdict(list)
    for record in records.values():
        persons[record.person_key].append(record)
    facts: list[tuple] = []
    overlaps: list[tuple] = []
    bands: list[tuple] = []
    no_terms: list[rules.AwardTerms] = []
    known: dict[tuple, dict[int, rules.YearOutcome]] = {}
    for person_records in persons.values():
        single = len(person_records) == 1
        record_terms = {r.student_id: terms.get(r.student_id, no_terms) for r in person_records}
        person_awards = [a for r in person_records for a in record_terms[r.student_id]]
        record_years = {sid: rules.fiscal_years_touched(awards) for sid, awards in record_terms.items()}
        years = sorted(set().union(*record_years.values()))
        person_outcomes = _year_outcomes(known, person_awards, years, floors, [r.enrolment for r in person_records])
        record_outcomes = {
            # A person with one record (most people) needs no second computation.
            r.student_id: person_outcomes
            if single
            else _year_outcomes(
                known, record_terms[r.student_id], sorted(record_years[r.student_id]), floors, [r.enrolment]
            )
            for r in person_records
        }
        for fy in years:
            person = person_outcomes[fy]
            outcomes = {
                r.student_id: record_outcomes[r.student_id][fy]
                for r in person_records
                if fy in record_years[r.student_id]
            }
            # The representative carries the person in national figures: highest peak, then lowest id.
            representative = min(outcomes, key=lambda sid: (-outcomes[sid].peak_rate, sid))
            several, several_up_to = (False, None) if len(outcomes) == 1 else _several_universities(outcomes, records)
            for student_id, outcome in outcomes.items():
                record = records[student_id]
                person_key, university_id = record.person_key, record.university_id
                pairs = rules.concurrent_pairs(record_terms[student_id], fy)
                overlaps.extend((student_id, university_id, fy, person_key, a, b) for a, b in sorted(pairs))
                facts.append(
                    (
                        student_id,
                        university_id,
                        fy,
                        person_key,
                        outcome.peak_rate,
                        outcome.counts,
                        outcome.program or "",
                        student_id == representative,
                        person.peak_rate,
                        person.counts,
                        person.program or "",
                        bool(pairs),
                        several,
                        several_up_to,
                        record.founder,
                        record.national_group,
                        record.field,
                        record.is_international,
                        record.is_working_adult,
                    )
                )
                # The record's own bands; the person's too on its representative when it has several records.
                national = single
                bands.extend(
                    (student_id, university_id, fy, False, national, band.above, band.up_to, band.program)
                    for band in outcome.bands
                )
                if not single and student_id == representative:
                    bands.extend(
                        (student_id, university_id, fy, True, True, band.above, band.up_to, band.program)
                        for band in person.bands
                    )
    return facts, overlaps, bands


def _several_universities(
    outcomes: dict[int, rules.YearOutcome], records: dict[int, StudentRecord]
) -> tuple[bool, int | None]:
    """A person's records in a year, by student id: (counted at two or more universities under the
    floor in force, the largest what-if floor X at which they are, None with records at one
    university). A record counts at X when its peak_rate >= X, so a university counts the person
    at X when its highest record peak does: the second-highest of those peaks is the answer."""
    peaks: dict[int, int] = {}
    counted: set[int] = set()
    for student_id, outcome in outcomes.items():
        university_id = records[student_id].university_id
        peaks[university_id] = max(peaks.get(university_id, 0), outcome.peak_rate)
        if outcome.counts:
            counted.add(university_id)
    if len(peaks) < 2:
        return False, None
    return len(counted) >= 2, sorted(peaks.values(), reverse=True)[1]


# What rules.year_outcomes reads of an award besides its id; the id only orders awards that tie
# on amount and start (rules._ranking), so awards are compared by their id's rank among the
# person's, never by the id itself.
_TERMS_FIELDS = tuple(f.name for f in fields(rules.AwardTerms) if f.name != "award_id")


def _year_outcomes(
    known: dict[tuple, dict[int, rules.YearOutcome]],
    awards: list[rules.AwardTerms],
    years: list[int],
    floors: list[rules.FloorVersion],
    enrolments: list[rules.Enrolment],
) -> dict[int, rules.YearOutcome]:
    """rules.year_outcomes, computed once for equal inputs within one compute_facts (the same
    floors): an upload's cohort (the same program, dates, amount and entry) is a few thousand
    students alike, each computed afresh before (a third of a 10,000-row apply)."""
    rank = {award_id: i for i, award_id in enumerate(sorted(a.award_id for a in awards))}
    key = (
        tuple((rank[a.award_id], *(getattr(a, name) for name in _TERMS_FIELDS)) for a in awards),
        tuple(years),
        tuple(enrolments),
    )
    found = known.get(key)
    if found is None:
        found = known[key] = rules.year_outcomes(awards, years, floors, enrolments)
    return found


AWARD_COUNTS = DerivedTable(
    StudentYearAwards,
    ("student_id", "university_id", "fiscal_year", "program", "awards"),
    ("student_id", "fiscal_year", "program"),
)


def award_counts(records: dict[int, StudentRecord], terms: dict[int, list[rules.AwardTerms]]) -> list[tuple]:
    """Rows of AWARD_COUNTS: awards of each program active at some point of each fiscal year, per
    student record."""
    rows = []
    for student_id, record in records.items():
        counted: dict[tuple[int, str], int] = {}
        for award in terms.get(student_id, ()):
            for fy in range(rules.fiscal_year(award.start), rules.fiscal_year(award.end) + 1):
                counted[fy, award.program] = counted.get((fy, award.program), 0) + 1
        rows.extend((student_id, record.university_id, fy, program, n) for (fy, program), n in counted.items())
    return rows


# Where the counts' inputs sit in a FACTS row and an AWARD_COUNTS row.
_FACT = {name: i for i, name in enumerate(FACTS.columns)}
_AWARD = {name: i for i, name in enumerate(AWARD_COUNTS.columns)}


def _counts_of(facts: list[tuple], awards: list[tuple], sign: int, national: Counter, universities: Counter) -> None:
    """Add (sign 1) or take away (-1) what fact and award-count rows give to the counts kept in
    NationalYearCount (keys as its columns) and UniversityYearCount ((university, year, program,
    "counted" or "awards"))."""
    f = _FACT
    for row in facts:
        fy = row[f["fiscal_year"]]
        if row[f["is_representative"]] and row[f["person_counts"]]:
            national[
                fy,
                row[f["person_program"]],
                row[f["founder"]],
                row[f["national_group"]],
                row[f["field"]],
                row[f["is_international"]],
                row[f["is_working_adult"]],
            ] += sign
        if row[f["counts"]]:
            universities[row[f["university_id"]], fy, row[f["program"]], "counted"] += sign
    a = _AWARD
    for row in awards:
        key = (row[a["university_id"]], row[a["fiscal_year"]], row[a["program"]], "awards")
        universities[key] += sign * row[a["awards"]]


def _record_count_changes(
    facts_before: list[tuple], facts_after: list[tuple], awards_before: list[tuple], awards_after: list[tuple]
) -> None:
    """Insert the changes of the counts that the refresh of some persons made (their rows after
    minus before, as column tuples): nothing when no count moved (most edits, a rebuild over
    up-to-date facts). Append-only (NationalYearCount says why)."""
    national: Counter = Counter()
    universities: Counter = Counter()
    _counts_of(facts_after, awards_after, 1, national, universities)
    _counts_of(facts_before, awards_before, -1, national, universities)
    NationalYearCount.objects.bulk_create(
        NationalYearCount(
            fiscal_year=fy,
            person_program=program,
            founder=founder,
            national_group=group,
            field=field,
            is_international=international,
            is_working_adult=working,
            persons=n,
        )
        for (fy, program, founder, group, field, international, working), n in national.items()
        if n
    )
    moved = {key[:3] for key, n in universities.items() if n}
    UniversityYearCount.objects.bulk_create(
        UniversityYearCount(
            university_id=university_id,
            fiscal_year=fy,
            program=program,
            counted=universities[university_id, fy, program, "counted"],
            awards=universities[university_id, fy, program, "awards"],
        )
        for university_id, fy, program in sorted(moved)
    )


# The counts from the facts, one row a count: what the rebuild leaves (and migration 0027 filled).
_NATIONAL_COUNTS = (
    "SELECT fiscal_year, person_program, founder, national_group, field, is_international, is_working_adult,"
    " COUNT(*) FROM students_studentyearfact WHERE is_representative AND person_counts"
    " GROUP BY fiscal_year, person_program, founder, national_group, field, is_international, is_working_adult"
)
_UNIVERSITY_COUNTS = (
    "SELECT university_id, fiscal_year, program, SUM(counted), SUM(awards) FROM ("
    " SELECT university_id, fiscal_year, program, 1 AS counted, 0 AS awards FROM students_studentyearfact"
    " WHERE counts"
    " UNION ALL SELECT university_id, fiscal_year, program, 0, awards FROM students_studentyearawards"
    ") AS c GROUP BY university_id, fiscal_year, program"
)
COUNTS_LOCK = 12  # the advisory key (COUNTS_LOCK, 0): one replacement of the counts at a time


def counts_rebuild() -> None:
    """Replace the counts' rows with the facts' counts, one row a count (the changes that
    refreshes inserted, summed up). On PostgreSQL each table is emptied and filled in one
    statement, so both see one snapshot: a refresh committed before it is in the facts read and
    its change rows are deleted; one committing after keeps its change rows, which its facts are
    not in. Two replacements at once would each keep the rows the other inserted: they take turns."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [COUNTS_LOCK])
        for table, columns, select in (
            (
                NationalYearCount,
                "fiscal_year, person_program, founder, national_group, field, is_international, is_working_adult, persons",
                _NATIONAL_COUNTS,
            ),
            (UniversityYearCount, "university_id, fiscal_year, program, counted, awards", _UNIVERSITY_COUNTS),
        ):
            name = table._meta.db_table
            if connection.vendor == "postgresql":
                cursor.execute(f"WITH gone AS (DELETE FROM {name}) INSERT INTO {name} ({columns}) {select}")
            else:  # SQLite: one writer at a time
                cursor.execute(f"DELETE FROM {name}")
                cursor.execute(f"INSERT INTO {name} ({columns}) {select}")


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


COPY_FROM = 500  # more changed rows than this go through COPY into a staging table (PostgreSQL)


def _among(column: str, ids: Iterable[int]) -> tuple[str, list]:
    """`column` among `ids` as SQL and its parameters: one array parameter on PostgreSQL (a
    refresh of a university passes 10,000 ids), a list of them elsewhere."""
    ids = sorted(ids)
    if connection.vendor == "postgresql":
        return f"{connection.ops.quote_name(column)} = ANY(%s::bigint[])", [ids]
    return f"{connection.ops.quote_name(column)} IN ({', '.join(['%s'] * len(ids))})", ids


def _stored(table: DerivedTable, ids: set[int]) -> list[tuple]:
    """The table's rows of the students `ids` as (pk, *columns) tuples, read by the cursor:
    no model instances, no queryset (the compare needs the values only)."""
    if not ids:
        return []
    where, params = _among("student_id", ids)
    columns = ", ".join(connection.ops.quote_name(c) for c in ("id", *table.columns))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {connection.ops.quote_name(table.model._meta.db_table)} WHERE {where}", params
        )
        return cursor.fetchall()


def _sync(table: DerivedTable, rows: list[tuple], stored: list[tuple]) -> int:
    """Make the table's rows of some students, `stored` (as `_stored` reads them), equal to `rows`:
    upsert the rows that are new or differ, delete the ones no longer there, leave equal rows
    untouched (a rebuild over up-to-date facts writes nothing). Runs under the persons' locks, so
    what was read stays true until it writes. Returns the number of rows written or deleted.

    When none of the students has a row stored yet (after an upload, a rebuild into emptied
    tables) the rows go straight in by COPY on PostgreSQL: under the locks no other refresh can
    write these students' rows before this transaction ends, so there is nothing to compare or
    to conflict with."""
    if not stored:
        if rows:
            if bulk.copies():
                bulk.copy_rows(table.model._meta.db_table, table.columns, rows)
            else:
                _upsert_rows(table, rows)
        return len(rows)
    positions = table.key_positions
    wanted = {tuple(row[i] for i in positions): row for row in rows}
    stale: list[int] = []
    unchanged: set[tuple] = set()
    for pk, *existing in stored:
        row = tuple(existing)
        key = tuple(row[i] for i in positions)
        if key not in wanted:
            stale.append(pk)
        elif wanted[key] == row:
            unchanged.add(key)
    changed = [row for key, row in wanted.items() if key not in unchanged]
    if stale:
        where, params = _among("id", stale)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table.model._meta.db_table)} WHERE {where}", params)
    if changed:
        _upsert_rows(table, changed)
    return len(changed) + len(stale)


def _upsert_rows(table: DerivedTable, rows: list[tuple]) -> None:
    """INSERT … ON CONFLICT (unique) DO UPDATE: a row a concurrent refresh wrote first is
    updated, never a duplicate-key error (the locks make that rare; the upsert makes it harmless)."""
    name = connection.ops.quote_name(table.model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
    unique = ", ".join(connection.ops.quote_name(c) for c in table.unique)
    updates = ", ".join(
        f"{connection.ops.quote_name(c)} = EXCLUDED.{connection.ops.quote_name(c)}"
        for c in table.columns
        if c not in table.unique
    )
    upsert = f"ON CONFLICT ({unique}) DO UPDATE SET {updates}"
    if bulk.copies() and len(rows) > COPY_FROM:
        _upsert_staged(table, rows, columns, upsert)
        return
    with connection.cursor() as cursor:
        placeholders = ", ".join(["%s"] * len(table.columns))
        cursor.executemany(f"INSERT INTO {name} ({columns}) VALUES ({placeholders}) {upsert}", rows)


def _upsert_staged(table: DerivedTable, rows: list[tuple], columns: str, upsert: str) -> None:
    """The upsert of many rows on PostgreSQL: one COPY into a staging table, then one
    INSERT … SELECT … ON CONFLICT, instead of thousands of bound parameters (the client-side
    cost dominates)."""
    name = connection.ops.quote_name(table.model._meta.db_table)
    stage = connection.ops.quote_name(f"stage_{table.model._meta.db_table}")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT {columns} FROM {name} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {stage} {upsert}")
        cursor.execute(f"DROP TABLE {stage}")


def _lock_persons(
    ids: set[int], erad_numbers: Set[str] = frozenset(), created: Set[int] = frozenset(), also: Set[str] = frozenset()
) -> set[int]:
    """Inside a transaction: lock the persons of `ids` (and of `erad_numbers`); returns every
    record of those persons. `created`: as _persons; `also`: other keys locked in the same
    ordered call (facts_lock_persons)."""
    ids, keys = _persons(ids, erad_numbers, created)
    keys |= also
    _lock(keys)
    while True:  # an e-Rad number may have changed before the lock was ours
        again, more = _persons(ids, erad_numbers, created)
        if again <= ids and more <= keys:
            return ids
        _lock(more - keys)
        ids, keys = ids | again, keys | more


def facts_lock_persons(
    *, student_ids: Iterable[int], erad_numbers: Iterable[str] = (), also: Iterable[str] = ()
) -> None:
    """Take the per-person locks of these students (and of the persons holding these e-Rad
    numbers) now, the first locks of a write (students/services.py, "Lock order"): a refresh of
    them later in the transaction takes nothing more. `also`: other keys of the write's first
    locks, taken in the same ordered call (students.services.lock_persons: the student numbers a
    write is about to take). A no-op off PostgreSQL (one writer)."""
    if connection.vendor != "postgresql":
        return
    _lock_persons(set(student_ids), frozenset(erad_numbers) - {""}, also=frozenset(also))


def _refresh_locked(
    ids: set[int],
    floors: list[rules.FloorVersion],
    created: Set[int] = frozenset(),
    removed: Set[int] = frozenset(),
) -> int:
    """Inside a transaction: lock the persons of `ids`, read, compute and upsert their rows, and
    record what that changed in the counts. Returns the number of fact rows (student-years)
    computed. `created`, `removed`: as facts_refresh."""
    ids = _lock_persons(ids, created=created)
    records, terms = fetch_records(ids - removed), award_terms(ids - removed)
    facts, overlaps, bands = compute_facts(records, terms, floors)
    awards = award_counts(records, terms)
    before: dict[DerivedTable, list[tuple]] = {}
    for table, rows in ((FACTS, facts), (OVERLAPS, overlaps), (BANDS, bands), (AWARD_COUNTS, awards)):
        # `created`: students inserted by this transaction and not refreshed in it before, which
        # can have no rows (no other transaction sees them): theirs are not looked for.
        before[table] = _stored(table, ids - created)
        _sync(table, rows, before[table])
    _record_count_changes([row[1:] for row in before[FACTS]], facts, [row[1:] for row in before[AWARD_COUNTS]], awards)
    # Bumped even when no row changed: the pages also show figures read beside the facts.
    _bump_version()
    return len(facts)


def facts_refresh(*, student_ids: Iterable[int], created: Iterable[int] = (), removed: Iterable[int] = ()) -> int:
    """Recompute the facts of the given students (and their person peers); returns rows written.

    Callers pass every student whose person may have changed: after an e-Rad number changes,
    the record and its old partners (DOMAIN.md: "Changing or clearing a number re-counts both
    the old and the new person at once"). `created`: those of them the caller's transaction
    inserted and has not refreshed yet (an upload's new students): they have no stored rows to
    compare with, so none are read (a tenth of an upload's apply went to looking). `removed`:
    those about to be deleted (by the caller, in its transaction, after this): their rows go and
    their person is counted without them, the counts following (a cascade would delete their
    rows behind the counts' back).
    """
    ids = set(student_ids) | set(removed)
    if not ids:
        return 0
    with transaction.atomic():
        return _refresh_locked(ids, floor_versions(), frozenset(created) & ids, frozenset(removed))


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
            if connection.vendor == "postgresql":
                # Derived rows a rebuild can always write again: a batch's commit need not wait
                # for the disk (a crash loses at most the last batches, which the next rebuild redoes).
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            written += _refresh_locked(set(ids), floors)
    counts_rebuild()  # the counts' change rows summed up, one row a count
    return written
