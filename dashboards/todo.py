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

from careers import selectors as careers
from dashboards.quality import fiscal_years_to_check, quality_ranking
from phdsupport import access
from programs import rules
from reports.models import Report
from reports.selectors import NOT_STARTED, ReportStatus, report_statuses, report_statuses_by_year


@dataclass(frozen=True)
class Todo:
    label: str
    count: int
    url: str
    urgent: bool = False


def reports_to_act_on(*, university_id: int, today: date) -> list[ReportStatus]:
    """The university's reports not yet in: those past their deadline first, then the ones whose
    year is over and whose deadline is still ahead (a draft returned by the officer among them)."""
    closed_years = [fy for fy in fiscal_years_to_check(today) if fy < rules.fiscal_year(today)]
    years = report_statuses_by_year(fiscal_years=closed_years, today=today, university_id=university_id)
    waiting = [
        status
        for statuses in years.values()
        for status in statuses
        if status.state in (NOT_STARTED, Report.State.DRAFT)
    ]
    return sorted(waiting, key=lambda s: (not s.overdue, s.due_date or date.max, s.fiscal_year, s.program_code))


def staff_todos(*, university_id: int, today: date, reports: list[ReportStatus] | None = None) -> list[Todo]:
    """`reports`: reports_to_act_on for the same university and day, when the caller has it."""
    if reports is None:
        reports = reports_to_act_on(university_id=university_id, today=today)
    due = careers.due_points(university_id=university_id, today=today)
    own = quality_ranking(today=today, university_id=university_id)  # this university's rows only
    return [
        Todo(_("期限を過ぎた未提出の報告"), sum(s.overdue for s in reports), reverse("quality"), urgent=True),
        Todo(_("提出が必要な報告（期限前）"), sum(not s.overdue for s in reports), reverse("reports:list")),
        Todo(_("期限を過ぎた進路の未登録"), sum(d.overdue for d in due), reverse("careers:due"), urgent=True),
        Todo(_("登録時期を迎えた進路"), sum(not d.overdue for d in due), reverse("careers:due")),
        Todo(
            _("データの適時性・品質の指摘"),
            own[0].total if own else 0,
            reverse("quality"),
        ),
    ]


def reports_awaiting_officer(*, program_ids: list[int] | None, shown: int = 50) -> tuple[int, list[Report]]:
    """How many submitted reports wait for acceptance or return, and the `shown` oldest."""
    reports = Report.objects.filter(state=Report.State.SUBMITTED)
    if program_ids is not None:
        reports = reports.filter(program_id__in=program_ids)
    oldest = list(reports.select_related("university", "program").order_by("submitted_at", "pk")[:shown])
    return (len(oldest) if len(oldest) < shown else reports.count()), oldest


def overdue_reports(*, today: date, program_ids: list[int] | None) -> int:
    """Reports of the last closed fiscal year past their deadline and not in, nationally."""
    statuses = report_statuses(fiscal_year=rules.fiscal_year(today) - 1, today=today, program_ids=program_ids)
    return sum(s.overdue for s in statuses)


def work_of(user: Any, *, today: date) -> dict[str, Any]:
    """What the home page shows a signed-in person: their role's work, and links to their pages."""
    role = access.role_of(user)
    links: list[dict[str, Any]] = []
    work: dict[str, Any] = {}
    university_id = access.staff_university_id(user)
    if university_id is not None:
        reports = reports_to_act_on(university_id=university_id, today=today)
        work["reports_to_act_on"] = reports
        work["todos"] = staff_todos(university_id=university_id, today=today, reports=reports)
        links.append({"url": reverse("dashboards:university", args=[university_id]), "label": _("本学の状況")})
    if access.can_manage_deadlines(user):
        program_ids = None if access.is_administrator(user) else access.officer_program_ids(user)
        work["awaiting_count"], work["awaiting"] = reports_awaiting_officer(program_ids=program_ids)
        work["overdue_reports"] = overdue_reports(today=today, program_ids=program_ids)
        links.append({"url": reverse("reports:deadlines"), "label": _("報告の提出期限")})
    if access.can_view_national(user):
        if "overdue_reports" not in work:
            work["overdue_reports"] = overdue_reports(today=today, program_ids=None)
        links += [
            {"url": reverse("dashboards:national"), "label": _("全国の状況")},
            {"url": reverse("dashboards:reports"), "label": _("報告状況")},
            {"url": reverse("dashboards:outcomes"), "label": _("進路の状況")},
        ]
    return {"feature_links": links, "role": role or "", **work}
