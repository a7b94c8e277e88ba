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
from typing import Any, NamedTuple

from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Q
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
    """The rule. Awards and changes store it as `recorded_late`, kept by the database from their
    two dates (students.models.RecordedLate says it in SQL): the ranking and the fix list read that."""
    return recorded_at >= _late_from(happened_on)


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
        events = events.filter(university_id=university_id)
    for kind, rows_of_kind in (("late_awards", awards), ("late_changes", events)):
        grouped = (
            rows_of_kind.values("university_id")
            .annotate(checked=Count("pk"), late=Count("pk", filter=Q(recorded_late=True)))
            .values_list("university_id", "checked", "late")
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
    """quality_ranking for every university, computed at most every ten minutes: it counts every
    award, change and completer in the country (the lateness stored, the rest from indexes)."""
    # The rows carry university names in the page's language, so the key names the language.
    key = f"quality-ranking:{release.code_version()}:{today}:{get_language()}"
    return cache.get_or_set(key, lambda: quality_ranking(today=today), RANKING_CACHE_SECONDS)


def standing(*, university_id: int, today: date) -> dict[str, Any] | None:
    """A university's own row of the national ranking, with its place among the universities
    that have problems (None when it has no records to check). Kept as long as the ranking, per
    university: a page reads its own row, not the ranking of every university."""
    key = f"quality-standing:{today}:{get_language()}:{university_id}"
    return cache.get_or_set(key, lambda: _standing(university_id, national_ranking(today=today)), RANKING_CACHE_SECONDS)


def _standing(university_id: int, ranking: list[QualityRow]) -> dict[str, Any] | None:
    ranked = [r for r in ranking if r.total]
    for place, row in enumerate(ranked, start=1):
        if row.university_id == university_id:
            return {"row": row, "place": place, "of": len(ranked)}
    own = next((r for r in ranking if r.university_id == university_id), None)
    return {"row": own, "place": None, "of": len(ranked)} if own else None


def late_ids(university_id: int) -> tuple[list[int], list[int]]:
    """The university's awards and changes recorded late, oldest first, as ids: kept per version of
    the facts, which moves with every write to awards, changes or students (the only inputs)."""
    key = f"quality-late:{release.code_version()}:{facts_version()}:{university_id}"
    found = cache.get(key)
    if found is None:
        found = tuple(
            list(rows.filter(recorded_late=True).order_by("start_date", "pk").values_list("pk", flat=True))
            for rows in (
                Award.objects.filter(university_id=university_id),
                AwardEvent.objects.filter(university_id=university_id),
            )
        )
        cache.set(key, found, timeout=24 * 3600)
    return found


class LateAward(NamedTuple):
    """One row of the list of late awards: what the page shows of it, no more."""

    award_id: int
    student_number: str
    program_name: str
    start_date: date
    recorded_at: datetime


class LateChange(NamedTuple):
    """One row of the list of late changes (award events)."""

    award_id: int
    student_number: str
    program_name: str
    kind_label: str
    start_date: date
    recorded_at: datetime


def _late_awards(ids: list[int]) -> list[LateAward]:
    """The rows of the awards `ids` (a page), in the order of `ids`, in one query; plain tuples,
    not model objects: a page lists 50 of them and reads five columns."""
    found = {
        row[0]: row[1:]
        for row in Award.objects.filter(pk__in=ids)
        .order_by()
        .values_list(
            "pk", "student__student_number", "program__name_ja", "program__name_en", "start_date", "created_at"
        )
    }
    return [
        LateAward(pk, number, localized_name(name_ja, name_en), start, recorded)
        for pk, (number, name_ja, name_en, start, recorded) in ((pk, found[pk]) for pk in ids if pk in found)
    ]


def _late_changes(ids: list[int]) -> list[LateChange]:
    """The rows of the award events `ids` (a page), in the order of `ids`, in one query."""
    kinds = {value: str(label) for value, label in AwardEvent.Kind.choices}
    found = {
        row[0]: row[1:]
        for row in AwardEvent.objects.filter(pk__in=ids)
        .order_by()
        .values_list(
            "pk",
            "award_id",
            "award__student__student_number",
            "award__program__name_ja",
            "award__program__name_en",
            "kind",
            "start_date",
            "created_at",
        )
    }
    return [
        LateChange(award_id, number, localized_name(name_ja, name_en), kinds.get(kind, kind), start, recorded)
        for award_id, number, name_ja, name_en, kind, start, recorded in (found[pk] for pk in ids if pk in found)
    ]


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
    listed["late_awards"].object_list = _late_awards(listed["late_awards"].object_list)
    listed["late_changes"].object_list = _late_changes(listed["late_changes"].object_list)
    listed["missing_careers"].object_list = careers.with_students(listed["missing_careers"].object_list)
    return {
        **listed,
        "overdue_reports": reports,
        "counts": {
            **{kind: page.paginator.count for kind, page in listed.items()},
            "overdue_reports": len(reports),
        },
    }
