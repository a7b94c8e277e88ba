"""Timeliness and data quality: what counts against a university (issue #6, part 4).

- an award recorded more than one month after it started,
- a change (award event) recorded more than one month after it happened,
- a completed or withdrawn student whose career record is overdue (due, plus one month),
- a report whose deadline has passed without being submitted.

"More than one month" is calendar months: recorded after the same day of the next month.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import NotSupportedError, connection
from django.db.models import BooleanField, Count, DateTimeField, ExpressionWrapper, F, Func, Q, QuerySet
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.utils import timezone
from django.utils.translation import get_language

from careers import selectors as careers
from phdsupport import release
from phdsupport.validation import date_plus
from programs import rules
from programs.labels import localized_name
from reports.selectors import past_deadline_counts, report_statuses_by_year
from students.facts import facts_version
from students.models import Award, AwardEvent, University

ONE_MONTH = relativedelta(months=1)
KINDS = ("late_awards", "late_changes", "missing_careers", "overdue_reports")
# Below this many records a rate says little (one late record in two is 50 per 100): such
# universities are shown with their rate as a reference, after the ones ranked by it.
MIN_RECORDS_TO_RANK = 20


def recorded_late(happened_on: date, recorded_at: Any) -> bool:
    return recorded_at >= _late_from(happened_on)


class _FirstLateMoment(Func):
    """PostgreSQL: the first moment that counts as recorded late for a day, in SQL as
    `_late_from` says it in Python: the day plus one month (PostgreSQL clamps to the month's
    end, as relativedelta does) plus one day, at local midnight. One time zone conversion per
    row, where the portable form below extracts six numerics (five times slower nationally)."""

    output_field = DateTimeField()

    def __init__(self, happened: str, zone: str):
        super().__init__(F(happened))
        self.zone = zone

    def as_sql(self, compiler, connection, **extra):  # pragma: no cover - PostgreSQL only
        raise NotSupportedError("_FirstLateMoment is PostgreSQL's form of with_lateness")

    def as_postgresql(self, compiler, connection, **extra):
        happened, params = compiler.compile(self.source_expressions[0])
        return f"(({happened} + interval '1 month' + interval '1 day')::timestamp AT TIME ZONE %s)", [
            *params,
            self.zone,
        ]


def with_lateness(rows: QuerySet, *, happened: str, recorded: str) -> QuerySet:
    """`rows` annotated so that `LATE` selects those recorded more than one month after they
    happened, in the database (`recorded_late`, row by row, for a page of rows).

    On PostgreSQL: the recording time against the first late moment (`_FirstLateMoment`). Elsewhere,
    plain integers: recorded late ⇔ the local day of recording is after the day one month on. That
    day falls in the next month, and its day of month is the same day clamped to the month's
    length (31 January → 28 February); a recording in that month is after it exactly when its day
    of month is greater than the original day. So, with months counted as year × 12 + month: more
    than one month apart, or one month apart and a later day of month. The recording time is read
    in the current time zone, as `recorded_late` does.
    """
    if connection.vendor == "postgresql":
        first_late = _FirstLateMoment(happened, timezone.get_current_timezone_name())
        return rows.annotate(is_late=ExpressionWrapper(Q(**{f"{recorded}__gte": first_late}), BooleanField()))
    return rows.annotate(
        late_months_apart=(ExtractYear(recorded) * 12 + ExtractMonth(recorded))
        - (ExtractYear(happened) * 12 + ExtractMonth(happened)),
        late_recorded_day=ExtractDay(recorded),
        late_happened_day=ExtractDay(happened),
    ).annotate(
        is_late=ExpressionWrapper(
            Q(late_months_apart__gt=1) | Q(late_months_apart=1, late_recorded_day__gt=F("late_happened_day")),
            BooleanField(),
        )
    )


LATE = Q(is_late=True)


@lru_cache(maxsize=8192)
def _late_from(happened_on: date) -> datetime:
    """The first moment (local time) that counts as more than one month after the day."""
    # Clamped: a date stored near year 9999 is never late instead of a page error.
    first_late_day = date_plus(date_plus(happened_on, ONE_MONTH), timedelta(days=1))
    if first_late_day == date.max:
        return datetime.max.replace(tzinfo=UTC)
    return timezone.make_aware(datetime.combine(first_late_day, time.min))


@dataclass
class QualityRow:
    university_id: int
    university_name: str
    counts: Counter = field(default_factory=Counter)  # problems of each kind
    checked: Counter = field(default_factory=Counter)  # records of each kind that could have been one

    @property
    def total(self) -> int:
        return sum(self.counts[k] for k in KINDS)

    @property
    def checked_total(self) -> int:
        return sum(self.checked[k] for k in KINDS)

    @property
    def rate(self) -> float:
        """Problems per 100 records checked: a large university is not ranked worse for its size."""
        return round(100 * self.total / self.checked_total, 1) if self.checked_total else 0.0

    @property
    def too_few_to_rank(self) -> bool:
        return self.checked_total < MIN_RECORDS_TO_RANK


def fiscal_years_to_check(today: date) -> list[int]:
    """Reports are judged for the last three closed fiscal years and the current one."""
    current = rules.fiscal_year(today)
    return list(range(current - 3, current + 1))


def quality_ranking(*, today: date, university_id: int | None = None) -> list[QualityRow]:
    """Counts per university, the highest rate of problems first, then the most problems; those
    with too few records for a rate to mean much come after (only universities with records)."""
    rows: dict[int, QualityRow] = {}
    names = {pk: localized_name(ja, en) for pk, ja, en in University.objects.values_list("pk", "name_ja", "name_en")}

    def row(uid: int) -> QualityRow:
        return rows.setdefault(uid, QualityRow(uid, names[uid]))

    # One GROUP BY per kind, lateness counted with FILTER; no ordering: the models' default (by
    # university name and student number) would sort every award in the country for a count.
    awards = Award.objects.order_by()
    events = AwardEvent.objects.order_by()
    if university_id is not None:
        awards = awards.filter(university_id=university_id)
        events = events.filter(award__university_id=university_id)
    for kind, rows_of_kind, university in (
        ("late_awards", awards, "university_id"),
        ("late_changes", events, "award__university_id"),
    ):
        grouped = (
            with_lateness(rows_of_kind, happened="start_date", recorded="created_at")
            .values(university)
            .annotate(checked=Count("pk"), late=Count("pk", filter=LATE))
            .values_list(university, "checked", "late")
        )
        for uid, checked, late in grouped:
            row(uid).checked[kind] += checked
            row(uid).counts[kind] += late
    checked, overdue = careers.record_counts(today, university_id)
    for uid, count in checked.items():
        row(uid).checked["missing_careers"] += count
        row(uid).counts["missing_careers"] += overdue[uid]
    checked, overdue = past_deadline_counts(
        fiscal_years=fiscal_years_to_check(today), today=today, university_id=university_id
    )
    for uid, count in checked.items():
        row(uid).checked["overdue_reports"] += count
        row(uid).counts["overdue_reports"] += overdue[uid]
    return sorted(rows.values(), key=lambda r: (r.too_few_to_rank, -r.rate, -r.total, r.university_name))


RANKING_CACHE_SECONDS = 600


def national_ranking(*, today: date) -> list[QualityRow]:
    """quality_ranking for every university, computed at most every ten minutes: it reads every
    award, change and completer in the country (1.5 s at national scale)."""
    # The rows carry university names in the page's language, so the key names the language.
    key = f"quality-ranking:{release.code_version()}:{today}:{get_language()}"
    return cache.get_or_set(key, lambda: quality_ranking(today=today), RANKING_CACHE_SECONDS)


def standing(*, university_id: int, today: date) -> dict[str, Any] | None:
    """A university's own row of the national ranking, with its place among the universities
    that have problems (None when it has no records to check)."""
    ranked = [r for r in national_ranking(today=today) if r.total]
    for place, row in enumerate(ranked, start=1):
        if row.university_id == university_id:
            return {"row": row, "place": place, "of": len(ranked)}
    own = next((r for r in national_ranking(today=today) if r.university_id == university_id), None)
    return {"row": own, "place": None, "of": len(ranked)} if own else None


def late_ids(university_id: int) -> tuple[list[int], list[int]]:
    """The university's awards and changes recorded late, oldest first, as ids: kept per version of
    the facts, which moves with every write to awards, changes or students (the only inputs)."""
    key = f"quality-late:{release.code_version()}:{facts_version()}:{university_id}"
    found = cache.get(key)
    if found is None:
        awards = with_lateness(
            Award.objects.filter(university_id=university_id), happened="start_date", recorded="created_at"
        )
        changes = with_lateness(
            AwardEvent.objects.filter(award__university_id=university_id), happened="start_date", recorded="created_at"
        )
        found = tuple(
            list(rows.filter(LATE).order_by("start_date", "pk").values_list("pk", flat=True))
            for rows in (awards, changes)
        )
        cache.set(key, found, timeout=24 * 3600)
    return found


def _in_order(rows: QuerySet, ids: list[int]) -> list[Any]:
    """The rows of `ids` (a page), in the order of `ids`, in one query."""
    found = rows.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


FIX_PAGE_SIZE = 50
FIX_PAGES = {"late_awards": "awards_page", "late_changes": "changes_page", "missing_careers": "careers_page"}


def fix_list(
    *, university: University, today: date, pages: Mapping[str, Any] | None = None, per_page: int = FIX_PAGE_SIZE
) -> dict[str, Any]:
    """The university's own items to fix, each kind oldest first, one page of each (the page
    number of each list in `pages`, under the names of FIX_PAGES). The late records are selected
    in the database and kept as ids per version of the facts; the due careers come from plain rows, their students read for
    the page only. The same few queries for a page of 1 or of 100."""
    pages = pages or {}
    late_awards, late_changes = late_ids(university.pk)
    missing = [d for d in careers.due_points(university_id=university.pk, today=today) if d.overdue]
    years = report_statuses_by_year(fiscal_years=fiscal_years_to_check(today), today=today, university_id=university.pk)
    reports = [s for statuses in years.values() for s in statuses if s.overdue]
    listed = {
        kind: Paginator(rows, per_page).get_page(pages.get(FIX_PAGES[kind]))
        for kind, rows in (("late_awards", late_awards), ("late_changes", late_changes), ("missing_careers", missing))
    }
    listed["late_awards"].object_list = _in_order(
        Award.objects.select_related("student", "program"), listed["late_awards"].object_list
    )
    listed["late_changes"].object_list = _in_order(
        AwardEvent.objects.select_related("award__student", "award__program"), listed["late_changes"].object_list
    )
    listed["missing_careers"].object_list = careers.with_students(listed["missing_careers"].object_list)
    return {
        **listed,
        "overdue_reports": reports,
        "counts": {
            **{kind: page.paginator.count for kind, page in listed.items()},
            "overdue_reports": len(reports),
        },
    }
