"""Every write to reported enrolment statistics: the form, the upload and the API call the same
checks (enrolment.rules) and write in one transaction, nothing at all when anything is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from enrolment import rules, selectors
from enrolment.models import EnrolmentStatistic, EnrolmentYearLock, IndicatorSnapshot
from programs.labels import lazy_fiscal_year_label, lazy_join
from students.imports import LIST_SEPARATOR, ColumnLabels, ImportResult, RowError, UploadRejected, read_table
from students.models import Field, University, YearLock
from students.services import hold_year_locks, locked_row

KEY_FIELDS = ("fiscal_year", "field")
VALUE_FIELDS = (*rules.COUNT_FIELDS, "standard_term_years")
WRITABLE = (*KEY_FIELDS, *VALUE_FIELDS)

YEAR_LOCKED = _("{fy}の統計は確定済みのため変更できません。担当官に確定の解除を依頼してください。")
ALREADY_REPORTED = _("{fy}の{field}は既に登録されています。変更してください。")
STALE_UPDATE = _("他の利用者が先に更新しました。再読み込みしてからやり直してください。")
NOT_A_WHOLE_NUMBER = _("整数で入力してください。")
MISSING_COLUMNS = _("必須の列がありません: {columns}")
DUPLICATE_ROW = _("同じ年度・学系が{row}行目にもあります。")


class StaleUpdate(ValidationError):
    """The row changed since the caller read it (optimistic locking by `version`)."""


def _errors(problems: Iterable[rules.Problem]) -> ValidationError:
    by_field: dict[str, list[ValidationError]] = {}
    for problem in problems:
        by_field.setdefault(problem.field or "__all__", []).append(ValidationError(problem.message, code=problem.code))
    return ValidationError(by_field)


def _field_codes() -> list[str]:
    return [code for code, _label in Field.choices]


def _cohort(values: Mapping[str, Any]) -> rules.CohortFigures:
    return rules.CohortFigures(
        standard_term_years=values["standard_term_years"],
        entrants=values["entrants"],
        completions_within_term=values["completions_within_term"],
    )


def _stored_cohorts(university_id: int, field_code: str) -> dict[int, rules.CohortFigures]:
    rows = EnrolmentStatistic.objects.filter(university_id=university_id, field=field_code).values(
        "fiscal_year", "standard_term_years", "entrants", "completions_within_term"
    )
    return {row.pop("fiscal_year"): rules.CohortFigures(**row) for row in rows}


def locked_by_report(university_id: int) -> set[int]:
    """Years whose annual report an officer accepted (students.YearLock, written by reports on
    accept and removed on reopen, for any of the university's programs)."""
    return set(YearLock.objects.filter(university_id=university_id).values_list("fiscal_year", flat=True))


def locked_by_officer(university_id: int) -> set[int]:
    return set(EnrolmentYearLock.objects.filter(university_id=university_id).values_list("fiscal_year", flat=True))


def _lock_statistics(university_id: int) -> None:
    """A university's statistics are written one writer at a time (its row, FOR NO KEY UPDATE,
    which the foreign keys of other writes' rows do not wait for): the cohort rule reads the
    field's other years, so two writes of two years would otherwise each pass against the other's
    figures as they were."""
    list(University.objects.select_for_update(no_key=True).filter(pk=university_id).values_list("pk", flat=True))


def locked_years(university_id: int) -> set[int]:
    """Years whose statistics may no longer change: locked with the annual report (accepted), or
    by an officer on the university's page (for a year without a report, or before it is accepted)."""
    hold_year_locks(university_id)  # as read until the transaction ends (students.services: Lock order)
    return locked_by_report(university_id) | locked_by_officer(university_id)


def locked_message(fiscal_year: int) -> str:
    return format_lazy(YEAR_LOCKED, fy=lazy_fiscal_year_label(fiscal_year))


def _check(university_id: int, values: dict[str, Any]) -> None:
    """Every problem of one row, alone and against the same field's other years; raises."""
    problems = rules.check_statistic(values, _field_codes())
    if problems:
        raise _errors(problems)
    if values["fiscal_year"] in locked_years(university_id):
        raise _errors([rules.Problem("fiscal_year", "year_locked", locked_message(values["fiscal_year"]))])
    others = _stored_cohorts(university_id, values["field"])
    others.pop(values["fiscal_year"], None)
    problems = rules.check_cohorts(values["fiscal_year"], _cohort(values), others, lazy_fiscal_year_label)
    if problems:
        raise _errors(problems)


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {name: values[name] for name in WRITABLE if name in values}
    for name in rules.SUB_COUNTS:
        if cleaned.get(name) is None and name in cleaned:
            cleaned[name] = 0
    return cleaned


@transaction.atomic
def statistic_create(*, university: University, acting_user: Any, **values: Any) -> EnrolmentStatistic:
    """A new row for a fiscal year and field not reported yet."""
    values = _clean({**dict.fromkeys(rules.SUB_COUNTS, 0), **values})
    _lock_statistics(university.pk)
    _check(university.pk, values)
    already = _errors(
        [
            rules.Problem(
                "field",
                "exists",
                format_lazy(
                    ALREADY_REPORTED,
                    fy=lazy_fiscal_year_label(values["fiscal_year"]),
                    field=Field(values["field"]).label,
                ),
            )
        ]
    )
    if EnrolmentStatistic.objects.filter(
        university=university, fiscal_year=values["fiscal_year"], field=values["field"]
    ).exists():
        raise already
    statistic = EnrolmentStatistic(university=university, **values)
    statistic._history_user = acting_user
    try:
        with transaction.atomic():
            statistic.save()
    except IntegrityError as error:  # the same year and field created at the same moment elsewhere
        raise already from error
    return statistic


@transaction.atomic
def statistic_update(
    *, statistic: EnrolmentStatistic, acting_user: Any, expected_version: int | None = None, **values: Any
) -> EnrolmentStatistic:
    """Changed figures of a reported row; its fiscal year and field stay (they name the row).
    The same values again change nothing (no new version, no history row)."""
    _lock_statistics(statistic.university_id)
    current = locked_row(EnrolmentStatistic.objects.select_for_update(), statistic.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleUpdate({"__all__": [ValidationError(STALE_UPDATE, code="stale")]})
    changes = {k: v for k, v in _clean(values).items() if k in VALUE_FIELDS}
    merged = {**{name: getattr(current, name) for name in WRITABLE}, **changes}
    _check(current.university_id, merged)
    if all(getattr(current, name) == value for name, value in changes.items()):
        return current
    for name, value in changes.items():
        setattr(current, name, value)
    current.version += 1
    current._history_user = acting_user
    current.save()
    return current


# --- Locking a year ---------------------------------------------------------------------------


@transaction.atomic
def enrolment_year_lock(*, university: University, fiscal_year: int, acting_user: Any) -> EnrolmentYearLock:
    """A university's statistics of a fiscal year become final (program officers, administrators),
    once every write that found the year open has committed."""
    hold_year_locks(university.pk, exclusive=True)
    lock = EnrolmentYearLock.objects.filter(university=university, fiscal_year=fiscal_year).first()
    if lock is not None:
        return lock
    lock = EnrolmentYearLock(university=university, fiscal_year=fiscal_year, locked_by=acting_user)
    lock._history_user = acting_user
    lock.save()
    return lock


@transaction.atomic
def enrolment_year_unlock(*, university: University, fiscal_year: int, acting_user: Any) -> None:
    for lock in EnrolmentYearLock.objects.filter(university=university, fiscal_year=fiscal_year):
        lock._history_user = acting_user
        lock.delete()


# --- Upload -----------------------------------------------------------------------------------

COLUMNS = [
    ("fiscal_year", "年度", "fiscal year"),
    ("field", "学系", "field"),
    ("admission_capacity", "入学定員", "admission capacity"),
    ("entrants", "入学者数", "entrants"),
    ("entrants_from_masters", "うち修士課程からの進学者", "of which from a master's course"),
    ("entrants_working_adults", "うち社会人", "of which working adults"),
    ("entrants_international", "うち留学生", "of which international"),
    ("enrolled", "在籍者数（5月1日）", "enrolled on 1 May"),
    ("degrees_conferred", "学位（課程博士）授与数", "degrees conferred"),
    ("completions_within_term", "標準修業年限内修了者数", "completions within the standard term"),
    ("standard_term_years", "標準修業年限（年）", "standard term (years)"),
]
HEADER_TO_KEY = {name: key for key, ja, en in COLUMNS for name in (ja, en, key)}
LABEL_OF = ColumnLabels({key: (ja, en) for key, ja, en in COLUMNS})  # in the page's language
REQUIRED_COLUMNS = rules.REQUIRED_FIELDS


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_count(value: Any) -> int | None:
    """A whole number from a cell: 12, 12.0, "12", "1,234"; empty is None; a negative number is
    kept (the rules refuse it with the reason)."""
    text = _cell_text(value).replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        return int(text)
    except ValueError as error:
        raise ValueError(NOT_A_WHOLE_NUMBER) from error


ERAS = (("令和", 2018), ("R", 2018), ("平成", 1988), ("H", 1988))


def parse_fiscal_year(value: Any) -> int | None:
    """2024, "2024", "FY2024", "R6", "令和6年度", "令和元年度", "H30" or "平成30年度" (FY = 2018 +
    令和 year = 1988 + 平成 year): the cohorts of a window reach back to 平成 years."""
    text = _cell_text(value).upper().replace("FY", "").replace("年度", "").strip()
    for era, offset in ERAS:
        if text.startswith(era):
            year = text.removeprefix(era).strip()
            number = 1 if year == "元" else parse_count(year)
            return None if number is None else offset + number
    return parse_count(text)


def parse_field(value: Any) -> str | None:
    """A field by code (engineering) or Japanese name (工学系); anything else is kept as written
    so that the rules refuse it as an unknown field."""
    text = _cell_text(value)
    if not text:
        return None
    by_word = {str(label): code for code, label in Field.choices}
    return by_word.get(text, text)


PARSERS = dict.fromkeys(VALUE_FIELDS, parse_count) | {"fiscal_year": parse_fiscal_year, "field": parse_field}


@dataclass
class StatisticPlan:
    university: University
    result: ImportResult
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)  # (pk, version, values)
    unchanged: int = 0
    versions: dict[int, int] = field(default_factory=dict)  # every stored row the check read: pk → version


PROGRESS_EVERY = 500  # rows between progress reports to the upload job (and its heartbeat)
UPLOAD_KIND = "enrolment_statistics"


def statistics_upload_check(
    *,
    university: University,
    content: bytes,
    filename: str,
    progress: Callable[[int, int], None] | None = None,
) -> StatisticPlan:
    """Every bad row with its column and reason; writes nothing. Rows match on fiscal year and
    field: a new pair is created, a known one updated, the same figures left unchanged (the same
    file twice changes nothing)."""
    table = read_table(content, filename)
    keys = [HEADER_TO_KEY.get(h) for h in table.headers]
    missing = [LABEL_OF[k] for k in REQUIRED_COLUMNS if k not in keys]
    if missing:
        raise UploadRejected(format_lazy(MISSING_COLUMNS, columns=lazy_join(LIST_SEPARATOR, missing)))
    existing = {(s.fiscal_year, s.field): s for s in EnrolmentStatistic.objects.filter(university=university)}
    locked = locked_years(university.pk)
    plan = StatisticPlan(university, ImportResult(rows=table.count))
    plan.versions = {s.pk: s.version for s in existing.values()}
    errors = plan.result.errors
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[tuple[int, str], int] = {}
    for index, raw in enumerate(table.rows(), start=2):
        if index - 1 > table.count:
            break
        if progress and (index - 1) % PROGRESS_EVERY == 0:
            progress(index - 1, table.count)
        values: dict[str, Any] = {}
        row_errors: list[RowError] = []
        for key, cell in zip(keys, raw, strict=False):
            if key is None:
                continue
            try:
                values[key] = PARSERS[key](cell)
            except ValueError as error:
                row_errors.append(RowError(index, LABEL_OF[key], error.args[0], key))
        failed = {e.field for e in row_errors}
        for name in rules.SUB_COUNTS:
            if values.get(name) is None and name not in failed:
                values[name] = 0
        for problem in rules.check_statistic(values, _field_codes()):
            if problem.field not in failed:
                row_errors.append(RowError(index, LABEL_OF[problem.field], problem.message, problem.field))
        if not row_errors:
            pair = (values["fiscal_year"], values["field"])
            if pair in seen:
                row_errors.append(
                    RowError(index, LABEL_OF["field"], format_lazy(DUPLICATE_ROW, row=seen[pair]), "field")
                )
            elif values["fiscal_year"] in locked:
                row_errors.append(
                    RowError(index, LABEL_OF["fiscal_year"], locked_message(values["fiscal_year"]), "fiscal_year")
                )
            seen.setdefault(pair, index)
        if row_errors:
            errors.extend(row_errors)
            continue
        parsed.append((index, _clean(values)))
    _check_cohorts_of_upload(parsed, existing, errors)
    if progress:
        progress(table.count, table.count)
    if errors:
        return plan
    for _index, values in parsed:
        current = existing.get((values["fiscal_year"], values["field"]))
        if current is None:
            plan.creates.append(values)
        elif all(getattr(current, name) == values[name] for name in VALUE_FIELDS):
            plan.unchanged += 1
        else:
            plan.updates.append((current.pk, current.version, {k: values[k] for k in VALUE_FIELDS}))
    plan.result.students_created = len(plan.creates)  # shown as "created" on the upload page
    plan.result.students_updated = len(plan.updates)
    plan.result.students_unchanged = plan.unchanged
    return plan


def _check_cohorts_of_upload(
    parsed: list[tuple[int, dict[str, Any]]],
    existing: Mapping[tuple[int, str], EnrolmentStatistic],
    errors: list[RowError],
) -> None:
    """The cross-year check of every row against the field's years as they will be: stored rows
    overlaid by the file's (one pass over data already in memory)."""
    years: dict[str, dict[int, rules.CohortFigures]] = {}
    for (year, field_code), row in existing.items():
        years.setdefault(field_code, {})[year] = rules.CohortFigures(
            row.standard_term_years, row.entrants, row.completions_within_term
        )
    for _index, values in parsed:
        years.setdefault(values["field"], {})[values["fiscal_year"]] = _cohort(values)
    for index, values in parsed:
        others = {y: c for y, c in years[values["field"]].items() if y != values["fiscal_year"]}
        for problem in rules.check_cohorts(values["fiscal_year"], _cohort(values), others, lazy_fiscal_year_label):
            errors.append(RowError(index, LABEL_OF[problem.field], problem.message, problem.field))


@transaction.atomic
def statistics_upload_apply(*, plan: StatisticPlan, acting_user: Any) -> ImportResult:
    """All or nothing: a plan with errors writes nothing; a row of the university changed,
    added or deleted since the check (the cohort rule read them all) or a year locked since
    refuses the whole file."""
    if plan.result.errors:
        raise ValidationError(plan.result.errors[0].message)
    _lock_statistics(plan.university.pk)
    stored = EnrolmentStatistic.objects.filter(university=plan.university)
    if dict(stored.values_list("pk", "version")) != plan.versions:
        raise StaleUpdate(STALE_UPDATE)
    locked = locked_years(plan.university.pk)
    for values in [*plan.creates, *(v for _pk, _version, v in plan.updates)]:
        year = values.get("fiscal_year")
        if year in locked:
            raise ValidationError(locked_message(year))
    current = EnrolmentStatistic.objects.select_for_update().in_bulk([pk for pk, _version, _values in plan.updates])
    for pk, _version, _values in plan.updates:
        if current[pk].fiscal_year in locked:
            raise ValidationError(locked_message(current[pk].fiscal_year))
    for values in plan.creates:
        statistic = EnrolmentStatistic(university=plan.university, **values)
        statistic._history_user = acting_user
        try:
            with transaction.atomic():
                statistic.save()
        except IntegrityError as error:  # created by someone else since the check
            raise StaleUpdate(STALE_UPDATE) from error
    for pk, _version, values in plan.updates:
        statistic = current[pk]
        for name, value in values.items():
            setattr(statistic, name, value)
        statistic.version += 1
        statistic._history_user = acting_user
        statistic.save()
    return plan.result


def statistics_upload_job_apply(*, plan: StatisticPlan, acting_user: Any) -> ImportResult:
    """The apply as the upload machinery runs it (students.uploads): data that moved since the
    check (a row changed, a year locked) rejects the job with the reason; nothing is written."""
    try:
        return statistics_upload_apply(plan=plan, acting_user=acting_user)
    except ValidationError as error:
        raise UploadRejected(error.messages) from error


def headers(language: str = "ja") -> list[str]:
    return [ja if language == "ja" else en for _key, ja, en in COLUMNS]


def template_rows() -> list[list[Any]]:
    return [[2024, "engineering", 30, 28, 20, 5, 6, 95, 25, 18, 3]]


def export_rows(university: University) -> list[list[Any]]:
    """A university's reported rows in the upload's own format (upload it again: nothing changes)."""
    keys = [key for key, _ja, _en in COLUMNS]
    return [
        list(row)
        for row in EnrolmentStatistic.objects.filter(university=university)
        .order_by("fiscal_year", "field")
        .values_list(*keys)
    ]


# --- Published snapshot of the indicator ------------------------------------------------------


@transaction.atomic
def indicator_publish(*, first_year: int, published_on: date, acting_user: Any) -> IndicatorSnapshot:
    """Freeze the indicator as published: the inputs it was computed from and its results, so the
    table can be shown (and recomputed from the same inputs) later, whatever is reported since."""
    rows, infos = selectors.indicator_inputs(first_year=first_year)
    results = rules.degree_indicator(rows, infos, first_year)
    names = selectors.national_universities()
    return IndicatorSnapshot.objects.create(
        first_year=first_year,
        published_on=published_on,
        published_by=acting_user,
        rows=[asdict(row) for row in rows],
        results=[
            {
                "university": r.university,
                "name_ja": names[r.university].name_ja if r.university in names else "",
                "name_en": names[r.university].name_en if r.university in names else "",
                "group": r.group,
                "designated": r.designated,
                "degree_score": r.degree_score,
                "completion_score": r.completion_score,
                "indicator": r.indicator,
                "rank": r.rank,
                "group_size": r.group_size,
                "rate": r.rate,
            }
            for r in results
        ],
    )


@transaction.atomic
def statistic_delete(*, statistic: EnrolmentStatistic, acting_user: Any) -> None:
    """A row reported by mistake (a field the university does not have); refused in a locked year."""
    _lock_statistics(statistic.university_id)
    if statistic.fiscal_year in locked_years(statistic.university_id):
        raise _errors([rules.Problem("fiscal_year", "year_locked", locked_message(statistic.fiscal_year))])
    statistic._history_user = acting_user
    statistic.delete()
