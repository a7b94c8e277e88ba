"""Reads of annual reports: the figures from the data, who must report, deadlines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from phdsupport import hooks
from programs import rules
from programs.labels import localized_name
from programs.models import Program
from reports.models import Report, ReportDeadline
from students.models import Award, AwardEvent, Student, University
from students.selectors import award_year_amounts, programs_held

# --- Figures ------------------------------------------------------------------------------


def report_figures(*, university: University, program: Program, fiscal_year: int) -> dict[str, int]:
    """What the data say for the report: students, awards started and ended, suspensions, months and
    yen paid by the rules, completions and withdrawals."""
    fy_start, fy_end = rules.fiscal_year_bounds(fiscal_year)
    awards = list(
        Award.objects.filter(
            student__university=university, program=program, start_date__lte=fy_end, end_date__gte=fy_start
        )
        .select_related("program", "student")
        .prefetch_related("events")
    )
    figures = {
        "students": len({a.student_id for a in awards}),
        "awards": len(awards),
        "awards_started": sum(1 for a in awards if fy_start <= a.start_date <= fy_end),
        "awards_ended": sum(1 for a in awards if a.end_date <= fy_end),
        "suspensions": 0,
        "months_paid": 0,
        "living_cost_paid": 0,
        "research_cost_paid": 0,
    }
    for award in awards:
        events = list(award.events.all())
        figures["suspensions"] += sum(
            1 for e in events if e.kind == AwardEvent.Kind.SUSPENSION and fy_start <= e.start_date <= fy_end
        )
        year = next(y for y in award_year_amounts(award, events) if y.fiscal_year == fiscal_year)
        figures["months_paid"] += year.months
        # Twelfths, truncated once below (DOMAIN.md: "never per piece").
        figures["living_cost_paid"] += year.living_twelfths
        figures["research_cost_paid"] += year.research_twelfths
    figures["living_cost_paid"] = rules.yen(figures["living_cost_paid"])
    figures["research_cost_paid"] = rules.yen(figures["research_cost_paid"])
    students = {a.student for a in awards}
    in_year = [s for s in students if s.completion_date and fy_start <= s.completion_date <= fy_end]
    figures["completions"] = sum(1 for s in in_year if s.status == Student.Status.COMPLETED)
    figures["withdrawals"] = sum(1 for s in in_year if s.status == Student.Status.WITHDRAWN)
    # The payments app adds the ledger's figures (due, paid, recovered) without reports importing it.
    for extra in hooks.collect("report_figures", university=university, program=program, fiscal_year=fiscal_year):
        figures.update(extra)
    return figures


# --- Who must report, and who is late -----------------------------------------------------


NOT_STARTED = "not_started"  # no report yet where one is due
RETURNED_LABEL = _("差戻し")


@dataclass(frozen=True)
class ReportStatus:
    university_id: int
    university_name: str
    program_code: str
    fiscal_year: int
    state: str  # a Report.State or NOT_STARTED
    report_id: int | None
    due_date: date | None
    submitted_on: date | None
    overdue: bool  # the deadline has passed and the report is not in (submitted or accepted)
    submitted_late: bool
    returned: bool = False  # a draft the officer sent back with a comment, not resubmitted yet
    program_name: str = ""  # in the page's language

    @property
    def state_label(self) -> str:
        if self.state == NOT_STARTED:
            return str(_("未作成"))
        if self.returned:
            return str(RETURNED_LABEL)
        return str(Report.State(self.state).label)

    @property
    def badge(self) -> str:
        """The CSS class of the state's badge (a returned draft is marked as needing action)."""
        return "returned" if self.returned else self.state


def report_statuses(
    *, fiscal_year: int, today: date, program_ids: Iterable[int] | None = None, university_id: int | None = None
) -> list[ReportStatus]:
    """Every university that must report on a program for a fiscal year (it had an award of that
    program in that year), with the state of its report; late ones first, then by name."""
    return report_statuses_by_year(
        fiscal_years=[fiscal_year], today=today, program_ids=program_ids, university_id=university_id
    )[fiscal_year]


def report_statuses_by_year(
    *,
    fiscal_years: Iterable[int],
    today: date,
    program_ids: Iterable[int] | None = None,
    university_id: int | None = None,
) -> dict[int, list[ReportStatus]]:
    """`report_statuses` of several fiscal years: one query each for who must report, the reports,
    names, programs and deadlines of all the years."""
    fiscal_years = list(fiscal_years)
    if program_ids is not None:
        program_ids = list(program_ids)
    reports = Report.objects.filter(fiscal_year__in=fiscal_years).order_by()
    if program_ids is not None:
        reports = reports.filter(program_id__in=program_ids)
    if university_id is not None:
        reports = reports.filter(university_id=university_id)
    programs = list(Program.objects.values_list("pk", "code", "name_ja", "name_en"))
    codes = {pk: code for pk, code, _ja, _en in programs}
    program_names = {pk: localized_name(ja, en) for pk, _code, ja, en in programs}
    program_of = {code: pk for pk, code in codes.items()}
    # Who must report: the kept award counts of the years, in one query.
    held_codes = None if program_ids is None else [codes[pk] for pk in program_ids if pk in codes]
    pairs_of: dict[int, set[tuple[int, int]]] = {fiscal_year: set() for fiscal_year in fiscal_years}
    for fiscal_year, university, code in programs_held(
        fiscal_years=fiscal_years, university_id=university_id, programs=held_codes
    ):
        pairs_of[fiscal_year].add((university, program_of[code]))
    # Plain values, not model objects: a national page reads thousands of reports, and each
    # object would decode its stored figures (JSON) that no status needs.
    by_key = {
        (fy, university, program): (pk, state, submitted_at, bool(comment))
        for pk, fy, university, program, state, submitted_at, comment in reports.values_list(
            "pk", "fiscal_year", "university_id", "program_id", "state", "submitted_at", "officer_comment"
        )
    }
    for fiscal_year, university, program in by_key:
        pairs_of[fiscal_year].add((university, program))
    names = {
        pk: localized_name(ja, en)
        for pk, ja, en in University.objects.filter(
            pk__in={u for pairs in pairs_of.values() for u, _p in pairs}
        ).values_list("pk", "name_ja", "name_en")
    }
    deadlines = {
        (fy, program): due
        for fy, program, due in ReportDeadline.objects.filter(fiscal_year__in=fiscal_years).values_list(
            "fiscal_year", "program_id", "due_date"
        )
    }
    zone = timezone.get_current_timezone()  # once: looking it up per report costs more than the rest
    result = {}
    for fiscal_year, pairs in pairs_of.items():
        statuses = []
        for university, program in pairs:
            report_id, state, submitted_at, commented = by_key.get(
                (fiscal_year, university, program), (None, NOT_STARTED, None, False)
            )
            due = deadlines.get((fiscal_year, program))
            submitted_on = submitted_at.astimezone(zone).date() if submitted_at else None
            in_hand = state in (Report.State.SUBMITTED, Report.State.ACCEPTED)
            statuses.append(
                ReportStatus(
                    university_id=university,
                    university_name=names[university],
                    program_code=codes[program],
                    fiscal_year=fiscal_year,
                    state=state,
                    report_id=report_id,
                    due_date=due,
                    submitted_on=submitted_on,
                    overdue=bool(due and today > due and not in_hand),
                    submitted_late=bool(due and submitted_on and submitted_on > due),
                    returned=state == Report.State.DRAFT and commented,
                    program_name=program_names[program],
                )
            )
        statuses.sort(
            key=lambda s: (not s.overdue, s.state == Report.State.ACCEPTED, s.university_name, s.program_code)
        )
        result[fiscal_year] = statuses
    return result


def past_deadline_counts(
    *,
    fiscal_years: Iterable[int],
    today: date,
    program_ids: Iterable[int] | None = None,
    university_id: int | None = None,
) -> tuple[Counter, Counter]:
    """Per university, of `report_statuses_by_year(...)`: the statuses whose deadline has passed
    (checked) and, of those, the overdue ones, without the statuses: the pairs that must report
    on a program whose deadline has passed, less those whose report is in. For counts (the home
    page, the timeliness ranking): no names, no sorting, nothing more read before a deadline."""
    deadlines = ReportDeadline.objects.filter(fiscal_year__in=list(fiscal_years), due_date__lt=today).order_by()
    if program_ids is not None:
        deadlines = deadlines.filter(program_id__in=list(program_ids))
    passed = {
        (fy, program): code for fy, program, code in deadlines.values_list("fiscal_year", "program_id", "program__code")
    }
    checked: Counter = Counter()
    overdue: Counter = Counter()
    if not passed:
        return checked, overdue
    years = {fy for fy, _program in passed}
    program_of = {(fy, code): program for (fy, program), code in passed.items()}
    reports = Report.objects.filter(fiscal_year__in=years, program_id__in={p for _fy, p in passed}).order_by()
    if university_id is not None:
        reports = reports.filter(university_id=university_id)
    pairs = {
        (fy, university, program_of[fy, code])
        for fy, university, code in programs_held(
            fiscal_years=years, university_id=university_id, programs=set(passed.values())
        )
        if (fy, code) in program_of
    }
    in_hand = set()
    for fy, university, program, state in reports.values_list("fiscal_year", "university_id", "program_id", "state"):
        if (fy, program) not in passed:
            continue
        pairs.add((fy, university, program))  # a report makes its pair one that must report
        if state in (Report.State.SUBMITTED, Report.State.ACCEPTED):
            in_hand.add((fy, university, program))
    for _fy, university, _program in pairs:
        checked[university] += 1
    for _fy, university, _program in pairs - in_hand:
        overdue[university] += 1
    return checked, overdue


def overdue_count(*, fiscal_year: int, today: date, program_ids: Iterable[int] | None = None) -> int:
    """How many of `report_statuses(...)` are overdue (`past_deadline_counts`, added up)."""
    _checked, overdue = past_deadline_counts(fiscal_years=[fiscal_year], today=today, program_ids=program_ids)
    return sum(overdue.values())


def deadline_for(*, program: Program, fiscal_year: int) -> date | None:
    return (
        ReportDeadline.objects.filter(program=program, fiscal_year=fiscal_year)
        .values_list("due_date", flat=True)
        .first()
    )
