"""Pages of the ledger: a student's due and paid, recording a month, a university's open
differences and claims, settling a claim."""

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payments import imports, selectors, services
from payments.forms import PaymentForm, SettlementForm
from payments.models import PaymentEntry
from phdsupport import access
from phdsupport.exports import table_csv, table_xlsx
from phdsupport.personal_data import ReadKind, note_read
from programs import rules
from programs.models import Program
from students import uploads
from students.forms import UploadForm, add_service_errors
from students.imports import UploadRejected, upload_limits
from students.models import Award, Student, University

DIFFERENCES_PER_PAGE = 100  # the open differences, oldest first, a page at a time
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def student_panel_context(request, student) -> dict:
    """Due and paid side by side on the student's page, with the claims (students.panels)."""
    lines = selectors.student_reconciliation(student)
    shown = [line for line in lines if line.due or line.paid or line.research_paid]
    awards = {a.pk: a for a in student.awards.select_related("program")}
    return {
        "rows": [(awards.get(line.award_id), rules.month_start(line.month), line) for line in shown],
        "total_due": sum(line.due for line in shown),
        "total_paid": sum(line.paid for line in shown),
        "open_count": sum(line.kind is not None for line in shown),
        "claims": [(awards.get(c.award_id), c) for c in selectors.student_claims(student)],
        "research": [(awards.get(r.award_id), r) for r in selectors.student_research(student)],
        "form": PaymentForm(awards=awards.values()) if awards else None,
        "settle_form": SettlementForm(auto_id=False),  # repeated per claim: no ids (_claims.html)
    }


def _student_of_staff(request, pk) -> Student:
    university = access.require_staff_university(request.user)
    return get_object_or_404(Student.objects.filter(university=university), pk=pk)


@login_required
def payment_record(request, pk):
    """Record (or correct) one month of one of the student's awards."""
    student = _student_of_staff(request, pk)
    awards = list(student.awards.select_related("program"))
    form = PaymentForm(request.POST or None, awards=awards)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        award = next(a for a in awards if a.pk == data["award"])
        try:
            entry = services.payment_record(
                award=award,
                month=data["month"],
                living_cost=data["living_cost"],
                research_cost=data["research_cost"],
                pay_date=data["pay_date"],
                reason=data["reason"],
                acting_user=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("支給実績を記録しました。") if entry else _("同じ内容が記録済みです。"))
            return redirect("students:detail", pk=student.pk)
    return render(request, "payments/form.html", {"form": form, "student": student})


@login_required
def payment_history(request, pk):
    """Every entry of an award's ledger, corrections included, newest first."""
    access.require_rows(request.user)
    award = get_object_or_404(Award.objects.for_user(request.user).select_related("student", "program"), pk=pk)
    entries = PaymentEntry.objects.filter(award=award).select_related("created_by").order_by("-month", "-pk")
    return render(request, "payments/history.html", {"award": award, "entries": entries})


@login_required
@require_POST
def claim_settle(request, pk, event_id):
    award = get_object_or_404(
        Award.objects.filter(university_id=access.require_staff_university(request.user).pk), pk=pk
    )
    form = SettlementForm(request.POST)
    if form.is_valid():
        try:
            services.claim_settle(award=award, cause_event_id=event_id, acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("返還請求の決定を記録しました。"))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("students:detail", pk=award.student_id)


@login_required
def university_payments(request):
    """A university's open differences, oldest first, and its recovery claims."""
    university = access.require_staff_university(request.user)
    differences = selectors.university_open_differences(university.pk)
    claims = selectors.university_claims(university.pk)
    page = Paginator(differences, DIFFERENCES_PER_PAGE).get_page(request.GET.get("page"))
    shown = page.object_list
    awards = Award.objects.filter(pk__in={d.award_id for d in shown} | {c.award_id for c in claims}).select_related(
        "student", "program"
    )
    by_id = {a.pk: a for a in awards}
    return render(
        request,
        "payments/university.html",
        {
            "university": university,
            "differences": [(by_id[d.award_id], rules.month_start(d.month), d) for d in shown],
            "page": page,
            "difference_count": len(differences),
            "difference_total": sum(d.difference for d in differences),
            "claims": [(by_id[c.award_id], c) for c in claims],
            "open_claims_total": sum(c.open_amount for c in claims),
            "settle_form": SettlementForm(auto_id=False),  # repeated per claim: no ids (_claims.html)
            "can_write": True,
            "repaid_total": sum(c.repaid for c in claims),
        },
    )


@login_required
def payment_upload(request):
    """A payroll export: stored and checked (on the worker when a broker is configured), then
    applied from the upload's page, all or nothing, as every upload is."""
    university = access.require_staff_university(request.user)
    # Bound on every POST: a post without any file (or field) must still say what is missing.
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = uploads.upload_create(
                university=university,
                filename=upload.name,
                content=upload.read(),
                acting_user=request.user,
                kind="payments",
            )
        except UploadRejected as error:
            form.add_error("file", error.messages)
        else:
            return redirect("students:upload", pk=job.pk)
    return render(request, "payments/upload.html", {"form": form, "limits": upload_limits()})


@login_required
def payment_template(request, fmt):
    access.require_staff_university(request.user)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    language = "en" if request.GET.get("lang") == "en" else "ja"
    header, rows = imports.headers(language), imports.template_rows()
    content = table_xlsx(header, rows, "payments") if fmt == "xlsx" else table_csv(header, rows)
    response = HttpResponse(content, content_type=XLSX if fmt == "xlsx" else "text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="phdsupport-payments-{language}.{fmt}"'
    return response


@dataclass
class ClaimTotals:
    """Open recovery claims of one university (or of all): how many, how much is still open, and
    what was repaid or waived on them."""

    university: University | None = None
    count: int = 0
    claimed: int = 0
    open: int = 0
    repaid: int = 0
    waived: int = 0

    def add(self, claim: selectors.ClaimView) -> None:
        self.count += 1
        self.claimed += claim.amount
        self.open += claim.open_amount
        self.repaid += claim.repaid
        self.waived += claim.settled - claim.repaid


@login_required
def recovery_claims(request):
    """Open recovery claims across universities (issue #15): a program officer those of their own
    programs, student by student, with totals per university and in all; the ministry the totals
    only (no names); a university's staff are refused: their claims are on their own page."""
    program_ids, named = access.recovery_claims_scope(request.user)
    claims = [c for c in selectors.program_claims(program_ids) if c.state == "open"]
    awards = {
        a.pk: a
        for a in Award.objects.filter(pk__in={c.award_id for c in claims}).select_related(
            "student", "program", "university"
        )
    }
    total = ClaimTotals()
    by_university: dict[int, ClaimTotals] = {}
    for claim in claims:
        award = awards[claim.award_id]
        by_university.setdefault(award.university_id, ClaimTotals(award.university)).add(claim)
        total.add(claim)
    rows = []
    if named:
        rows = sorted(
            ((awards[c.award_id], c) for c in claims),
            key=lambda pair: (pair[0].university.name_ja, pair[1].recorded_on or date.min, pair[1].event_id),
        )
        note_read(request, kind=ReadKind.LIST, students={(a.student_id, a.university_id) for a, _c in rows})
    programs = Program.objects.filter(pk__in=program_ids) if program_ids is not None else None
    return render(
        request,
        "payments/claims.html",
        {
            "named": named,
            "rows": rows,
            "universities": sorted(by_university.values(), key=lambda t: (-t.open, t.university.name_ja)),
            "total": total,
            "programs": programs,
        },
    )
