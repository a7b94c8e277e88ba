"""Timeliness and data quality: what counts against a university (issue #6, part 4).

- an award recorded more than one month after it started,
- a change (award event) recorded more than one month after it happened,
- a completed or withdrawn student whose career record is overdue (due, plus one month),
- a report whose deadline has passed without being submitted.

"More than one month" is calendar months: recorded after the same day of the next month.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language

from careers import selectors as careers
from phdsupport.validation import date_plus
from programs import rules
from programs.labels import localized_name
from reports.selectors import report_statuses
from students.models import Award, AwardEvent, University

ONE_MONTH = relativedelta(months=1)
KINDS = ("late_awards", "late_changes", "missing_careers", "overdue_reports")
# Below this many records a rate says little (one late record in two is 50 per 100): such
# universities are shown with their rate as a reference, after the ones ranked by it.
MIN_RECORDS_TO_RANK = 20


def recorded_late(happened_on: date, recorded_at: Any) -> bool:
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

    # No ordering: the models' default (by university name and student number) would sort every
    # award in the country for a count that needs no order.
    awards = Award.objects.order_by()
    events = AwardEvent.objects.order_by()
    if university_id is not None:
        awards = awards.filter(university_id=university_id)
        events = events.filter(award__university_id=university_id)
    for uid, start, created in awards.values_list("university_id", "start_date", "created_at").iterator(
        chunk_size=5000
    ):
        counted = row(uid)
        counted.checked["late_awards"] += 1
        counted.counts["late_awards"] += recorded_late(start, created)
    for uid, happened, created in events.values_list("award__university_id", "start_date", "created_at").iterator(
        chunk_size=5000
    ):
        counted = row(uid)
        counted.checked["late_changes"] += 1
        counted.counts["late_changes"] += recorded_late(happened, created)
    checked, overdue = careers.record_counts(today, university_id)
    for uid, count in checked.items():
        row(uid).checked["missing_careers"] += count
        row(uid).counts["missing_careers"] += overdue[uid]
    for fy in fiscal_years_to_check(today):
        for status in report_statuses(fiscal_year=fy, today=today, university_id=university_id):
            if status.due_date is not None and status.due_date < today:
                counted = row(status.university_id)
                counted.checked["overdue_reports"] += 1
                counted.counts["overdue_reports"] += status.overdue
    return sorted(rows.values(), key=lambda r: (r.too_few_to_rank, -r.rate, -r.total, r.university_name))


RANKING_CACHE_SECONDS = 600


def national_ranking(*, today: date) -> list[QualityRow]:
    """quality_ranking for every university, computed at most every ten minutes: it reads every
    award, change and completer in the country (1.5 s at national scale)."""
    # The rows carry university names in the page's language, so the key names the language.
    key = f"quality-ranking:{today}:{get_language()}"
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


def fix_list(*, university: University, today: date, limit: int = 200) -> dict[str, list[Any]]:
    """The university's own items to fix, each kind oldest first (at most `limit` each)."""
    late_awards = [
        a
        for a in Award.objects.filter(student__university=university)
        .select_related("student", "program")
        .order_by("start_date", "pk")
        if recorded_late(a.start_date, a.created_at)
    ]
    late_changes = [
        e
        for e in AwardEvent.objects.filter(award__student__university=university)
        .select_related("award__student", "award__program")
        .order_by("start_date", "pk")
        if recorded_late(e.start_date, e.created_at)
    ]
    missing = [d for d in careers.careers_due(careers.finished_students([university.pk]), today) if d.overdue]
    reports = [
        s
        for fy in fiscal_years_to_check(today)
        for s in report_statuses(fiscal_year=fy, today=today, university_id=university.pk)
        if s.overdue
    ]
    return {
        "late_awards": late_awards[:limit],
        "late_changes": late_changes[:limit],
        "missing_careers": missing[:limit],
        "overdue_reports": reports,
        "counts": {
            "late_awards": len(late_awards),
            "late_changes": len(late_changes),
            "missing_careers": len(missing),
            "overdue_reports": len(reports),
        },
    }
