"""Reads for the university workspace."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from programs import rules
from students.models import Award, AwardEvent, Student


@dataclass(frozen=True)
class YearAmounts:
    fiscal_year: int
    label: str
    months: int
    living_cost: int
    research_cost: int


@dataclass
class AwardTimeline:
    award: Award
    events: list[AwardEvent]
    years: list[YearAmounts] = field(default_factory=list)


def award_year_amounts(award: Award, events: list[AwardEvent]) -> list[YearAmounts]:
    """Months and amounts paid per fiscal year by the rules (suspended months removed)."""
    suspensions = tuple(
        rules.Suspension(e.start_date, e.end_date) for e in events if e.kind == AwardEvent.Kind.SUSPENSION
    )
    terms = rules.AwardTerms(
        award_id=award.pk,
        program=award.program.code,
        audience=award.program.audience,
        annual_living_cost=award.annual_living_cost,
        start=award.start_date,
        end=award.end_date,
        suspensions=suspensions,
    )
    skip = terms.suspended_months()
    years = []
    for fy in range(rules.fiscal_year(award.start_date), rules.fiscal_year(award.end_date) + 1):
        fy_start, fy_end = rules.fiscal_year_bounds(fy)
        start, end = max(award.start_date, fy_start), min(award.end_date, fy_end)
        months = len([m for m in rules.period_months(start, end) if m not in skip])
        years.append(
            YearAmounts(
                fiscal_year=fy,
                label=rules.fiscal_year_label(fy),
                months=months,
                living_cost=rules.amount_for_period(
                    [rules.RateVersion(award.start_date, award.annual_living_cost)], start, end, skip=skip
                ),
                research_cost=rules.amount_for_period(
                    [rules.RateVersion(award.start_date, award.annual_research_cost)], start, end, skip=skip
                ),
            )
        )
    return years


def student_timeline(student: Student) -> list[AwardTimeline]:
    awards = list(
        student.awards.select_related("program").prefetch_related("events__created_by").order_by("start_date")
    )
    timeline = []
    for award in awards:
        events = list(award.events.all())
        timeline.append(AwardTimeline(award, events, award_year_amounts(award, events)))
    return timeline


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    subject: str
    action: str
    changes: list[tuple[str, Any, Any]]


ACTIONS = {"+": gettext_lazy("作成"), "~": gettext_lazy("変更"), "-": gettext_lazy("削除")}


def _who(record: Any) -> str:
    """The person, and the API key when the change came through the API."""
    person = str(record.history_user or "—")
    key = getattr(record, "history_api_key", "")
    return f"{person} ({_('APIキー {prefix}').format(prefix=key)})" if key else person


def _entries(records: list[Any], subject: str) -> list[HistoryEntry]:
    entries = []
    ordered = sorted(records, key=lambda r: r.history_date)
    for previous, record in zip([None, *ordered], ordered, strict=False):
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            changes = [
                (str(record.instance._meta.get_field(c.field).verbose_name), c.old, c.new)
                for c in delta.changes
                if c.field != "version"
            ]
        entries.append(
            HistoryEntry(
                record.history_date,
                _who(record),
                subject,
                ACTIONS.get(record.history_type, record.history_type),
                changes,
            )
        )
    return entries


HISTORY_SHOWN = 200


def student_history(student: Student, limit: int = HISTORY_SHOWN) -> list[HistoryEntry]:
    """Who changed what and when, for the student, their awards and events, newest first (the
    newest `limit`: a record edited by a nightly sync for years would otherwise fill the page)."""
    entries = _entries(list(student.history.select_related("history_user")), f"{_('学生')} {student.student_number}")
    award_records = Award.history.filter(student_id=student.pk).select_related("history_user", "program")
    by_award: dict[int, list[Any]] = {}
    for record in award_records:
        by_award.setdefault(record.id, []).append(record)
    for records in by_award.values():
        entries += _entries(records, f"{_('支援')} {records[0].program.code} {records[0].start_date}")
    event_records = AwardEvent.history.filter(award__student_id=student.pk).select_related("history_user")
    by_event: dict[int, list[Any]] = {}
    for record in event_records:
        by_event.setdefault(record.id, []).append(record)
    for records in by_event.values():
        entries += _entries(records, f"{_('異動')} {records[0].get_kind_display()} {records[0].start_date}")
    return sorted(entries, key=lambda e: e.when, reverse=True)[:limit]
