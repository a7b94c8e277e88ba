"""Every write to students, awards and events (DESIGN.md flow steps 1–3).

Forms, uploads and the API all call these functions. Each validates with
`programs.rules`, writes in one transaction, records who did it, and refreshes the derived
facts of the students it touched. Bad input raises `ValidationError` keyed by field, with
nothing written.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from phdsupport import hooks
from phdsupport.history import recorded_as
from programs import rules
from programs.labels import lazy_fiscal_year_label
from programs.models import Program
from programs.selectors import stipend_rule_in_force
from students.facts import facts_lock_persons, facts_refresh
from students.models import Award, AwardEvent, Student, University, YearLock
from students.selectors import award_terms, award_terms_of

MAX_ANNUAL_YEN = 10_000_000  # no program pays more than this a year; anything above is a typo

AMOUNT_OUT_OF_RANGE = _("金額は0円以上{max}円以下の整数で入力してください。")
STALE_UPDATE = _("他の利用者が先に更新しました。再読み込みしてからやり直してください。")
RECORD_GONE = _("他の利用者がこの記録を削除しました。一覧から確かめてください。")
NO_OPEN_SUSPENSION = _("再開する休止がありません。")
ALREADY_SUSPENDED = _("既に休止中です。")
EVENT_DATE_OUTSIDE = _("日付が支援期間（{start}〜{end}）の外です。")
EXTENSION_NOT_LATER = _("延長後の終了日は現在の終了日（{end}）より後にしてください。")
END_REQUIRED = _("終了日を入力してください。")
AWARD_CLOSED = _("終了した支援は変更できません。")
DUPLICATE_AWARD = _("この学生には同じ事業・同じ開始日の支援が既にあります。")
AMOUNT_REQUIRED = _("変更後の生活費相当額（年額）を入力してください。")
NO_SPECIAL_ALLOWANCE = _("{day} に {program} の特別手当の規定はありません。")

STUDENT_FIELDS = (
    "student_number",
    "erad_number",
    "family_name",
    "given_name",
    "field",
    "entry_date",
    "standard_term_years",
    "status",
    "completion_date",
    "is_international",
    "is_working_adult",
    "entry_route",
)
AWARD_FIELDS = ("program", "start_date", "end_date", "annual_living_cost", "annual_research_cost", "is_reserved")


class StaleUpdate(ValidationError):
    """The record changed since the caller read it (optimistic locking)."""


def _field_error(error: rules.RuleViolation) -> ValidationError:
    return ValidationError({error.field or "__all__": [ValidationError(error.message, code=error.code)]})


def _amount_is_valid(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and 0 <= value <= MAX_ANNUAL_YEN


# --- Lock order ----------------------------------------------------------------------------
#
# Every write to students and awards (these services, an upload's apply, the bulk API) takes its
# locks in one order, so that no two writes, nor a write and a facts rebuild batch, ever wait for
# each other in a circle and PostgreSQL never has to abort one (issue #14):
#   1. the persons, first and in one call (`lock_persons`: students.facts' advisory locks by
#      bucket, taken in bucket order): every person whose records a rule of the write reads or
#      whose facts it refreshes, the e-Rad number a record is about to take included, and the
#      student number (at its university) a record is about to take: a second create of the
#      number waits there, then is refused by the uniqueness check, whether the two have no
#      e-Rad number, the same one or different ones;
#   2. then rows: the one student or award the write changes (FOR NO KEY UPDATE, `locked_for_update`;
#      FOR UPDATE where it deletes), or an upload's university's students, then its awards, in id
#      order (students.imports.plan: plan_is_current);
#   3. the university's year locks (`hold_year_locks`), shared, when the write reads them: a
#      report's acceptance adding one takes them exclusive (after its report's row), so it waits
#      for every write that found the year open and every later write finds it locked;
#   4. the facts refresh at the end finds its persons held already and takes nothing new.
# A rule that spans records (exclusive programs over every record of a person, any university)
# is checked under lock 1: a second write on the person waits there, then reads what the first
# committed (READ COMMITTED: each statement sees every commit before it). A rebuild batch takes
# only 1, then writes fact rows whose foreign keys take FOR KEY SHARE on the students, which
# FOR NO KEY UPDATE does not block. The other apps' writes fit the same order: the payments lock
# their awards' rows (2, in id order), then read the year locks (3); the enrolment statistics
# lock their university's row (2: one statistics writer per university), then 3; an enrolment
# year lock, like a report's, takes 3 exclusive; the career records lock their student's row (2:
# one career writer per student, the upload's students in id order) before checking that a
# survey point has one record. A write that may create a row no other write can lock yet (a
# report's draft, a deadline) takes `hold_key_lock` on the row's natural key first, holding
# nothing else: a second write of that key waits there, then finds the first's row.
# Out of order still, both rare: a person whose e-Rad number changed while its locks were taken
# gets the new number's lock in a second call (students.facts._lock_persons), and an upload
# checked again inside its transaction that finds a record new since its persons were locked
# locks that record's person in its facts refresh, after the rows. Either can at worst deadlock
# (PostgreSQL aborts one write, nothing is written wrong).


def lock_persons(
    *,
    student_ids: Iterable[int],
    erad_numbers: Iterable[str | None] = (),
    student_numbers: Iterable[tuple[int, Any]] = (),
) -> None:
    """Lock 1 of the lock order: the persons of these records and of these e-Rad numbers, and
    these (university id, student number) pairs, until the transaction ends (a no-op off
    PostgreSQL, which has one writer)."""
    facts_lock_persons(
        student_ids=student_ids,
        erad_numbers=[e for e in erad_numbers if e and isinstance(e, str)],
        also=[f"n:{university_id}:{number}" for university_id, number in student_numbers if isinstance(number, str)],
    )


def locked_row(rows: QuerySet, pk: int) -> Any:
    """The row `pk` of `rows` (a queryset that locks it), read under its lock; refused as a stale
    update when it is gone (another user deleted it since the caller read it), not a server error."""
    try:
        return rows.get(pk=pk)
    except rows.model.DoesNotExist:
        raise StaleUpdate({"__all__": [ValidationError(RECORD_GONE, code="gone")]}) from None


def locked_for_update(model: type, pk: int, expected_version: int | None) -> Any:
    """The row locked until the transaction ends (lock 2 of the lock order); a stale update when
    its version has moved on (another user saved it since the form or the API read it) or the
    row is gone (another user deleted it)."""
    # FOR NO KEY UPDATE: a facts refresh writing rows that refer to this one (its FK check takes
    # FOR KEY SHARE) is not blocked by it, so a rebuild batch holding the person's lock never
    # waits for a write that waits for that lock (issue #11: no write fails on a deadlock).
    instance = locked_row(model.objects.select_for_update(no_key=True), pk)
    if expected_version is not None and instance.version != expected_version:
        raise StaleUpdate({"__all__": [ValidationError(STALE_UPDATE, code="stale")]})
    return instance


# --- Year locks ---------------------------------------------------------------------------

LOCKED = _("{fy}の {program} の実績報告は受理済みのため変更できません。担当官に再開を依頼してください。")


def locked_message(fiscal_year: int, program_code: str) -> str:
    return format_lazy(LOCKED, fy=lazy_fiscal_year_label(fiscal_year), program=program_code)


LockedYears = Mapping[tuple[int, int], str]  # (program id, fiscal year) → program code
YEAR_LOCK_CLASS = 12  # the two-number advisory keys (YEAR_LOCK_CLASS, university id); students.facts uses 11


def hold_year_locks(university_id: int, *, exclusive: bool = False) -> None:
    """Lock 3 of the lock order, until the transaction ends: a university's year locks, shared
    by the writes that read them, exclusive for adding one. A no-op off PostgreSQL (one writer)."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [YEAR_LOCK_CLASS, university_id])


KEY_LOCK_CLASS = 13  # the two-number advisory keys (KEY_LOCK_CLASS, hash of a natural key)


def hold_key_lock(*key: object) -> None:
    """Until the transaction ends: the lock of one natural key (a report's university, program
    and year) under which a write may create the row, taken before anything else (see "Lock
    order"), so a second write of the key waits, then finds the first's row where it would have
    hit the unique constraint. A no-op off PostgreSQL (one writer)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [KEY_LOCK_CLASS, ":".join(map(str, key))])


def locked_years(*, university_id: int, program_ids: Iterable[int] | None = None) -> dict[tuple[int, int], str]:
    """A university's years that may no longer change (accepted reports), read once: an upload
    checks thousands of rows against them, a form one award. Inside a transaction they stay as
    read until it ends (hold_year_locks: a year is locked after the writes that found it open)."""
    hold_year_locks(university_id)
    locks = YearLock.objects.filter(university_id=university_id)
    if program_ids is not None:
        locks = locks.filter(program_id__in=set(program_ids))
    return {
        (program_id, fy): code
        for program_id, fy, code in locks.values_list("program_id", "fiscal_year", "program__code")
    }


def _years(periods: Iterable[tuple[date, date]]) -> set[int]:
    years: set[int] = set()
    for start, end in periods:
        years.update(range(rules.fiscal_year(start), rules.fiscal_year(end) + 1))
    return years


def lock_error(*, program_id: int, periods: Iterable[tuple[date, date]], locked: LockedYears) -> ValidationError | None:
    """The refusal of a change to a program's awards in a year whose report is accepted, or None."""
    if not locked:
        return None
    hit = sorted(fy for fy in _years(periods) if (program_id, fy) in locked)
    if not hit:
        return None
    return ValidationError(locked_message(hit[0], locked[(program_id, hit[0])]), code="report_locked")


def check_unlocked(
    *,
    university_id: int,
    program_id: int,
    periods: Iterable[tuple[date, date]],
    locked: LockedYears | None = None,
) -> None:
    """Refuse a change to awards in a fiscal year whose report for the program is accepted.

    `locked` is the university's `locked_years`, when the caller has read them already."""
    if locked is None:
        locked = locked_years(university_id=university_id, program_ids=[program_id])
    error = lock_error(program_id=program_id, periods=periods, locked=locked)
    if error is not None:
        raise ValidationError({"__all__": [error]})


@transaction.atomic
def year_lock(*, university_id: int, program_id: int, fiscal_year: int) -> None:
    """Lock a year of a program's awards at a university (an accepted annual report), once every
    write that found it open has committed."""
    hold_year_locks(university_id, exclusive=True)
    YearLock.objects.get_or_create(university_id=university_id, program_id=program_id, fiscal_year=fiscal_year)


def year_unlock(*, university_id: int, program_id: int, fiscal_year: int) -> None:
    YearLock.objects.filter(university_id=university_id, program_id=program_id, fiscal_year=fiscal_year).delete()


# Extension point (phdsupport.hooks): an app keeping rows about awards that no deletion may take
# away answers, for the awards about to be deleted, a list of ValidationErrors saying why (the
# payments ledger: DOMAIN.md "A correction is a new ledger entry, never an edit", so a paid month
# is never deleted with its award or student). Students never import those apps.
AWARD_DELETE_REFUSALS = "award_delete_refusals"


def check_deletable(*, award_ids: list[int]) -> None:
    """Refuse deleting awards (or their student) that another app says must stay."""
    if not award_ids:
        return
    refusals = [error for answer in hooks.collect(AWARD_DELETE_REFUSALS, award_ids=award_ids) for error in answer]
    if refusals:
        raise ValidationError({"__all__": refusals})


# --- Students -----------------------------------------------------------------------------

# Validated apart: the university is the writer's own, never input, and uniqueness needs the
# database (an upload matches rows to students by number instead, so it cannot collide).
# The version is the services' own (optimistic locking), never input.
STUDENT_CHECK_EXCLUDE = ("university", "version")


def student_check(student: Student, *, exclude: Iterable[str] = ()) -> None:
    """Every check of a student as it will be that needs no database (lengths, e-Rad digits,
    choices, required fields): the form, the API and each upload row run this same function
    and get the same ValidationError, every field's errors at once. `exclude` leaves out
    fields the caller has already refused (an upload cell that could not be read)."""
    student.full_clean(exclude=[*STUDENT_CHECK_EXCLUDE, *exclude], validate_unique=False, validate_constraints=False)


def _student_validate(student: Student) -> None:
    """student_check, then what needs the database: one student number per university."""
    student_check(student)
    student.validate_constraints()


@transaction.atomic
def student_create(*, university: University, acting_user: Any, **data: Any) -> Student:
    student = Student(university=university, **{k: v for k, v in data.items() if k in STUDENT_FIELDS})
    # The person of the e-Rad number, and the student number: a create of either at the
    # university waits, then is refused by the uniqueness check instead of failing on the constraint.
    lock_persons(
        student_ids=[], erad_numbers=[student.erad_number], student_numbers=[(university.pk, student.student_number)]
    )
    _student_validate(student)
    student._history_user = acting_user
    student.save()
    if student.erad_number:
        # A new record of a known person adds its enrolled months to the person (DOMAIN.md: A person).
        facts_refresh(student_ids=[student.pk])
    return student


@transaction.atomic
def student_update(
    *, student: Student, acting_user: Any, expected_version: int | None = None, **changes: Any
) -> Student:
    # The record's person and the person of a new e-Rad number: joining them is checked below;
    # a new student number, checked unique below.
    lock_persons(
        student_ids=[student.pk],
        erad_numbers=[changes.get("erad_number")],
        student_numbers=[(student.university_id, changes.get("student_number"))],
    )
    current = locked_for_update(Student, student.pk, expected_version)
    changed = [name for name in STUDENT_FIELDS if name in changes and getattr(current, name) != changes[name]]
    if not changed:
        return current
    old_partners = _erad_partners(current) if "erad_number" in changed else set()
    for name in changed:
        setattr(current, name, changes[name])
    _student_validate(current)
    if "erad_number" in changed and current.erad_number:
        _check_joined_person(current)
    current.version += 1
    current._history_user = acting_user
    current.save()
    # Breakdown attributes (field, flags, e-Rad number) and enrolment live on the facts too.
    # DOMAIN.md (A person): "Changing or clearing a number re-counts both the old and the new
    # person at once": the old partners are no longer found through the record.
    facts_refresh(student_ids={current.pk, *old_partners})
    return current


def _check_joined_person(student: Student) -> None:
    """A new e-Rad number joins the record to another person: their exclusive awards may not
    share a calendar month (DOMAIN.md Exclusive programs: "whichever way the overlap arises")."""
    partners = _erad_partners(student)
    if not partners:
        return
    others = [a for awards in award_terms(partners).values() for a in awards]
    try:
        for award in award_terms([student.pk]).get(student.pk, []):
            rules.check_exclusive(award, others)
    except rules.RuleViolation as violation:
        raise ValidationError({"erad_number": [ValidationError(violation.message, code=violation.code)]}) from violation


def _erad_partners(student: Student) -> set[int]:
    """Other records of the same person (the same e-Rad number), any university."""
    if not student.erad_number:
        return set()
    others = Student.objects.filter(erad_number=student.erad_number).exclude(pk=student.pk)
    return set(others.values_list("pk", flat=True))


@transaction.atomic
def student_delete(*, student: Student, acting_user: Any) -> None:
    """Delete a student with their awards and events (and, by cascade, what other apps keep
    about them), each deletion in the history under the acting user.

    Refused when it would remove an award in a year whose report is accepted (the same lock as
    deleting the award itself), or an award another app keeps rows of (a paid month).
    """
    # The person first, then the rows (Lock order): FOR UPDATE blocks a rebuild batch's fact rows
    # referring to this student, and that batch holds the person.
    lock_persons(student_ids=[student.pk])
    student = locked_row(Student.objects.select_for_update(), student.pk)
    # Locked before the check: a payment being recorded for one of them waits, then finds it gone.
    awards = list(student.awards.select_for_update().order_by("pk"))
    check_deletable(award_ids=[award.pk for award in awards])
    for award in awards:
        check_unlocked(
            university_id=student.university_id,
            program_id=award.program_id,
            periods=[(award.start_date, award.end_date)],
        )
    # Its facts go (and its person is counted again without it) before the row: the cascade
    # would delete them without the counts kept beside them knowing.
    facts_refresh(student_ids=_erad_partners(student), removed=[student.pk])
    student._history_user = acting_user
    with recorded_as(acting_user):  # the cascade's awards, events and careers name the user too
        student.delete()


# --- Awards -------------------------------------------------------------------------------


# The owner and the program are given as objects, not input; status and version are the services' own.
AWARD_CHECK_EXCLUDE = ("student", "university", "program", "status", "version")
AMOUNT_FIELDS = ("annual_living_cost", "annual_research_cost")


def award_check(
    award: Award,
    *,
    student_is_enrolled: bool,
    others: Iterable[rules.AwardTerms],
    own_suspensions: Iterable[rules.Suspension] = (),
    own_amount_changes: Iterable[rules.RateVersion] = (),
    locked: LockedYears,
    before: tuple[int, date, date] | None = None,
    exclude: Iterable[str] = (),
) -> None:
    """Every check of an unsaved or changed award as it will be, with no database: amounts,
    model fields, dates, audience, term (suspensions inside it extend it), exclusive programs
    and locked years. Raises one ValidationError holding every error, keyed by field, with the
    same codes whichever path writes: the services read the inputs for one award, an upload
    reads them once for thousands of rows.

    `others`: the person's other awards (every record sharing the e-Rad number, any university;
    `students.selectors.award_terms`); `own_suspensions`: the award's recorded suspensions,
    which count in the term only where they lie inside the award as it will be; `locked`: the university's `locked_years`; `before`:
    (program id, start, end) of the award as it was, whose years must be unlocked too;
    `exclude`: fields the caller has already refused (an upload cell that could not be read).
    """
    errors: dict[str, list[ValidationError]] = {}

    def add(name: str, error: ValidationError) -> None:
        errors.setdefault(name, []).append(error)

    for name in AMOUNT_FIELDS:
        if name not in exclude and not _amount_is_valid(getattr(award, name)):
            add(name, ValidationError(format_lazy(AMOUNT_OUT_OF_RANGE, max=f"{MAX_ANNUAL_YEN:,}"), code="amount_range"))
    try:
        # The amounts' own rule is narrower than their fields' bounds: those are not run again.
        award.clean_fields(exclude={*AWARD_CHECK_EXCLUDE, *AMOUNT_FIELDS, *exclude})
        award.clean()
    except ValidationError as error:
        for name, messages in error.update_error_dict({}).items():
            errors.setdefault(name, []).extend(messages)
    program = award.program
    start, end = award.start_date, award.end_date
    if isinstance(start, date) and isinstance(end, date):
        candidate = award_terms_of(award, own_suspensions, amount_changes=own_amount_changes)
        checks = [
            lambda: rules.check_audience(
                program=program.code, audience=program.audience, student_is_enrolled=student_is_enrolled
            ),
            lambda: rules.check_dates(start, end),
        ]
        if start <= end:  # the term and the months held mean nothing for an award ending before it starts
            checks += [
                lambda: rules.check_suspensions_inside(start, end, candidate.suspensions),
                lambda: rules.check_term(
                    start=start,
                    end=end,
                    term_years=program.term_years,
                    suspended_months=rules.term_suspended_months(start, end, candidate.suspensions),
                ),
                lambda: rules.check_exclusive(candidate, others),
            ]
        for check in checks:
            try:
                check()
            except rules.RuleViolation as violation:
                add(violation.field or "__all__", ValidationError(violation.message, code=violation.code))
        # Before and after: a change may neither leave nor enter a locked year.
        for program_id, first, last in [*([before] if before else []), (program.pk, start, end)]:
            refusal = lock_error(program_id=program_id, periods=[(first, last)], locked=locked)
            if refusal is not None:
                add("__all__", refusal)
                break
    if errors:
        raise ValidationError(errors)


def _award_validate(
    award: Award, *, before: tuple[int, date, date] | None = None, locked: LockedYears | None = None
) -> None:
    """award_check with the award's inputs read from the database (the person's awards across
    every record sharing the e-Rad number), then one award per student, program and start date."""
    terms = person_awards(award.student) if award.student_id else []
    own = next((t for t in terms if award.pk and t.award_id == award.pk), None)
    award_check(
        award,
        student_is_enrolled=award.student.is_enrolled,
        others=[t for t in terms if t.award_id != award.pk],
        own_suspensions=own.suspensions if own else (),
        own_amount_changes=own.amount_changes if own else (),
        locked=locked_years(
            university_id=award.university_id or award.student.university_id,
            program_ids={award.program_id, *(before[:1] if before else ())},
        )
        if locked is None
        else locked,
        before=before,
    )
    duplicate = Award.objects.filter(
        student_id=award.student_id, program_id=award.program_id, start_date=award.start_date
    )
    if award.student_id and duplicate.exclude(pk=award.pk).exists():
        raise ValidationError({"start_date": [ValidationError(DUPLICATE_AWARD, code="duplicate_award")]})
    award.validate_constraints()


def person_awards(student: Student) -> list[rules.AwardTerms]:
    """Every award of the person: all records sharing the student's e-Rad number, any university
    (DOMAIN.md Exclusive programs: "one person (every record sharing an e-Rad number)")."""
    ids = {student.pk} | _erad_partners(student)
    return [a for awards in award_terms(ids).values() for a in awards]


def award_defaults(*, program: Program, start_date: date) -> dict[str, int]:
    """The amounts the program's rule gives on the start date (pre-filled in forms); empty before
    the program's first rule version (DOMAIN.md Amounts in force: "A date before the first rule
    version of a program has no rule: the university must enter the amount")."""
    rule = stipend_rule_in_force(program=program, day=start_date)
    if rule is None:
        return {}
    return {"annual_living_cost": rule.annual_living_cost, "annual_research_cost": rule.annual_research_cost}


@transaction.atomic
def award_create(
    *,
    student: Student,
    program: Program,
    start_date: date,
    end_date: date,
    acting_user: Any,
    annual_living_cost: int | None = None,
    annual_research_cost: int | None = None,
    is_reserved: bool = False,
) -> Award:
    defaults = award_defaults(program=program, start_date=start_date)
    if annual_living_cost is None and not defaults:
        message = format_lazy(rules.NO_RULE_AMOUNT, day=start_date.isoformat(), program=program.code)
        raise ValidationError({"annual_living_cost": [ValidationError(message, code="no_rule")]})
    award = Award(
        student=student,
        university_id=student.university_id,
        program=program,
        start_date=start_date,
        end_date=end_date,
        annual_living_cost=defaults["annual_living_cost"] if annual_living_cost is None else annual_living_cost,
        annual_research_cost=(
            defaults.get("annual_research_cost", 0) if annual_research_cost is None else annual_research_cost
        ),
        is_reserved=is_reserved,
    )
    lock_persons(student_ids=[student.pk])  # the person's awards are checked, then one is added
    _award_validate(award)
    award._history_user = acting_user
    award.save()
    facts_refresh(student_ids=[student.pk])
    return award


@transaction.atomic
def award_update(*, award: Award, acting_user: Any, expected_version: int | None = None, **changes: Any) -> Award:
    lock_persons(student_ids=[award.student_id])  # an award never changes student
    current = locked_for_update(Award, award.pk, expected_version)
    changed = [name for name in AWARD_FIELDS if name in changes and getattr(current, name) != changes[name]]
    if not changed:
        return current
    before = (current.program_id, current.start_date, current.end_date)
    for name in changed:
        setattr(current, name, changes[name])
    _award_validate(current, before=before)
    current.version += 1
    current._history_user = acting_user
    current.save()
    facts_refresh(student_ids=[current.student_id])
    return current


@transaction.atomic
def award_delete(*, award: Award, acting_user: Any) -> None:
    """Delete an award with its events; refused in a year whose report is accepted, and when
    another app keeps rows of it that must stay (a paid month: check_deletable)."""
    student_id = award.student_id
    lock_persons(student_ids=[student_id])
    # Locked before the check: a payment being recorded for it waits, then finds it gone.
    Award.objects.select_for_update().filter(pk=award.pk).first()
    check_deletable(award_ids=[award.pk])
    check_unlocked(
        university_id=award.student.university_id,
        program_id=award.program_id,
        periods=[(award.start_date, award.end_date)],
    )
    award._history_user = acting_user
    with recorded_as(acting_user):  # and its events, deleted by the cascade
        award.delete()
    facts_refresh(student_ids=[student_id])


# --- Award events -------------------------------------------------------------------------


def _with_special_allowance(award: Award, day: date) -> int:
    """The award's amount in force on `day` plus the program rule's final-year special allowance
    (DOMAIN.md: the DC allowance, ¥360,000 a year, "applies from FY2024 (a rule version with that
    effective date)"); refused where the rule in force has none."""
    rule = stipend_rule_in_force(program=award.program, day=day)
    if rule is None or not rule.annual_special_allowance:
        message = format_lazy(NO_SPECIAL_ALLOWANCE, day=day.isoformat(), program=award.program.code)
        raise ValidationError({"start_date": [ValidationError(message, code="no_special_allowance")]})
    changes = award.events.filter(
        kind=AwardEvent.Kind.AMOUNT_CHANGE, start_date__lte=day, annual_living_cost__isnull=False
    )
    latest = changes.order_by("-start_date", "-pk").values_list("annual_living_cost", flat=True).first()
    return (award.annual_living_cost if latest is None else latest) + rule.annual_special_allowance


def _outside(award: Award, day: date) -> ValidationError:
    return ValidationError(
        {
            "start_date": [
                ValidationError(
                    format_lazy(EVENT_DATE_OUTSIDE, start=award.start_date, end=award.end_date), code="outside"
                )
            ]
        }
    )


@transaction.atomic
def award_event_create(
    *,
    award: Award,
    kind: str,
    start_date: date,
    acting_user: Any,
    end_date: date | None = None,
    reason: str = "",
    annual_living_cost: int | None = None,
    special_allowance: bool = False,
) -> AwardEvent:
    """Record a suspension, resumption, extension, early termination, completion or amount change.

    Events never erase what was paid (DOMAIN.md: Suspension and recovery): the award's end
    moves, and the event keeps the end it had before.
    """
    lock_persons(student_ids=[award.student_id])  # an extension is checked against the person's awards
    # Only the award's row, and not against key references (see locked_for_update): locking its
    # program and student too made two writes on one person deadlock beside a rebuild.
    award = locked_row(
        Award.objects.select_for_update(no_key=True, of=("self",)).select_related("program", "student"), award.pk
    )
    if kind not in AwardEvent.Kind.values:
        raise ValidationError({"kind": [ValidationError(_("不明な種別です。"), code="invalid_choice")]})
    if award.status in (Award.Status.COMPLETED, Award.Status.TERMINATED) and kind != AwardEvent.Kind.EXTENSION:
        raise ValidationError({"__all__": [ValidationError(AWARD_CLOSED, code="closed")]})
    if kind == AwardEvent.Kind.AMOUNT_CHANGE and special_allowance:
        annual_living_cost = _with_special_allowance(award, start_date)
    event = AwardEvent(
        award=award,
        university_id=award.university_id,
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        reason=reason,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
        previous_end_date=award.end_date,
        annual_living_cost=annual_living_cost if kind == AwardEvent.Kind.AMOUNT_CHANGE else None,
    )
    open_suspension = award.events.filter(kind=AwardEvent.Kind.SUSPENSION, end_date__isnull=True).first()
    # Any event changes what the award pays from its date on: those years must not be locked.
    check_unlocked(
        university_id=award.student.university_id,
        program_id=award.program_id,
        periods=[(max(start_date, award.start_date), max(award.end_date, end_date or award.end_date))],
    )

    if kind == AwardEvent.Kind.SUSPENSION:
        if open_suspension:
            raise ValidationError({"__all__": [ValidationError(ALREADY_SUSPENDED, code="already_suspended")]})
        if not award.start_date <= start_date <= award.end_date:
            raise _outside(award, start_date)
        if end_date is not None:
            try:
                rules.check_dates(start_date, end_date)
            except rules.RuleViolation as violation:
                raise _field_error(violation) from violation
        award.status = Award.Status.SUSPENDED if end_date is None else award.status
    elif kind == AwardEvent.Kind.RESUMPTION:
        if open_suspension is None:
            raise ValidationError({"__all__": [ValidationError(NO_OPEN_SUSPENSION, code="no_suspension")]})
        if start_date <= open_suspension.start_date:
            raise ValidationError({"start_date": [ValidationError(rules.END_BEFORE_START, code="end_before_start")]})
        open_suspension.end_date = start_date - timedelta(days=1)
        open_suspension._history_user = acting_user
        open_suspension.save(update_fields=["end_date"])
        # DOMAIN.md (Term limits) read for an open suspension: it "runs on, past the award's end",
        # so while it is open every month inside the award after its start is suspended and
        # extends the term by one month; an extension made then adds only unpaid months (each
        # later end is a fixed point of "the term of the award as it will be"). Ending it makes
        # the months after it pay again: the award as it will be is checked against its term
        # here, so the paid months never exceed the program's term however often it was extended.
        _award_validate(award, locked={})
        award.status = Award.Status.ACTIVE
    elif kind == AwardEvent.Kind.EXTENSION:
        if end_date is None:
            raise ValidationError({"end_date": [ValidationError(END_REQUIRED, code="required")]})
        if end_date <= award.end_date:
            raise ValidationError(
                {"end_date": [ValidationError(format_lazy(EXTENSION_NOT_LATER, end=award.end_date), code="not_later")]}
            )
        # The award as it will be runs every check an edit to the same end runs (its term
        # with the suspensions inside it, exclusive programs); the event's years were checked above.
        extended = copy.copy(award)
        extended.end_date = end_date
        _award_validate(extended, locked={})
        award.end_date = end_date
        award.status = Award.Status.ACTIVE if award.status != Award.Status.SUSPENDED else award.status
    elif kind == AwardEvent.Kind.AMOUNT_CHANGE:
        # DOMAIN.md (Amounts in force): a dated event; months from the first one starting on or
        # after `start_date` are paid at the new amount. The award's own amount stays the base.
        if not award.start_date <= start_date <= award.end_date:
            raise _outside(award, start_date)
        if annual_living_cost is None:
            raise ValidationError({"annual_living_cost": [ValidationError(AMOUNT_REQUIRED, code="required")]})
        if not _amount_is_valid(annual_living_cost):
            message = format_lazy(AMOUNT_OUT_OF_RANGE, max=f"{MAX_ANNUAL_YEN:,}")
            raise ValidationError({"annual_living_cost": [ValidationError(message, code="amount_range")]})
    else:  # termination or completion: the award ends on the event's date
        if not award.start_date <= start_date <= award.end_date:
            raise _outside(award, start_date)
        # An open suspension stays open: it "runs on, past the award's end" (DOMAIN.md Living-cost
        # rate), so a last month that lies wholly within it is not paid.
        award.end_date = start_date
        award.status = Award.Status.TERMINATED if kind == AwardEvent.Kind.TERMINATION else Award.Status.COMPLETED

    event.full_clean()
    event._history_user = acting_user
    event.save()
    award.version += 1
    award._history_user = acting_user
    award.save(update_fields=["end_date", "status", "version", "updated_at"])
    facts_refresh(student_ids=[award.student_id])
    return event


WITHDRAW_NOT_LATEST = _("この異動の後に別の異動があるため取り消せません。後の異動から取り消してください。")
WITHDRAW_KINDS = (
    AwardEvent.Kind.SUSPENSION,
    AwardEvent.Kind.AMOUNT_CHANGE,
    AwardEvent.Kind.TERMINATION,
    AwardEvent.Kind.COMPLETION,
)


@transaction.atomic
def award_event_withdraw(*, event: AwardEvent, acting_user: Any) -> None:
    """Withdraw a change recorded in error (a suspension, an amount change, an early end).

    The event is deleted with its history kept, and the award is as if it had never been
    recorded; what depends on it (facts, and the payments app's recovery claims, which are
    derived from the events as they stand) follows. An early end can be withdrawn only while it
    is the award's latest event, so the end it restores is the one before it.
    """
    lock_persons(student_ids=Award.objects.filter(pk=event.award_id).values_list("student_id", flat=True))
    award = locked_row(Award.objects.select_for_update(), event.award_id)
    event = locked_row(AwardEvent.objects.all(), event.pk)  # its award's lock holds it
    if event.kind not in WITHDRAW_KINDS:
        raise ValidationError(
            {"__all__": [ValidationError(_("この種別の異動は取り消せません。"), code="not_withdrawable")]}
        )
    ends_award = event.kind in (AwardEvent.Kind.TERMINATION, AwardEvent.Kind.COMPLETION)
    if ends_award and award.events.filter(pk__gt=event.pk).exists():
        raise ValidationError({"__all__": [ValidationError(WITHDRAW_NOT_LATEST, code="not_latest")]})
    last = max(award.end_date, event.previous_end_date or award.end_date, event.end_date or award.end_date)
    check_unlocked(
        university_id=award.university_id,
        program_id=award.program_id,
        periods=[(max(event.start_date, award.start_date), last)],
    )
    if ends_award:
        award.end_date = event.previous_end_date or award.end_date
        award.status = Award.Status.ACTIVE
    elif event.kind == AwardEvent.Kind.SUSPENSION and event.end_date is None:
        award.status = Award.Status.ACTIVE
    event._history_user = acting_user
    event.delete()
    if ends_award or event.kind == AwardEvent.Kind.SUSPENSION:
        # The award as it will be, as an extension to the same end is checked: an end undone runs
        # it again to its earlier end (exclusive programs: "whichever way the overlap arises"),
        # and a suspension undone no longer extends its term. Its years were checked above.
        _award_validate(award, locked={})
    award.version += 1
    award._history_user = acting_user
    award.save(update_fields=["end_date", "status", "version", "updated_at"])
    facts_refresh(student_ids=[award.student_id])
