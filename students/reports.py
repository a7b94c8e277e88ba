"""Annual reports (実績報告): figures from the data, the state machine, and the lock it puts on awards.

States: draft → submitted → accepted, or submitted → returned to draft with the officer's
comment. Submitting needs university staff of that university with the certifying flag;
returning and accepting need a program officer of that program. An accepted report locks
that university's awards of that program in that fiscal year until an officer reopens it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs import rules
from programs.models import Program
from students.managers import is_administrator
from students.models import Award, AwardEvent, Report, ReportDeadline, ReportEvent, Student, University
from students.selectors import award_year_amounts

LOCKED = _(
    "{fy_ja}の {program} の実績報告は受理済みのため変更できません。担当官に再開を依頼してください。 / "
    "The {program} report for {fy} has been accepted; ask the program officer to reopen it."
)


def locked_message(fiscal_year: int, program_code: str) -> str:
    return str(LOCKED).format(
        fy_ja=rules.fiscal_year_label_ja(fiscal_year), fy=rules.fiscal_year_label(fiscal_year), program=program_code
    )


WRONG_STATE = _(
    "この報告は今の状態（{state}）ではこの操作ができません。 / Not possible in the report's state ({state})."
)
NOT_CERTIFIER = _(
    "報告を提出できるのは本学の提出権限を持つ担当者だけです。 / Only your university's certifying staff may submit."
)
NOT_OFFICER = _("この事業の担当官だけができる操作です。 / Only this program's officer may do this.")
COMMENT_REQUIRED = _("理由・コメントを入力してください。 / Enter a comment.")
DEADLINE_TOO_EARLY = _(
    "提出期限は年度の終わり（{end}）より後の日にしてください。 / The deadline must fall after the fiscal year ends ({end})."
)
YEAR_NOT_OVER = _(
    "年度が終わる（{end}）までは提出できません。 / The report can be submitted once the fiscal year ends ({end})."
)


# --- Locks --------------------------------------------------------------------------------


def check_unlocked(*, university_id: int, program_id: int, periods: Iterable[tuple[date, date]]) -> None:
    """Refuse a change to awards in a fiscal year whose report for the program is accepted."""
    years: set[int] = set()
    for start, end in periods:
        years.update(range(rules.fiscal_year(start), rules.fiscal_year(end) + 1))
    if not years:
        return
    accepted = (
        Report.objects.filter(
            university_id=university_id, program_id=program_id, state=Report.State.ACCEPTED, fiscal_year__in=years
        )
        .select_related("program")
        .order_by("fiscal_year")
        .first()
    )
    if accepted is not None:
        raise ValidationError(
            {
                "__all__": [
                    ValidationError(
                        locked_message(accepted.fiscal_year, accepted.program.code),
                        code="report_locked",
                    )
                ]
            }
        )


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
    return figures


# --- State machine ------------------------------------------------------------------------


def _membership(user: Any) -> Any:
    return getattr(user, "membership", None)


def _require_certifier(user: Any, report: Report) -> None:
    membership = _membership(user)
    if not (
        membership
        and membership.role == "university_staff"
        and membership.university_id == report.university_id
        and membership.can_certify
    ):
        raise PermissionDenied(NOT_CERTIFIER)


def _require_officer(user: Any, report: Report) -> None:
    _require_officer_of(user, report.program_id)


def _require_officer_of(user: Any, program_id: int) -> None:
    membership = _membership(user)
    if is_administrator(user):
        return
    if not (membership and membership.role == "program_officer" and membership.programs.filter(pk=program_id).exists()):
        raise PermissionDenied(NOT_OFFICER)


def _recorded(user: Any) -> Any:
    """The person to record: an API key acts for the person who issued it."""
    user = getattr(user, "recorded_user", user)
    return user if getattr(user, "pk", None) else None


def _move(report: Report, *, action: str, to_state: str, acting_user: Any, comment: str = "") -> Report:
    ReportEvent.objects.create(
        report=report,
        action=action,
        from_state=report.state,
        to_state=to_state,
        comment=comment,
        acting_user=_recorded(acting_user),
    )
    report.state = to_state
    report.version += 1
    if action == ReportEvent.Action.SUBMIT:
        report.submitted_at = timezone.now()
    report.save(update_fields=["state", "version", "figures", "officer_comment", "submitted_at", "updated_at"])
    return report


def _locked_for_update(report: Report, expected: str) -> Report:
    current = Report.objects.select_for_update().select_related("program").get(pk=report.pk)
    if current.state != expected:
        raise ValidationError(
            {"__all__": [ValidationError(WRONG_STATE.format(state=current.get_state_display()), code="wrong_state")]}
        )
    return current


@transaction.atomic
def report_prepare(*, university: University, program: Program, fiscal_year: int, acting_user: Any) -> Report:
    """The draft for a university, program and year, its figures refreshed from the data."""
    report, _created = Report.objects.get_or_create(university=university, program=program, fiscal_year=fiscal_year)
    if report.state == Report.State.DRAFT:
        figures = report_figures(university=university, program=program, fiscal_year=fiscal_year)
        if figures != report.figures:  # a new version only when the data moved (ETag, updated_since)
            report.figures = figures
            report.version += 1
            report.save(update_fields=["figures", "version", "updated_at"])
    return report


@transaction.atomic
def report_update_text(*, report: Report, acting_user: Any, comments: str, career_activities: str) -> Report:
    """What the data cannot say, added by the university's staff while the report is a draft."""
    membership = _membership(acting_user)
    if not (membership and membership.role == "university_staff" and membership.university_id == report.university_id):
        raise PermissionDenied(NOT_CERTIFIER)
    current = _locked_for_update(report, Report.State.DRAFT)
    if (current.comments, current.career_activities) != (comments, career_activities):
        current.comments, current.career_activities = comments, career_activities
        current.version += 1
        current.save(update_fields=["comments", "career_activities", "version", "updated_at"])
    return current


@transaction.atomic
def report_submit(*, report: Report, acting_user: Any) -> Report:
    _require_certifier(acting_user, report)
    current = _locked_for_update(report, Report.State.DRAFT)
    _fy_start, fy_end = rules.fiscal_year_bounds(current.fiscal_year)
    if timezone.localdate() <= fy_end:
        raise ValidationError(
            {"__all__": [ValidationError(YEAR_NOT_OVER.format(end=fy_end.isoformat()), code="year_not_over")]}
        )
    current.figures = report_figures(
        university=current.university, program=current.program, fiscal_year=current.fiscal_year
    )
    return _move(current, action=ReportEvent.Action.SUBMIT, to_state=Report.State.SUBMITTED, acting_user=acting_user)


@transaction.atomic
def report_return(*, report: Report, acting_user: Any, comment: str) -> Report:
    _require_officer(acting_user, report)
    if not comment.strip():
        raise ValidationError({"comment": [ValidationError(COMMENT_REQUIRED, code="required")]})
    current = _locked_for_update(report, Report.State.SUBMITTED)
    current.officer_comment = comment
    return _move(
        current, action=ReportEvent.Action.RETURN, to_state=Report.State.DRAFT, acting_user=acting_user, comment=comment
    )


@transaction.atomic
def report_accept(*, report: Report, acting_user: Any) -> Report:
    _require_officer(acting_user, report)
    current = _locked_for_update(report, Report.State.SUBMITTED)
    return _move(current, action=ReportEvent.Action.ACCEPT, to_state=Report.State.ACCEPTED, acting_user=acting_user)


@transaction.atomic
def report_reopen(*, report: Report, acting_user: Any, comment: str) -> Report:
    """Unlock an accepted report (and its awards); the reopening is recorded with its reason."""
    _require_officer(acting_user, report)
    if not comment.strip():
        raise ValidationError({"comment": [ValidationError(COMMENT_REQUIRED, code="required")]})
    current = _locked_for_update(report, Report.State.ACCEPTED)
    return _move(
        current, action=ReportEvent.Action.REOPEN, to_state=Report.State.DRAFT, acting_user=acting_user, comment=comment
    )


@transaction.atomic
def deadline_set(*, program: Program, fiscal_year: int, due_date: date, acting_user: Any) -> ReportDeadline:
    """Set when the reports on a program for a year are due (the program's officer). Reports can
    only be submitted once the year is over, so the deadline must come after it. The history of
    ReportDeadline records who moved it; reminders are keyed on the date, so a moved deadline
    gets its own reminders."""
    _require_officer_of(acting_user, program.pk)
    _fy_start, fy_end = rules.fiscal_year_bounds(fiscal_year)
    if due_date <= fy_end:
        raise ValidationError(
            {"due_date": [ValidationError(DEADLINE_TOO_EARLY.format(end=fy_end.isoformat()), code="too_early")]}
        )
    deadline = ReportDeadline.objects.select_for_update().filter(
        program=program, fiscal_year=fiscal_year
    ).first() or ReportDeadline(program=program, fiscal_year=fiscal_year)
    if deadline.due_date == due_date:
        return deadline
    deadline.due_date = due_date
    deadline._history_user = _recorded(acting_user)
    deadline.save()
    return deadline


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
    awards = Award.objects.filter(start_date__lte=fy_end, end_date__gte=fy_start)
    reports = Report.objects.filter(fiscal_year=fiscal_year)
    if program_ids is not None:
        awards = awards.filter(program_id__in=list(program_ids))
        reports = reports.filter(program_id__in=list(program_ids))
    if university_id is not None:
        awards = awards.filter(student__university_id=university_id)
        reports = reports.filter(university_id=university_id)
    pairs = set(awards.values_list("student__university_id", "program_id").distinct())
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
