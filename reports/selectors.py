"""Reads of annual reports: the figures from the data, who must report, deadlines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from phdsupport import hooks
from programs import rules
from programs.models import Program
from reports.models import Report, ReportDeadline
from students.models import Award, AwardEvent, Student, University
from students.selectors import award_year_amounts

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

    @property
    def state_label(self) -> str:
        if self.state == NOT_STARTED:
            return str(_("未作成"))
        return str(Report.State(self.state).label)


def report_statuses(
    *, fiscal_year: int, today: date, program_ids: Iterable[int] | None = None, university_id: int | None = None
) -> list[ReportStatus]:
    """Every university that must report on a program for a fiscal year (it had an award of that
    program in that year), with the state of its report; late ones first, then by name."""
    fy_start, fy_end = rules.fiscal_year_bounds(fiscal_year)
    # No ordering: the default (by student) would turn DISTINCT over pairs into one row per award.
    awards = Award.objects.filter(start_date__lte=fy_end, end_date__gte=fy_start).order_by()
    reports = Report.objects.filter(fiscal_year=fiscal_year)
    if program_ids is not None:
        awards = awards.filter(program_id__in=list(program_ids))
        reports = reports.filter(program_id__in=list(program_ids))
    if university_id is not None:
        awards = awards.filter(university_id=university_id)
        reports = reports.filter(university_id=university_id)
    pairs = set(awards.values_list("university_id", "program_id").distinct())
    by_pair = {(r.university_id, r.program_id): r for r in reports}
    pairs |= set(by_pair)
    names = dict(University.objects.filter(pk__in={u for u, _p in pairs}).values_list("pk", "name_ja"))
    codes = dict(Program.objects.values_list("pk", "code"))
    deadlines = dict(ReportDeadline.objects.filter(fiscal_year=fiscal_year).values_list("program_id", "due_date"))
    statuses = []
    for university, program in pairs:
        report = by_pair.get((university, program))
        due = deadlines.get(program)
        state = report.state if report else NOT_STARTED
        submitted_on = timezone.localdate(report.submitted_at) if report and report.submitted_at else None
        in_hand = state in (Report.State.SUBMITTED, Report.State.ACCEPTED)
        statuses.append(
            ReportStatus(
                university_id=university,
                university_name=names[university],
                program_code=codes[program],
                fiscal_year=fiscal_year,
                state=state,
                report_id=report.pk if report else None,
                due_date=due,
                submitted_on=submitted_on,
                overdue=bool(due and today > due and not in_hand),
                submitted_late=bool(due and submitted_on and submitted_on > due),
            )
        )
    statuses.sort(key=lambda s: (not s.overdue, s.state == Report.State.ACCEPTED, s.university_name, s.program_code))
    return statuses


def deadline_for(*, program: Program, fiscal_year: int) -> date | None:
    return (
        ReportDeadline.objects.filter(program=program, fiscal_year=fiscal_year)
        .values_list("due_date", flat=True)
        .first()
    )
