"""Matching upload rows to records, and validating them through the services' own checks.

Students match on university + student number, awards on student + program + start date,
so the same file twice changes nothing and a corrected file updates in place. Every row is
validated by the functions the forms and the API use (`students.services.student_check` and
`award_check`), in memory against the university's data read once for the whole file, so a
row, a form and an API call are refused alike, with the same error codes. Checking writes
nothing; every error of every row is listed at once.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from phdsupport.validation import field_errors, messages_text
from programs import rules
from programs.labels import lazy_join
from programs.models import Program, StipendRule
from students.imports.parse import (
    AWARD_KEYS,
    HEADER_TO_KEY,
    LABEL_OF,
    LIST_SEPARATOR,
    MISSING_HEADERS,
    PARSERS,
    REQUIRED,
    REQUIRED_STUDENT,
    STUDENT_KEYS,
    UNKNOWN_HEADER,
    ImportResult,
    RowError,
    UploadRejected,
    _text,
    read_table,
)
from students.models import Award, Student, University, YearLock
from students.selectors import award_terms, award_terms_of
from students.services import (
    LockedYears,
    award_check,
    hold_year_locks,
    lock_persons,
    locked_years,
    student_check,
)

CONFLICTING_STUDENT = _("同じ学籍番号の行で学生の情報が食い違っています（{row}行目）。")
DUPLICATE_AWARD = _("同じ支援（事業・開始日）が{row}行目にもあります。")
UNKNOWN_STUDENT = _("この学籍番号の学生がいません。学生も一緒に送ってください。")
AWARD_INCOMPLETE = _("支援の列（事業・開始日・終了日）をすべて入力してください。")
UNKNOWN_PROGRAM = _("不明な支援事業です: {value}")
DUPLICATE_ERAD = _("この研究者番号は{where}の学生と重複しています（同じ大学に同じ人は一度だけ登録します）。")

STUDENT_VALUE_KEYS = STUDENT_KEYS[1:]  # what a row says about a student besides the number
AWARD_KEY_SET = frozenset(AWARD_KEYS)
NOTHING: frozenset[str] = frozenset()
AWARD_FIELDS = ("program", "start_date", "end_date", "annual_living_cost", "annual_research_cost", "is_reserved")


# A plan holds one of each per row of the file until it is applied: their values are kept as
# tuples (a third of a dict's memory; 30 MB over a 100,000-row file) and read back as dicts.
class StudentPlan:
    __slots__ = ("_values", "changed", "instance", "row")

    def __init__(self, row: int, values: dict[str, Any], instance: Student | None = None, changed: bool = False):
        self.row = row
        self._values = tuple(values[key] for key in STUDENT_VALUE_KEYS)
        self.instance = instance
        self.changed = changed

    @property
    def values(self) -> dict[str, Any]:
        return dict(zip(STUDENT_VALUE_KEYS, self._values, strict=True))


class AwardPlan:
    __slots__ = ("_values", "changed", "instance", "row", "student_number", "unreadable")

    def __init__(
        self,
        row: int,
        student_number: str,
        values: dict[str, Any],
        instance: Award | None = None,
        changed: bool = False,
        unreadable: frozenset[str] = NOTHING,  # cells refused already: not checked again
    ):
        self.row = row
        self.student_number = student_number
        self._values = tuple(values[key] for key in AWARD_FIELDS)
        self.instance = instance
        self.changed = changed
        self.unreadable = unreadable

    @property
    def values(self) -> dict[str, Any]:
        return dict(zip(AWARD_FIELDS, self._values, strict=True))


@dataclass
class ImportPlan:
    university: University
    result: ImportResult
    students: dict[str, StudentPlan] = field(default_factory=dict)
    awards: list[AwardPlan] = field(default_factory=list)
    # What the check read, as a digest (`_fingerprint`): "<base>.<persons>". An apply whose
    # reads give the same digest as the preview's check gets the same verdict without the rules.
    fingerprint: str = ""
    source: str = ""  # the digest of the file the plan was made from (empty: the API's rows)
    # The rules were run (False: the fingerprint matched the one given, so they were not).
    validated: bool = True


def unsaved(model: type[Model], values: dict[str, Any]) -> Any:
    """An unsaved instance of `model` with `values` (field names or attnames; a related object
    by its field's name), built the quick way Django builds one from a database row: every
    concrete field given in order, defaults for the rest. Keyword construction costs about
    three times as much, which a 100,000-row upload notices (it builds one per row, twice)."""
    args = []
    related = []
    for attname, name, is_relation, field_ in _concrete_fields(model):
        if attname in values:
            args.append(values[attname])
        elif is_relation and name in values:
            obj = values[name]
            args.append(None if obj is None else obj.pk)
            related.append((field_, obj))
        else:
            args.append(field_.get_default())
    instance = model(*args)
    for field_, obj in related:
        field_.set_cached_value(instance, obj)
    return instance


@cache
def _concrete_fields(model: type[Model]) -> tuple[tuple[str, str, bool, Any], ...]:
    return tuple((f.attname, f.name, f.is_relation, f) for f in model._meta.concrete_fields)


def _student_defaults(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "erad_number": values.get("erad_number") or "",
        "family_name": values.get("family_name") or "",
        "given_name": values.get("given_name") or "",
        "field": values.get("field"),
        "entry_date": values.get("entry_date"),
        "standard_term_years": values.get("standard_term_years") or 3,
        "status": values.get("status") or Student.Status.ENROLLED,
        "completion_date": values.get("completion_date"),
        "is_international": values.get("is_international", False),
        "is_working_adult": values.get("is_working_adult", False),
        "entry_route": values.get("entry_route") or "",
    }


def import_check(
    *,
    university: University,
    content: bytes,
    filename: str = "",
    progress: Callable[[int, int], None] | None = None,
    checked: str = "",
    lock: bool = False,
) -> ImportPlan:
    """Read, parse and validate a file against the university's current data; writes nothing.

    `checked`: the fingerprint of an earlier check of the same file (the preview's); where what
    this check reads is unchanged since, the rules are not run again (their answer would be the
    same) and the plan says so (`validated` False). `lock`: inside the apply's transaction, after
    plan_is_current has locked the file's persons, the university's students and awards are read
    locked (FOR NO KEY UPDATE, as an edit locks its row) until it ends, so what was compared is
    what is written over."""
    table = read_table(content, filename)
    headers = table.headers
    keys: list[str | None] = [HEADER_TO_KEY.get(header) for header in headers]
    unknown = [
        RowError(1, h, format_lazy(UNKNOWN_HEADER, column=h), code="unknown_column")
        for h, k in zip(headers, keys, strict=True)
        if k is None and h
    ]
    missing = [LABEL_OF[k] for k in ["student_number", "field", "entry_date"] if k not in keys]
    if missing:
        raise UploadRejected(format_lazy(MISSING_HEADERS, columns=lazy_join(LIST_SEPARATOR, missing)))
    plan = plan_rows(
        university=university,
        keys=keys,
        raw_rows=table.rows(),
        total=table.count,
        progress=progress,
        checked=checked,
        lock=lock,
        source=hashlib.sha256(content).hexdigest(),
    )
    plan.result.errors[:0] = unknown
    return plan


def row_errors(row: int, error: ValidationError, *, default: str, labels: dict[str, str] = LABEL_OF) -> list[RowError]:
    """A service's ValidationError as row errors: each under its field's column (errors of the
    record as a whole under `default`'s), message and code unchanged."""
    found = []
    for name, errors in error.update_error_dict({}).items():
        key = name if name in labels else ""
        for item in errors:
            found.append(RowError(row, labels[key or default], messages_text(item), key, item.code or "invalid"))
    return found


def plan_rows(
    *,
    university: University,
    keys: list[str | None],
    raw_rows: Iterable[list[Any]],
    total: int,
    progress: Callable[[int, int], None] | None = None,
    checked: str = "",
    lock: bool = False,
    source: str = "",
) -> ImportPlan:
    """Validate rows (cells in `keys` order) against the university's data; writes nothing.

    A cell that is None is absent (the API's bulk items), and a row whose only student cell
    is the student number adds an award to a student already known. `checked`, `lock`: as
    import_check; `source` names the rows (a digest of the file) for the fingerprint, which
    is left empty without it.
    """
    result = ImportResult(rows=total)
    plan = ImportPlan(university=university, result=result)
    programs = {p.code: p for p in Program.objects.all()}
    defaults = _rule_defaults()
    students = Student.objects.filter(university=university).order_by("pk")
    awards = Award.objects.filter(university=university).order_by("pk")
    if lock:
        students, awards = students.select_for_update(no_key=True), awards.select_for_update(no_key=True)
    existing = {s.student_number: s for s in students}
    existing_awards: dict[tuple[int, int, date], Award] = {
        (a.student_id, a.program_id, a.start_date): a for a in awards
    }
    plan.source = source
    base = (
        _base_fingerprint(
            university,
            source,
            [(s.pk, s.version) for s in existing.values()],
            [(a.pk, a.version) for a in existing_awards.values()],
        )
        if source
        else ""
    )
    # The students' checks depend on the rows and the university's records only (base), the
    # awards' also on the other records of the file's persons: checked apart below.
    check_students = not (base and checked.split(".")[0] == base)
    award_rows: dict[tuple[str, str, date], int] = {}
    errors = result.errors
    columns = [(key, PARSERS[key]) if key is not None else (None, None) for key in keys]

    for index, raw in enumerate(raw_rows):
        row_number = index + 2
        if progress and index % 1000 == 0:
            progress(index, total)
        if all(_text(cell) == "" for cell in raw):
            continue
        values: dict[str, Any] = {}
        unreadable: set[str] = set()  # cells refused already: not checked again
        for (key, parse), cell in zip(columns, raw, strict=False):
            if key is None or cell is None:
                continue
            try:
                values[key] = parse(cell)
            except ValueError as error:
                code = getattr(error, "code", "invalid")
                errors.append(RowError(row_number, LABEL_OF[key], error.args[0], key, code))
                unreadable.add(key)
        number = values.get("student_number")
        given = values.keys() | unreadable
        award_only = number and not any(k in given for k in STUDENT_VALUE_KEYS) and any(k in given for k in AWARD_KEYS)
        if award_only:
            if number not in plan.students:
                instance = existing.get(number)
                if instance is None:
                    errors.append(
                        RowError(
                            row_number,
                            LABEL_OF["student_number"],
                            UNKNOWN_STUDENT,
                            "student_number",
                            "unknown_student",
                        )
                    )
                    continue
                current = {k: getattr(instance, k) for k in STUDENT_VALUE_KEYS}
                plan.students[number] = StudentPlan(row_number, current, instance, False)
        elif not _plan_student(plan, existing, row_number, values, unreadable, check=check_students):
            continue
        _plan_award(plan, programs, defaults, existing_awards, award_rows, row_number, values, unreadable)

    if base:
        plan.fingerprint = f"{base}.{_persons_fingerprint(plan)}"
    if check_students:
        _check_erad_numbers(plan)
    if plan.fingerprint and plan.fingerprint == checked:
        plan.validated = False  # nothing the rules read has changed: their answer stands
    else:
        _check_awards(plan, locked_years(university_id=university.pk))
    errors.sort(key=lambda e: (e.row, str(e.column)))
    _count(plan)
    if progress:
        progress(total, total)
    return plan


def _plan_student(
    plan: ImportPlan,
    existing: dict[str, Student],
    row: int,
    values: dict[str, Any],
    unreadable: set[str],
    *,
    check: bool = True,
) -> bool:
    """Plan the row's student (checked by `student_check` unless `check` is False: the same
    rows were checked against the same records before); False when the row names none."""
    errors = plan.result.errors
    missing = {key for key in REQUIRED_STUDENT if key not in unreadable and values.get(key) in (None, "")}
    errors.extend(RowError(row, LABEL_OF[key], REQUIRED, key, "required") for key in sorted(missing))
    number = values.get("student_number")
    if not number:
        return False
    instance = existing.get(number)
    # Columns the file leaves out keep what the record has (or the defaults for a new one).
    base = {k: getattr(instance, k) for k in STUDENT_VALUE_KEYS} if instance else _student_defaults({})
    provided = {k: v for k, v in values.items() if k in STUDENT_VALUE_KEYS and v is not None}
    student_values = {**base, **provided}
    known = plan.students.get(number)
    if known is not None:
        if known.values != student_values:
            message = format_lazy(CONFLICTING_STUDENT, row=known.row)
            errors.append(RowError(row, LABEL_OF["student_number"], message, "student_number", "conflicting_student"))
        return True
    changed = instance is None or any(getattr(instance, k) != v for k, v in student_values.items())
    if changed and check:  # as student_update: a student left as it is is not checked again
        student = unsaved(Student, {"student_number": number, **student_values})  # the university is not checked
        try:
            student_check(student, exclude=unreadable | missing)
        except ValidationError as error:
            errors.extend(row_errors(row, error, default="student_number"))
    plan.students[number] = StudentPlan(row, student_values, instance, changed)
    return True


def _plan_award(
    plan: ImportPlan,
    programs: dict[str, Program],
    defaults: dict[str, Callable[[date], tuple[int, int] | None]],
    existing_awards: dict[tuple[int, int, date], Award],
    award_rows: dict[tuple[str, str, date], int],
    row: int,
    values: dict[str, Any],
    unreadable: set[str],
) -> None:
    """Plan the row's award, if it has one; its rules are checked once every row is read."""
    errors = plan.result.errors
    award_values = {k: values.get(k) for k in AWARD_KEYS}
    if not any(award_values[k] not in (None, "", False) for k in AWARD_KEYS) and not unreadable & AWARD_KEY_SET:
        return
    needed = ("program", "start_date", "end_date")
    if not all(award_values[k] for k in needed):
        if not any(k in unreadable for k in needed):
            errors.append(RowError(row, LABEL_OF["program"], AWARD_INCOMPLETE, "program", "required"))
        return
    date_errors = field_errors(Award, award_values, ("start_date", "end_date"))  # plausible dates
    if date_errors:
        errors.extend(RowError(row, LABEL_OF[k], m, k) for k, m in date_errors)
        return
    program = programs.get(award_values["program"])
    if program is None:
        message = format_lazy(UNKNOWN_PROGRAM, value=award_values["program"])
        errors.append(RowError(row, LABEL_OF["program"], message, "program", "invalid_choice"))
        return
    number = values["student_number"]
    key = (number, program.code, award_values["start_date"])
    if key in award_rows:
        message = format_lazy(DUPLICATE_AWARD, row=award_rows[key])
        errors.append(RowError(row, LABEL_OF["start_date"], message, "start_date", "duplicate_award"))
        return
    award_rows[key] = row
    student = plan.students[number].instance
    instance = existing_awards.get((student.pk, program.pk, award_values["start_date"])) if student else None
    # Empty amounts keep the award's amounts, or take the program's rule for a new award.
    amounts = defaults.get(program.code)
    rule_amounts = amounts(award_values["start_date"]) if amounts else None
    if rule_amounts is None and instance is None and award_values["annual_living_cost"] is None:
        if "annual_living_cost" not in unreadable:
            # DOMAIN.md (Amounts in force): before the program's first rule version the
            # university must enter the amount (as award_create refuses it).
            message = format_lazy(
                rules.NO_RULE_AMOUNT, day=award_values["start_date"].isoformat(), program=program.code
            )
            errors.append(RowError(row, LABEL_OF["annual_living_cost"], message, "annual_living_cost", "no_rule"))
        return
    for amount_key, fallback in zip(
        ("annual_living_cost", "annual_research_cost"), rule_amounts or (0, 0), strict=True
    ):
        if award_values[amount_key] is None:
            award_values[amount_key] = getattr(instance, amount_key) if instance else fallback
    award_values["is_reserved"] = bool(award_values["is_reserved"])
    award_values["program"] = program
    changed = instance is None or any(
        getattr(instance, k) != v for k, v in award_values.items() if k not in ("program", "start_date")
    )
    refused = frozenset(unreadable & AWARD_KEY_SET) if unreadable else NOTHING
    plan.awards.append(AwardPlan(row, number, award_values, instance, changed, refused))


def _check_awards(plan: ImportPlan, locked: LockedYears) -> None:
    """Every new or changed award through `award_check`, as the services run it, against the
    other awards of its student: those in the file as the file leaves them, the rest as they are.

    One student at a time, so that a file of 100,000 rows never holds all its awards as models."""
    existing = award_terms(university_id=plan.university.pk)
    elsewhere = _awards_of_other_records(plan)
    by_student: dict[str, list[AwardPlan]] = defaultdict(list)
    for item in plan.awards:
        by_student[item.student_number].append(item)
    errors = plan.result.errors
    # A new award alone on its student depends on its own values only: rows alike in all of
    # them (a cohort: one program, start, end and amount) get award_check's answer once.
    answers: dict[tuple[Any, ...], list[tuple[str, str, str, str]]] = {}
    for number, items in by_student.items():
        student = plan.students[number]
        enrolled = student.values["status"] in (Student.Status.ENROLLED, Student.Status.ON_LEAVE)
        recorded = {t.award_id: t for t in existing.get(student.instance.pk, ())} if student.instance else {}
        staged: list[tuple[AwardPlan, rules.AwardTerms | None]] = []
        for item in items:
            own = recorded.pop(item.instance.pk, None) if item.instance is not None else None
            staged.append((item, own))
        # The person's other awards: the file's as it leaves them, the rest as recorded, and
        # those of the person's other records (the same e-Rad number; exclusive programs are per person).
        others: list[rules.AwardTerms] = [
            *recorded.values(),
            *elsewhere.get(student.values.get("erad_number") or "", ()),
        ]
        if len(staged) > 1:
            others += [own if _unchanged(item) else _terms(item, own) for item, own in staged]
        for item, own in staged:
            if _unchanged(item):
                continue  # as award_update: an award left as it is is not checked again
            key = None
            if not others and item.instance is None:
                values = item.values
                key = (*(values[k] for k in AWARD_FIELDS), enrolled, item.unreadable)
                if key in answers:
                    errors.extend(RowError(item.row, *found) for found in answers[key])
                    continue
            before = None
            if item.instance is not None:
                before = (item.instance.program_id, item.instance.start_date, item.instance.end_date)
            found = []
            try:
                award_check(
                    _award(item),
                    student_is_enrolled=enrolled,
                    others=[t for t in others if t.award_id != _award_id(item)],
                    own_suspensions=own.suspensions if own else (),
                    own_amount_changes=own.amount_changes if own else (),
                    locked=locked,
                    before=before,
                    exclude=item.unreadable,
                )
            except ValidationError as error:
                found = [
                    # A recorded suspension left outside the award is the award's fault as a whole:
                    # shown under the program's column, as the upload has always shown it.
                    replace(e, column=LABEL_OF["program"]) if e.code == "suspension_outside" else e
                    for e in row_errors(item.row, error, default="program")
                ]
                errors.extend(found)
            if key is not None:
                answers[key] = [(e.column, e.message, e.field, e.code) for e in found]


# --- What a check read: its fingerprint --------------------------------------------------------
#
# The check of a file is a function of the file, the code, the language of its messages and the
# rows it reads: the programs and their rules, the university's students and awards (with their
# events, which bump their award's version), its locked years, and the other records of the
# persons the file names (the same e-Rad number elsewhere) with their awards. Every write to a
# student or an award goes through students.services or an upload, which raise its `version`
# (the admin is read-only), ids are never reused, and a deletion drops the id: the ids and
# versions of those rows, with the small tables whole, name what the check saw.

CHECK_MODULES = (
    "programs/rules.py",
    "programs/models.py",
    "students/models.py",
    "students/selectors.py",
    "students/services.py",
    "students/imports/parse.py",
    "students/imports/plan.py",
)


@cache
def _code_digest() -> str:
    """The check's own code: a release between the preview and the apply checks again."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for name in CHECK_MODULES:
        digest.update((root / name).read_bytes())
    return digest.hexdigest()


def _digest(*parts: Any) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode())
        digest.update(b"\x1f")
    return digest.hexdigest()[:32]


def _all_values(model: type[Model]) -> list[tuple[Any, ...]]:
    return list(model.objects.order_by("pk").values_list(*(f.attname for f in model._meta.concrete_fields)))


def _base_fingerprint(
    university: University, source: str, students: Iterable[tuple[int, int]], awards: Iterable[tuple[int, int]]
) -> str:
    """`students`, `awards`: the university's, as (id, version)."""
    return _digest(
        _code_digest(),
        translation.get_language(),
        source,
        university.pk,
        _all_values(Program),
        _all_values(StipendRule),
        sorted(YearLock.objects.filter(university=university).values_list("program_id", "fiscal_year")),
        sorted(students),
        sorted(awards),
    )


def lock_plan_persons(plan: ImportPlan) -> None:
    """Inside the apply's transaction, before any row lock (students/services.py, "Lock order"):
    the persons of the file's records (by student number, as they are now) and of the e-Rad
    numbers it gives, with every other record of theirs: all whose exclusive programs the check
    read and all the apply's facts refresh will take (its new records are keyed by number only)."""
    numbers = list(plan.students)
    erads = [item.values.get("erad_number") for item in plan.students.values()]
    records = dict(
        Student.objects.filter(university=plan.university, student_number__in=numbers).values_list(
            "student_number", "pk"
        )
    )
    # The numbers of its new records too: a form creating one of them at the same moment waits,
    # or is waited for and then seen (the plan is no longer current).
    new = [(plan.university.pk, number) for number in numbers if number not in records]
    lock_persons(student_ids=records.values(), erad_numbers=erads, student_numbers=new)


def plan_is_current(plan: ImportPlan) -> bool:
    """Inside the apply's transaction: whether what the plan's check read is still as it was,
    read again with the file's persons locked, then the university's students and awards (FOR NO
    KEY UPDATE, as an edit locks its row), until the transaction ends, so that what was compared
    is what is written over. A plan without a fingerprint is never taken as current (its persons
    are locked all the same, before the rows a check again locks)."""
    lock_plan_persons(plan)
    if not plan.fingerprint:
        return False
    university = plan.university
    # The whole university's rows, not only the file's (issue #14, considered and left): with the
    # file's persons held, the file's records alone would do while the plan is current, but the
    # check run again here reads the records as they are then, a record new since the persons
    # were locked included, and locking them all keeps that path plain. Locking 10,000 students
    # and 25,000 awards costs 60-200 ms over reading them, and a large file's persons take every
    # lock bucket anyway, which holds up the writes of every university until the commit.
    students = Student.objects.filter(university=university).order_by("pk").select_for_update(no_key=True)
    awards = Award.objects.filter(university=university).order_by("pk").select_for_update(no_key=True)
    students_read, awards_read = list(students.values_list("pk", "version")), list(awards.values_list("pk", "version"))
    hold_year_locks(university.pk)  # the locked years the fingerprint reads stay as read
    base = _base_fingerprint(university, plan.source, students_read, awards_read)
    return f"{base}.{_persons_fingerprint(plan)}" == plan.fingerprint


def _persons_fingerprint(plan: ImportPlan) -> str:
    """The records (any university) of the e-Rad numbers the file leaves on its students, and
    their awards: the exclusive programs are checked against them."""
    erads = sorted({item.values.get("erad_number") for item in plan.students.values()} - {None, ""})
    if not erads:
        return _digest()
    records = Student.objects.filter(erad_number__in=erads).order_by("pk").values_list("pk", "version")
    awards = Award.objects.filter(student__erad_number__in=erads).order_by("pk").values_list("pk", "version")
    return _digest(list(records), list(awards))


def _check_erad_numbers(plan: ImportPlan) -> None:
    """One record per person per university (DOMAIN.md: A person): after the file, an e-Rad
    number may be on one student of the university only."""
    final = dict(
        Student.objects.filter(university=plan.university)
        .exclude(erad_number="")
        .values_list("student_number", "erad_number")
    )
    final.update({number: item.values.get("erad_number") or "" for number, item in plan.students.items()})
    holders: dict[str, list[str]] = defaultdict(list)
    for number, erad in sorted(final.items()):
        if erad:
            holders[erad].append(number)
    for number, item in plan.students.items():
        erad = item.values.get("erad_number") or ""
        others = [n for n in holders.get(erad, []) if n != number]
        if erad and others:
            message = format_lazy(DUPLICATE_ERAD, where=others[0])
            plan.result.errors.append(
                RowError(item.row, LABEL_OF["erad_number"], message, "erad_number", "duplicate_erad")
            )


def _awards_of_other_records(plan: ImportPlan) -> dict[str, list[rules.AwardTerms]]:
    """e-Rad number → the awards of that person's records outside this file's students."""
    erads = {item.values.get("erad_number") for item in plan.students.values()} - {None, ""}
    if not erads:
        return {}
    planned = {item.instance.pk for item in plan.students.values() if item.instance is not None}
    records = dict(
        Student.objects.filter(erad_number__in=erads).exclude(pk__in=planned).values_list("pk", "erad_number")
    )
    by_erad: dict[str, list[rules.AwardTerms]] = defaultdict(list)
    for student_id, awards in award_terms(records).items():
        by_erad[records[student_id]].extend(awards)
    return by_erad


def _unchanged(item: AwardPlan) -> bool:
    return item.instance is not None and not item.changed


def _award_id(item: AwardPlan) -> int:
    """The award's id among its student's awards: a new one is told apart by its row."""
    return item.instance.pk if item.instance is not None else -item.row


def _award(item: AwardPlan) -> Award:
    """The award as the row leaves it, unsaved."""
    pk = item.instance.pk if item.instance is not None else None
    return unsaved(Award, {"id": pk, **{k: item.values[k] for k in AWARD_FIELDS}})


def _terms(item: AwardPlan, own: rules.AwardTerms | None) -> rules.AwardTerms:
    return award_terms_of(
        _award(item),
        own.suspensions if own else (),
        award_id=_award_id(item),
        amount_changes=own.amount_changes if own else (),
    )


def _rule_defaults() -> dict[str, Callable[[date], tuple[int, int] | None]]:
    """Program code → function giving the rule's amounts on a start date (one query); None
    before the program's first rule version."""
    versions: dict[str, list[StipendRule]] = defaultdict(list)
    for rule in StipendRule.objects.select_related("program").order_by("effective_from"):
        versions[rule.program.code].append(rule)

    def make(rules_of: list[StipendRule]) -> Callable[[date], tuple[int, int] | None]:
        def amounts(day: date) -> tuple[int, int] | None:
            current = None
            for rule in rules_of:
                if rule.effective_from <= day:
                    current = rule
            return None if current is None else (current.annual_living_cost, current.annual_research_cost)

        return amounts

    return {code: make(items) for code, items in versions.items()}


def _count(plan: ImportPlan) -> None:
    result = plan.result
    result.students_created = sum(1 for s in plan.students.values() if s.instance is None)
    result.students_updated = sum(1 for s in plan.students.values() if s.instance is not None and s.changed)
    result.students_unchanged = sum(1 for s in plan.students.values() if s.instance is not None and not s.changed)
    result.awards_created = sum(1 for a in plan.awards if a.instance is None)
    result.awards_updated = sum(1 for a in plan.awards if a.instance is not None and a.changed)
    result.awards_unchanged = sum(1 for a in plan.awards if a.instance is not None and not a.changed)
