"""Every write to annual reports (実績報告) and their deadlines.

States: draft → submitted → accepted, or submitted → returned to draft with the officer's
comment. Submitting needs university staff of that university with the certifying flag;
returning and accepting need a program officer of that program. Accepting locks that
university's awards of that program in that fiscal year (students.YearLock) until an officer
reopens it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from phdsupport import access
from phdsupport.history import recorded_as
from programs import rules
from programs.models import Program
from reports.models import Report, ReportDeadline, ReportEvent
from reports.selectors import report_figures
from students.models import University
from students.services import hold_key_lock, year_lock, year_unlock

WRONG_STATE = _("この報告は今の状態（{state}）ではこの操作ができません。")
NOT_CERTIFIER = _("報告を提出できるのは本学の提出権限を持つ担当者だけです。")
NOT_OFFICER = _("この事業の担当官だけができる操作です。")
COMMENT_REQUIRED = _("理由・コメントを入力してください。")
DEADLINE_TOO_EARLY = _("提出期限は年度の終わり（{end}）より後の日にしてください。")
YEAR_NOT_OVER = _("年度が終わる（{end}）までは提出できません。")


# --- State machine ------------------------------------------------------------------------


def _require_certifier(user: Any, report: Report) -> None:
    if not access.can_certify_for(user, report.university_id):
        raise PermissionDenied(NOT_CERTIFIER)


def _require_officer_of(user: Any, program_id: int) -> None:
    if not access.is_officer_of(user, program_id):
        raise PermissionDenied(NOT_OFFICER)


def _recorded(user: Any) -> Any:
    """The person to record: an API key acts for the person who issued it."""
    user = getattr(user, "recorded_user", user)
    return user if getattr(user, "pk", None) else None


def _clean_fields(instance: Any, *names: str) -> None:
    """The model's field validation (lengths, refused characters) for the fields a write sets."""
    instance.clean_fields(exclude=[f.name for f in instance._meta.fields if f.name not in names])


def _move(report: Report, *, action: str, to_state: str, acting_user: Any, comment: str = "") -> Report:
    _clean_fields(ReportEvent(comment=comment), "comment")  # keyed "comment", as the forms name it
    _clean_fields(report, "officer_comment")
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
    report._history_user = _recorded(acting_user)
    report.save(update_fields=["state", "version", "figures", "officer_comment", "submitted_at", "updated_at"])
    return report


def _locked_for_update(report: Report, expected: str) -> Report:
    # Only the report's own row, and not against foreign keys: FOR UPDATE over the join locked the
    # program row, so every award recorded for the program waited for the report (its foreign key check
    # takes KEY SHARE on the program).
    current = Report.objects.select_for_update(of=("self",), no_key=True).select_related("program").get(pk=report.pk)
    if current.state != expected:
        raise ValidationError(
            {"__all__": [ValidationError(WRONG_STATE.format(state=current.get_state_display()), code="wrong_state")]}
        )
    return current


@transaction.atomic
def report_prepare(*, university: University, program: Program, fiscal_year: int, acting_user: Any) -> Report:
    """The draft for a university, program and year, its figures refreshed from the data.

    Two prepares at once: the second waits for the first (the key's lock), then finds its report;
    the report's row is then locked, so a submission at the same moment waits for the figures
    written here, or these wait for it and are not written over a submitted report."""
    hold_key_lock("report", university.pk, program.pk, fiscal_year)
    with recorded_as(_recorded(acting_user)):
        report, _created = Report.objects.get_or_create(university=university, program=program, fiscal_year=fiscal_year)
    report = Report.objects.select_for_update(of=("self",), no_key=True).get(pk=report.pk)
    if report.state == Report.State.DRAFT:
        figures = report_figures(university=university, program=program, fiscal_year=fiscal_year)
        if figures != report.figures:  # a new version only when the data moved (ETag, updated_since)
            report.figures = figures
            report.version += 1
            report._history_user = _recorded(acting_user)
            report.save(update_fields=["figures", "version", "updated_at"])
    return report


@transaction.atomic
def report_update_text(*, report: Report, acting_user: Any, comments: str, career_activities: str) -> Report:
    """What the data cannot say, added by the university's staff while the report is a draft."""
    if access.staff_university_id(acting_user) != report.university_id:
        raise PermissionDenied(NOT_CERTIFIER)
    current = _locked_for_update(report, Report.State.DRAFT)
    if (current.comments, current.career_activities) != (comments, career_activities):
        current.comments, current.career_activities = comments, career_activities
        _clean_fields(current, "comments", "career_activities")
        current.version += 1
        current._history_user = _recorded(acting_user)
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
    current.officer_comment = ""  # answered by this submission; the return stays in the events
    return _move(current, action=ReportEvent.Action.SUBMIT, to_state=Report.State.SUBMITTED, acting_user=acting_user)


@transaction.atomic
def report_return(*, report: Report, acting_user: Any, comment: str) -> Report:
    _require_officer_of(acting_user, report.program_id)
    if not comment.strip():
        raise ValidationError({"comment": [ValidationError(COMMENT_REQUIRED, code="required")]})
    current = _locked_for_update(report, Report.State.SUBMITTED)
    current.officer_comment = comment
    return _move(
        current, action=ReportEvent.Action.RETURN, to_state=Report.State.DRAFT, acting_user=acting_user, comment=comment
    )


@transaction.atomic
def report_accept(*, report: Report, acting_user: Any) -> Report:
    _require_officer_of(acting_user, report.program_id)
    current = _locked_for_update(report, Report.State.SUBMITTED)
    year_lock(university_id=current.university_id, program_id=current.program_id, fiscal_year=current.fiscal_year)
    return _move(current, action=ReportEvent.Action.ACCEPT, to_state=Report.State.ACCEPTED, acting_user=acting_user)


@transaction.atomic
def report_reopen(*, report: Report, acting_user: Any, comment: str) -> Report:
    """Unlock an accepted report (and its awards); the reopening is recorded with its reason."""
    _require_officer_of(acting_user, report.program_id)
    if not comment.strip():
        raise ValidationError({"comment": [ValidationError(COMMENT_REQUIRED, code="required")]})
    current = _locked_for_update(report, Report.State.ACCEPTED)
    year_unlock(university_id=current.university_id, program_id=current.program_id, fiscal_year=current.fiscal_year)
    # A reopened report is not a returned one: an earlier return's comment is no longer current.
    current.officer_comment = ""
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
    # Before looking for the row: a second set of a deadline not yet stored waits, then changes
    # the first's row, as one after the other would, instead of inserting a second one.
    hold_key_lock("deadline", program.pk, fiscal_year)
    deadline = ReportDeadline.objects.select_for_update().filter(
        program=program, fiscal_year=fiscal_year
    ).first() or ReportDeadline(program=program, fiscal_year=fiscal_year)
    if deadline.due_date == due_date:
        return deadline
    deadline.due_date = due_date
    _clean_fields(deadline, "due_date")
    deadline._history_user = _recorded(acting_user)
    deadline.save()
    return deadline
