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
    # Twelve times the exact amounts: totals over several years or awards add these and truncate
    # once (DOMAIN.md Monthly amount: "never per piece, never per fiscal year and then summed").
    living_twelfths: int = 0
    research_twelfths: int = 0


@dataclass
class AwardTimeline:
    award: Award
    events: list[AwardEvent]
    years: list[YearAmounts] = field(default_factory=list)

    @property
    def total_living_cost(self) -> int:
        return rules.yen(sum(y.living_twelfths for y in self.years))

    @property
    def total_research_cost(self) -> int:
        return rules.yen(sum(y.research_twelfths for y in self.years))


def award_terms(award: Award, events: list[AwardEvent]) -> rules.AwardTerms:
    """The award as rule input: suspensions and dated amount changes from its events."""
    return rules.AwardTerms(
        award_id=award.pk,
        program=award.program.code,
        audience=award.program.audience,
        annual_living_cost=award.annual_living_cost,
        start=award.start_date,
        end=award.end_date,
        suspensions=tuple(
            rules.Suspension(e.start_date, e.end_date) for e in events if e.kind == AwardEvent.Kind.SUSPENSION
        ),
        amount_changes=tuple(
            rules.RateVersion(e.start_date, e.annual_living_cost)
            for e in sorted(events, key=lambda e: e.start_date)
            if e.kind == AwardEvent.Kind.AMOUNT_CHANGE and e.annual_living_cost is not None
        ),
    )


def award_year_amounts(award: Award, events: list[AwardEvent]) -> list[YearAmounts]:
    """Months and amounts due per fiscal year by the rules: suspended months removed, each month
    at the amount in force on its first day, each year's amount truncated once."""
    terms = award_terms(award, events)
    active = terms.active_months()
    years = []
    for fy in range(rules.fiscal_year(award.start_date), rules.fiscal_year(award.end_date) + 1):
        months = [m for m in rules.fiscal_year_months(fy) if m in active]
        living = rules.award_twelfths(terms, months)
        research = award.annual_research_cost * len(months)
        years.append(
            YearAmounts(
                fiscal_year=fy,
                label=rules.fiscal_year_label(fy),
                months=len(months),
                living_cost=rules.yen(living),
                research_cost=rules.yen(research),
                living_twelfths=living,
                research_twelfths=research,
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
