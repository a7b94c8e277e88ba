"""Pages of annual reports (実績報告) and of each university's list of what to fix."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from phdsupport import access
from phdsupport.exports import table_xlsx
from programs import rules
from programs.labels import fiscal_year_label
from programs.models import Program
from reports import selectors, services
from reports.forms import DeadlineForm, ReportAcceptForm, ReportCommentForm, ReportPrepareForm, ReportTextForm
from reports.models import Report, ReportDeadline
from students.forms import add_service_errors

FIGURE_LABELS = [
    ("students", gettext_noop("支援を受けた学生（人）")),
    ("awards", gettext_noop("支援件数")),
    ("awards_started", gettext_noop("うち年度内に開始")),
    ("awards_ended", gettext_noop("うち年度内に終了")),
    ("suspensions", gettext_noop("年度内の休止（件）")),
    ("months_paid", gettext_noop("支給月数（延べ）")),
    ("living_cost_paid", gettext_noop("生活費相当額の支給額（円）")),
    ("research_cost_paid", gettext_noop("研究費の支給額（円）")),
    ("completions", gettext_noop("修了者（人）")),
    ("withdrawals", gettext_noop("退学者（人）")),
    # From the payment ledger (payments app, through phdsupport.hooks "report_figures").
    ("ledger_due", gettext_noop("支給すべき額（支給実績との照合・円）")),
    ("ledger_paid", gettext_noop("支給実績の生活費相当額（円）")),
    ("ledger_research_reported", gettext_noop("支給実績の研究費（報告額・円、支給すべき額との照合に含めない）")),
    ("ledger_recovered", gettext_noop("返還済みの額（円）")),
    ("ledger_open_claims", gettext_noop("未決定の返還請求額（円）")),
]


REPORTS_PER_PAGE = 100  # an officer's programs at every university: hundreds of rows


@login_required
def report_list(request):
    access.require_rows(request.user)
    today = timezone.localdate()
    fiscal_year = _fiscal_year(request.GET.get("fiscal_year"), default=rules.fiscal_year(today) - 1)
    role = access.role_of(request.user)
    if role == access.Role.UNIVERSITY_STAFF:
        statuses = selectors.report_statuses(
            fiscal_year=fiscal_year, today=today, university_id=access.staff_university_id(request.user)
        )
    elif role == access.Role.PROGRAM_OFFICER:
        statuses = selectors.report_statuses(
            fiscal_year=fiscal_year, today=today, program_ids=access.officer_program_ids(request.user)
        )
    else:
        statuses = selectors.report_statuses(fiscal_year=fiscal_year, today=today)
    if role == access.Role.PROGRAM_OFFICER:  # what waits for the officer first
        statuses.sort(key=lambda s: (s.state != Report.State.SUBMITTED, not s.overdue, s.university_name))
    page = Paginator(statuses, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/list.html",
        {
            "statuses": page.object_list,
            "page": page,
            "query": f"fiscal_year={fiscal_year}",
            "fiscal_year": fiscal_year,
            "fy_label": fiscal_year_label(fiscal_year),
            "years": range(rules.fiscal_year(today), 2020, -1),
            "is_staff": role == access.Role.UNIVERSITY_STAFF,
            "is_officer": role == access.Role.PROGRAM_OFFICER,  # the hint says the order the officer sees
            "can_set_deadlines": access.can_manage_deadlines(request.user),
        },
    )


def _officer_programs(user):
    """The programs whose deadlines the user sets: an officer's own, every one for administrators."""
    if access.is_administrator(user):
        return Program.objects.order_by("display_order")
    if access.can_manage_deadlines(user):
        return Program.objects.filter(pk__in=access.officer_program_ids(user)).order_by("display_order")
    raise PermissionDenied


@login_required
def deadlines(request):
    """Program officers set the report deadlines of their programs, one fiscal year at a time."""
    programs = list(_officer_programs(request.user))
    today = timezone.localdate()
    fiscal_year = _fiscal_year(request.GET.get("fiscal_year"), default=rules.fiscal_year(today) - 1)
    failed = None
    if request.method == "POST":
        failed = DeadlineForm(request.POST, auto_id=f"deadline-{request.POST.get('program', '')}-%s")
        if failed.is_valid():
            try:
                services.deadline_set(acting_user=request.user, **failed.cleaned_data)
            except ValidationError as error:
                add_service_errors(failed, error)
            else:
                messages.success(request, _("提出期限を保存しました。"))
                return redirect(f"{request.path}?fiscal_year={failed.cleaned_data['fiscal_year']}")
        fiscal_year = _fiscal_year(request.POST.get("fiscal_year"), default=fiscal_year)
    current = {d.program_id: d for d in ReportDeadline.objects.filter(fiscal_year=fiscal_year, program__in=programs)}
    last_change = {}  # newest history row per program: who set the deadline, and when
    for change in (
        ReportDeadline.history.filter(fiscal_year=fiscal_year, program__in=programs)
        .select_related("history_user")
        .order_by("-history_date")
    ):
        last_change.setdefault(change.program_id, change)
    rows = []
    for program in programs:
        deadline = current.get(program.pk)
        failed_here = failed is not None and failed.data.get("program") == program.code
        form = (
            failed
            if failed_here
            else DeadlineForm(
                auto_id=f"deadline-{program.code}-%s",  # one form per row: ids must differ
                initial={
                    "program": program.code,
                    "fiscal_year": fiscal_year,
                    "due_date": deadline and deadline.due_date,
                },
            )
        )
        rows.append({"program": program, "deadline": deadline, "last": last_change.get(program.pk), "form": form})
    return render(
        request,
        "reports/deadlines.html",
        {
            "rows": rows,
            "failed": failed,  # its error summary heads the page (the row's field shows the error too)
            "fiscal_year": fiscal_year,
            "fy_label": fiscal_year_label(fiscal_year),
            "years": range(rules.fiscal_year(today) + 1, 2020, -1),
        },
    )


def _fiscal_year(raw, default: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return value if 2000 <= value <= 2100 else default


@login_required
@require_POST
def report_prepare(request):
    university = access.require_staff_university(request.user)
    form = ReportPrepareForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("事業と年度を選んでください。"))
        return redirect("reports:list")
    report = services.report_prepare(
        university=university,
        program=form.cleaned_data["program"],
        fiscal_year=form.cleaned_data["fiscal_year"],
        acting_user=request.user,
    )
    return redirect("reports:detail", pk=report.pk)


def _report_for(request, pk) -> Report:
    access.require_rows(request.user)
    return get_object_or_404(Report.objects.for_user(request.user).select_related("university", "program"), pk=pk)


def _figures(report: Report) -> list[tuple[str, int]]:
    return [(_(label), report.figures.get(key, 0)) for key, label in FIGURE_LABELS]


@login_required
def report_detail(request, pk, text_form=None, comment_form=None, accept_form=None):
    report = _report_for(request, pk)
    if report.state == Report.State.DRAFT:  # a draft shows today's figures; submitting records them
        report.figures = selectors.report_figures(
            university=report.university, program=report.program, fiscal_year=report.fiscal_year
        )
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "figures": _figures(report),
            "fy_label": fiscal_year_label(report.fiscal_year),
            "due_date": selectors.deadline_for(program=report.program, fiscal_year=report.fiscal_year),
            "events": report.events.select_related("acting_user"),
            "is_staff": access.staff_university_id(request.user) == report.university_id,
            "can_certify": access.can_certify_for(request.user, report.university_id),
            "is_officer": access.is_officer_of(request.user, report.program_id),
            "text_form": text_form
            or ReportTextForm(initial={"comments": report.comments, "career_activities": report.career_activities}),
            "comment_form": comment_form or ReportCommentForm(),
            "accept_form": accept_form or ReportAcceptForm(),
        },
    )


def _act(request, pk, action, success: str):
    report = _report_for(request, pk)
    try:
        action(report)
    except PermissionDenied as error:
        messages.error(request, str(error) or _("この操作の権限がありません。"))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("reports:detail", pk=report.pk)


@login_required
@require_POST
def report_text(request, pk):
    form = ReportTextForm(request.POST)
    if not form.is_valid():
        return report_detail(request, pk, text_form=form)
    return _act(
        request,
        pk,
        lambda r: services.report_update_text(report=r, acting_user=request.user, **form.cleaned_data),
        _("報告の記述を保存しました。"),
    )


@login_required
@require_POST
def report_submit(request, pk):
    return _act(
        request, pk, lambda r: services.report_submit(report=r, acting_user=request.user), _("報告を提出しました。")
    )


@login_required
@require_POST
def report_accept(request, pk):
    form = ReportAcceptForm(request.POST)
    if not form.is_valid():
        return report_detail(request, pk, accept_form=form)
    return _act(
        request,
        pk,
        lambda r: services.report_accept(report=r, acting_user=request.user),
        _("報告を受理しました。この年度の支援は変更できなくなりました。"),
    )


def _with_comment(request, pk, service, success):
    form = ReportCommentForm(request.POST)
    if not form.is_valid():
        return report_detail(request, pk, comment_form=form)
    return _act(
        request,
        pk,
        lambda r: service(report=r, acting_user=request.user, comment=form.cleaned_data["comment"]),
        success,
    )


@login_required
@require_POST
def report_return(request, pk):
    return _with_comment(request, pk, services.report_return, _("報告を差し戻しました。"))


@login_required
@require_POST
def report_reopen(request, pk):
    return _with_comment(request, pk, services.report_reopen, _("報告を再開しました（作成中に戻りました）。"))


@login_required
def report_print(request, pk):
    report = _report_for(request, pk)
    # The printed report is in the page's language, like every page (one language per page).
    return render(
        request,
        "reports/print.html",
        {
            "report": report,
            "figures": _figures(report),
            "fy_label": fiscal_year_label(report.fiscal_year),
            "submitted_event": report.events.filter(action="submit").select_related("acting_user").last(),
            "today": timezone.localdate(),
        },
    )


@login_required
def report_xlsx(request, pk):
    report = _report_for(request, pk)
    rows = [
        [_("大学"), report.university.name],
        [_("支援事業"), f"{report.program.code} {report.program.name}"],
        [_("年度"), fiscal_year_label(report.fiscal_year)],
        [_("状態"), report.get_state_display()],
        [
            _("提出日時"),
            timezone.localtime(report.submitted_at).strftime("%Y-%m-%d %H:%M") if report.submitted_at else "",
        ],
        ["", ""],
        *[[label, value] for label, value in _figures(report)],
        ["", ""],
        [_("所見・補足"), report.comments],
        [_("キャリア開発の取組"), report.career_activities],
        [_("担当官のコメント"), report.officer_comment],
    ]
    content = table_xlsx([_("項目"), _("値")], rows, _("実績報告"))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (
        f'attachment; filename="report-{report.program.code}-FY{report.fiscal_year}-{report.university_id}.xlsx"'
    )
    return response
