"""What waits for each signed-in person, for the home page: the work of their role, counted.

Staff see their university's reports to submit (late first) and career records due; officers the
reports submitted to them; ministry viewers the national picture. Everything here is a count or a
university-level row: no student names reach an officer or a viewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import selectors as accounts
from careers import selectors as careers
from dashboards.quality import fiscal_years_to_check, late_ids
from phdsupport import access
from programs import rules
from reports.models import Report
from reports.selectors import NOT_STARTED, ReportStatus, overdue_count, report_statuses_by_year


@dataclass(frozen=True)
class Todo:
    label: str
    count: int
    url: str
    urgent: bool = False


def _statuses(university_id: int, today: date) -> dict[int, list[ReportStatus]]:
    """The university's report statuses of every year the quality counts judge (the closed ones
    among them are the reports to act on)."""
    return report_statuses_by_year(fiscal_years=fiscal_years_to_check(today), today=today, university_id=university_id)


def reports_to_act_on(
    *, university_id: int, today: date, statuses: dict[int, list[ReportStatus]] | None = None
) -> list[ReportStatus]:
    """The university's reports not yet in: those past their deadline first, then the ones whose
    year is over and whose deadline is still ahead (a draft returned by the officer among them).
    `statuses`: `_statuses` of the same university and day, when the caller has them."""
    if statuses is None:
        statuses = _statuses(university_id, today)
    current = rules.fiscal_year(today)
    waiting = [
        status
        for fy, year in statuses.items()
        if fy < current
        for status in year
        if status.state in (NOT_STARTED, Report.State.DRAFT)
    ]
    return sorted(waiting, key=lambda s: (not s.overdue, s.due_date or date.max, s.fiscal_year, s.program_code))


def staff_todos(
    *,
    university_id: int,
    today: date,
    reports: list[ReportStatus] | None = None,
    statuses: dict[int, list[ReportStatus]] | None = None,
) -> list[Todo]:
    """`reports` and `statuses`: reports_to_act_on and `_statuses` for the same university and day,
    when the caller has them. The quality count is the university's row of the quality ranking,
    added up from what the page reads anyway (the late records kept per facts version, the due
    careers, the report statuses) rather than computing the ranking's row afresh."""
    if statuses is None:
        statuses = _statuses(university_id, today)
    if reports is None:
        reports = reports_to_act_on(university_id=university_id, today=today, statuses=statuses)
    due = careers.due_points(university_id=university_id, today=today)
    late_awards, late_changes = late_ids(university_id)
    problems = (
        len(late_awards)
        + len(late_changes)
        + sum(d.overdue for d in due)
        + sum(s.overdue for year in statuses.values() for s in year)
    )
    return [
        Todo(_("期限を過ぎた未提出の報告"), sum(s.overdue for s in reports), reverse("quality"), urgent=True),
        Todo(_("提出が必要な報告（期限前）"), sum(not s.overdue for s in reports), reverse("reports:list")),
        Todo(_("期限を過ぎた進路の未登録"), sum(d.overdue for d in due), reverse("careers:due"), urgent=True),
        Todo(_("登録時期を迎えた進路"), sum(not d.overdue for d in due), reverse("careers:due")),
        Todo(_("データの適時性・品質の指摘"), problems, reverse("quality")),
    ]


def reports_awaiting_officer(*, program_ids: list[int] | None, shown: int = 50) -> tuple[int, list[Report]]:
    """How many submitted reports wait for acceptance or return, and the `shown` oldest."""
    reports = Report.objects.filter(state=Report.State.SUBMITTED)
    if program_ids is not None:
        reports = reports.filter(program_id__in=program_ids)
    # Without the report's texts and stored figures: the list shows who, what and when.
    oldest = list(
        reports.select_related("university", "program")
        .defer("figures", "comments", "career_activities", "officer_comment")
        .order_by("submitted_at", "pk")[:shown]
    )
    return (len(oldest) if len(oldest) < shown else reports.count()), oldest


def overdue_reports(*, today: date, program_ids: list[int] | None) -> int:
    """Reports of the last closed fiscal year past their deadline and not in, nationally."""
    return overdue_count(fiscal_year=rules.fiscal_year(today) - 1, today=today, program_ids=program_ids)


def work_of(user: Any, *, today: date) -> dict[str, Any]:
    """What the home page shows a signed-in person: their role's work, and links to their pages."""
    role = access.role_of(user)
    links: list[dict[str, Any]] = []
    work: dict[str, Any] = {}
    university_id = access.staff_university_id(user)
    if university_id is not None:
        statuses = _statuses(university_id, today)
        reports = reports_to_act_on(university_id=university_id, today=today, statuses=statuses)
        work["reports_to_act_on"] = reports
        work["todos"] = staff_todos(university_id=university_id, today=today, reports=reports, statuses=statuses)
        links.append({"url": reverse("dashboards:university", args=[university_id]), "label": _("本学の状況")})
    if access.can_manage_deadlines(user):
        program_ids = None if access.is_administrator(user) else access.officer_program_ids(user)
        work["awaiting_count"], work["awaiting"] = reports_awaiting_officer(program_ids=program_ids)
        work["overdue_reports"] = overdue_reports(today=today, program_ids=program_ids)
        links.append({"url": reverse("reports:deadlines"), "label": _("報告の提出期限")})
    if access.can_view_recovery_claims(user):
        links.append({"url": reverse("payments:claims"), "label": _("返還請求の状況")})
    if access.can_view_national(user):
        if "overdue_reports" not in work:
            work["overdue_reports"] = overdue_reports(today=today, program_ids=None)
        links += [
            {"url": reverse("dashboards:national"), "label": _("全国の状況")},
            {"url": reverse("dashboards:reports"), "label": _("報告状況")},
            {"url": reverse("dashboards:outcomes"), "label": _("進路の状況")},
        ]
    if access.account_scope(user)[0]:
        # a first federated sign-in waits for a role from an administrator or the university's lead staff
        work.setdefault("todos", []).append(
            Todo(
                _("役割の付与を待つ利用者"),
                accounts.waiting_for_role_count(user),
                reverse("accounts:accounts") + "?waiting=1",
                urgent=True,
            )
        )
    return {"feature_links": links, "role": role or "", **work}
