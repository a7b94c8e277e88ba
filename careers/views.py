"""Pages for careers after the degree: what is due, entry in the student's page, upload, JGRAD."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careers import selectors, services
from careers.forms import CareerForm
from careers.models import CareerOutcome
from phdsupport import access
from phdsupport.exports import table_csv, table_xlsx
from phdsupport.personal_data import ReadKind, note_read
from programs import rules
from students.forms import UploadForm, add_service_errors
from students.imports import UploadRejected, upload_limits
from students.models import Student

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, filename: str, fmt: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX if fmt == "xlsx" else "text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


DUE_PAGE_SIZE = 50


@login_required
def career_due(request):
    university = access.require_staff_university(request.user)
    today = timezone.localdate()
    due = selectors.due_points(university_id=university.pk, today=today)
    due_count, overdue_count = len(due), sum(d.overdue for d in due)
    # Filters narrow the list, never the counts above it; they are kept in every page link.
    point = request.GET.get("point", "")
    if point in CareerOutcome.SurveyPoint.values:
        due = [d for d in due if d.survey_point == point]
    else:
        point = ""
    overdue_only = request.GET.get("overdue") == "1"
    if overdue_only:
        due = [d for d in due if d.overdue]
    page = Paginator(due, DUE_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_students(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    current = rules.fiscal_year(today)
    return render(
        request,
        "careers/due.html",
        {
            "page": page,
            "query": query.urlencode(),
            "points": CareerOutcome.SurveyPoint.choices,
            "point": point,
            "overdue_only": overdue_only,
            "due_count": due_count,
            "overdue_count": overdue_count,
            "years": range(current, 2020, -1),
            "default_year": current - 1,
            "form": UploadForm(),
        },
    )


@login_required
def career_create(request, pk):
    university = access.require_staff_university(request.user)
    student = get_object_or_404(Student.objects.filter(university=university), pk=pk)
    form = CareerForm(request.POST or None, initial={"survey_point": request.GET.get("point")})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.career_create(student=student, acting_user=request.user, today=timezone.localdate(), **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("進路を登録しました。"))
            return redirect("students:detail", pk=student.pk)
    return render(request, "careers/form.html", {"form": form, "student": student, "title": _("進路の登録")})


@login_required
def career_edit(request, pk):
    university = access.require_staff_university(request.user)
    career = get_object_or_404(CareerOutcome.objects.filter(university=university).select_related("student"), pk=pk)
    form = CareerForm(request.POST or None, instance=career, initial={"version": career.version})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.career_update(
                career=career,
                acting_user=request.user,
                today=timezone.localdate(),
                expected_version=form.cleaned_data["version"],
                **data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("進路を更新しました。"))
            return redirect("students:detail", pk=career.student_id)
    return render(
        request,
        "careers/form.html",
        {"form": form, "student": career.student, "career": career, "title": _("進路の変更")},
    )


@login_required
@require_POST
def career_delete(request, pk):
    university = access.require_staff_university(request.user)
    career = get_object_or_404(CareerOutcome.objects.filter(university=university), pk=pk)
    try:
        services.career_delete(career=career, acting_user=request.user)
    except ValidationError as error:  # deleted by someone else meanwhile
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("進路を削除しました。"))
    return redirect("students:detail", pk=career.student_id)


@login_required
def career_upload(request):
    """Checked as a whole: any bad row and nothing is written; otherwise applied at once."""
    university = access.require_staff_university(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            plan = services.career_upload_check(
                university=university, content=upload.read(), filename=upload.name, today=timezone.localdate()
            )
        except UploadRejected as error:
            form.add_error("file", error.messages)
        else:
            result = plan.result
            # The apply validates every record again; one refused now comes back as a row error.
            if result.ok and services.career_upload_apply(plan=plan, acting_user=request.user).ok:
                messages.success(request, _("進路を反映しました。"))
    return render(request, "careers/upload.html", {"form": form, "result": result, "limits": upload_limits()})


@login_required
def career_template(request, fmt):
    access.require_staff_university(request.user)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    language = "en" if request.GET.get("lang") == "en" else "ja"
    header, rows = services.headers(language), services.template_rows()
    if fmt == "xlsx":
        return _download(table_xlsx(header, rows, "careers"), f"phdsupport-careers-{language}", fmt)
    return _download(table_csv(header, rows), f"phdsupport-careers-{language}", fmt)


@login_required
def jgrad_export(request, fmt):
    university = access.require_staff_university(request.user)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    try:
        fiscal_year = int(request.GET.get("fiscal_year", ""))
    except ValueError:
        fiscal_year = rules.fiscal_year(timezone.localdate()) - 1
    if not 2000 <= fiscal_year <= 2100:
        raise Http404
    rows = selectors.jgrad_rows(university=university, fiscal_year=fiscal_year)
    exported = selectors.jgrad_students(university=university, fiscal_year=fiscal_year).values_list("pk", flat=True)
    note_read(request, kind=ReadKind.EXPORT, students=[(pk, university.pk) for pk in exported])
    name = f"jgrad-{university.pk}-FY{fiscal_year}"
    with translation.override(settings.LANGUAGE_CODE):  # JGRAD's items and choices are Japanese
        if fmt == "xlsx":
            return _download(table_xlsx(selectors.JGRAD_COLUMNS, rows, "JGRAD"), name, fmt)
        return _download(table_csv(selectors.JGRAD_COLUMNS, rows), name, fmt)


def student_panel_context(request, student) -> dict:
    """The records after the degree on a student's page, and the survey points due (students.panels)."""
    return {
        "careers": student.careers.all(),
        "due": selectors.careers_due([student], timezone.localdate()),
    }
