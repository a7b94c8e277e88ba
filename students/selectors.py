"""Reads for the university workspace."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from programs import rules
from programs.labels import fiscal_year_label
from students.models import Award, AwardEvent, Student, UniversityYearCount

# --- Rule inputs (STYLE.md: fetch, then calculate) ----------------------------------------


def award_terms(
    student_ids: Iterable[int] | None = None, *, university_id: int | None = None
) -> dict[int, list[rules.AwardTerms]]:
    """Each student's awards as rule inputs, suspensions and dated amount changes attached, keyed by student id.

    The one fetch of `rules.AwardTerms` from rows: the facts, the services' checks and the
    upload planner all read awards through it. Give the students, or a whole university
    (an upload checks against all of its awards at once).
    """
    awards = Award.objects.all()
    events = AwardEvent.objects.filter(kind__in=[AwardEvent.Kind.SUSPENSION, AwardEvent.Kind.AMOUNT_CHANGE])
    if student_ids is not None:
        ids = list(student_ids)
        awards, events = awards.filter(student_id__in=ids), events.filter(award__student_id__in=ids)
    if university_id is not None:
        awards, events = awards.filter(university_id=university_id), events.filter(award__university_id=university_id)
    suspensions: dict[int, list[rules.Suspension]] = defaultdict(list)
    changes: dict[int, list[rules.RateVersion]] = defaultdict(list)
    # Explicitly ordered: two amount changes effective on one day leave the one recorded later
    # in force (the rules apply them in this order), and the model's default ordering by award
    # would join and sort by the award's student and university for nothing.
    for award_id, kind, start, end, amount in events.order_by("award_id", "start_date", "pk").values_list(
        "award_id", "kind", "start_date", "end_date", "annual_living_cost"
    ):
        if kind == AwardEvent.Kind.SUSPENSION:
            suspensions[award_id].append(rules.Suspension(start, end))
        elif amount is not None:
            changes[award_id].append(rules.RateVersion(start, amount))
    terms: dict[int, list[rules.AwardTerms]] = defaultdict(list)
    for row in awards.values_list(
        "pk",
        "student_id",
        "program__code",
        "program__audience",
        "annual_living_cost",
        "start_date",
        "end_date",
        "program__is_exclusive",
    ):
        award_id, student_id, code, audience, living, start, end, exclusive = row
        terms[student_id].append(
            rules.AwardTerms(
                award_id=award_id,
                program=code,
                audience=audience,
                annual_living_cost=living,
                start=start,
                end=end,
                suspensions=tuple(suspensions.get(award_id, ())),
                is_exclusive=exclusive,
                amount_changes=tuple(sorted(changes.get(award_id, ()), key=lambda c: c.effective_from)),
            )
        )
    return terms


def award_terms_of(
    award: Award,
    suspensions: Iterable[rules.Suspension] = (),
    *,
    award_id: int | None = None,
    amount_changes: Iterable[rules.RateVersion] = (),
) -> rules.AwardTerms:
    """An award as it will be (unsaved, or changed and not yet written) as rule input; an
    unsaved one is award 0, or `award_id` (an upload tells its new awards apart by row)."""
    program = award.program
    return rules.AwardTerms(
        award_id=award.pk or award_id or 0,
        program=program.code,
        audience=program.audience,
        annual_living_cost=award.annual_living_cost,
        start=award.start_date,
        end=award.end_date,
        suspensions=tuple(suspensions),
        is_exclusive=program.is_exclusive,
        amount_changes=tuple(sorted(amount_changes, key=lambda c: c.effective_from)),
    )


def programs_held(
    *, fiscal_years: Iterable[int], university_id: int | None = None, programs: Iterable[str] | None = None
) -> set[tuple[int, int, str]]:
    """(fiscal year, university, program code) for every program a university held an award of
    at some point of the year: who must report on it (DOMAIN.md). Read from the kept counts
    (`UniversityYearCount`: its awards sum to the derived award counts, kept exact by the facts
    refresh of every award write), a few rows a university, not a row a student."""
    counts = UniversityYearCount.objects.filter(fiscal_year__in=list(fiscal_years))
    if university_id is not None:
        counts = counts.filter(university_id=university_id)
    if programs is not None:
        counts = counts.filter(program__in=list(programs))
    grouped = (
        counts.values("fiscal_year", "university_id", "program")
        .annotate(awards=Sum("awards"))
        .filter(awards__gt=0)
        .order_by()
        .values_list("fiscal_year", "university_id", "program", "awards")
    )
    return {(fiscal_year, university, program) for fiscal_year, university, program, _awards in grouped}


def suspensions_of(events: Iterable[AwardEvent]) -> tuple[rules.Suspension, ...]:
    return tuple(rules.Suspension(e.start_date, e.end_date) for e in events if e.kind == AwardEvent.Kind.SUSPENSION)


def amount_changes_of(events: Iterable[AwardEvent]) -> tuple[rules.RateVersion, ...]:
    """The award's dated amounts (AwardEvent kind amount_change), oldest first; of two on one
    day, the one recorded later last (it is the one in force, as award_terms reads them)."""
    return tuple(
        rules.RateVersion(e.start_date, e.annual_living_cost)
        for e in sorted(events, key=lambda e: (e.start_date, e.pk or 0))
        if e.kind == AwardEvent.Kind.AMOUNT_CHANGE and e.annual_living_cost is not None
    )


# --- Pages --------------------------------------------------------------------------------


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


def award_year_amounts(award: Award, events: list[AwardEvent]) -> list[YearAmounts]:
    """Months and amounts due per fiscal year by the rules: suspended months removed, each month
    at the amount in force on its first day, each year's amount truncated once."""
    terms = award_terms_of(award, suspensions_of(events), amount_changes=amount_changes_of(events))
    active = terms.active_months()
    years = []
    for fy in range(rules.fiscal_year(award.start_date), rules.fiscal_year(award.end_date) + 1):
        months = [m for m in rules.fiscal_year_months(fy) if m in active]
        living = rules.award_twelfths(terms, months)
        research = award.annual_research_cost * len(months)
        years.append(
            YearAmounts(
                fiscal_year=fy,
                label=fiscal_year_label(fy),
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


def _shown(field: Any, *values: Any) -> tuple[Any, ...]:
    """Stored values as the page shows them: a choice by its label in the page's language (not
    `terminated`), nothing as —."""
    labels = dict(field.flatchoices) if field.choices else {}
    return tuple("—" if value in (None, "") else str(labels.get(value, value)) for value in values)


def _entries(records: list[Any], subject: str) -> list[HistoryEntry]:
    entries = []
    ordered = sorted(records, key=lambda r: r.history_date)
    for previous, record in zip([None, *ordered], ordered, strict=False):
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            fields = record.instance._meta
            changes = [
                (str(fields.get_field(c.field).verbose_name), *_shown(fields.get_field(c.field), c.old, c.new))
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
        entries += _entries(records, f"{_('支援')} {records[0].program.name} {records[0].start_date}")
    event_records = AwardEvent.history.filter(award__student_id=student.pk).select_related("history_user")
    by_event: dict[int, list[Any]] = {}
    for record in event_records:
        by_event.setdefault(record.id, []).append(record)
    for records in by_event.values():
        entries += _entries(records, f"{_('異動')} {records[0].get_kind_display()} {records[0].start_date}")
    return sorted(entries, key=lambda e: e.when, reverse=True)[:limit]
