import contextlib
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from phdsupport import access
from phdsupport.personal_data import ReadKind, note_read
from programs.models import Program
from programs.selectors import floor_in_force
from students import imports, panels, services, uploads
from students.api.keys import api_key_create, api_key_revoke
from students.filters import StudentFilterSet
from students.forms import ApiKeyForm, AwardEventForm, AwardForm, StudentForm, UploadForm, add_service_errors
from students.models import ApiKey, Award, AwardEvent, Student, UploadJob
from students.selectors import student_history, student_timeline

PAGE_SIZE = 50


def label_rows(students) -> None:
    """Each row's field and status in the page's language, the labels translated once per page.

    get_FOO_display() hashes every (lazy) label of the field's choices, translating each, for every
    row: 16 translations a row (870 on a page of 50 rows instead of 86). Here each label is translated once and the rows look theirs up.
    """
    fields = {value: str(label) for value, label in Student._meta.get_field("field").flatchoices}
    statuses = {value: str(label) for value, label in Student.Status.choices}
    for student in students:
        student.field_label = fields.get(student.field, student.field)
        student.status_label = statuses.get(student.status, student.status)


@login_required
def student_list(request):
    access.require_rows(request.user)
    students = Student.objects.for_user(request.user).select_related("university")
    filterset = StudentFilterSet(request.GET or None, queryset=students.order_by("student_number"))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    label_rows(page)
    note_read(request, kind=ReadKind.LIST, students=[(s.pk, s.university_id) for s in page])
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "students/list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "can_write": access.can_write_rows(request.user),
        },
    )


@login_required
def student_detail(request, pk):
    access.require_rows(request.user)
    student = get_object_or_404(Student.objects.for_user(request.user).select_related("university"), pk=pk)
    note_read(request, kind=ReadKind.PAGE, students=[(student.pk, student.university_id)])
    return render(
        request,
        "students/detail.html",
        {
            "student": student,
            "timeline": student_timeline(student),
            "history": student_history(student),
            "panels": panels.panels_for(request, student),
            "can_write": access.can_write_rows(request.user),
        },
    )


@login_required
def student_create(request):
    university = access.require_staff_university(request.user)
    form = StudentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            student = services.student_create(university=university, acting_user=request.user, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("学生を登録しました。"))
            return redirect("students:detail", pk=student.pk)
    return render(request, "students/form.html", {"form": form, "title": _("学生の登録")})


@login_required
def student_edit(request, pk):
    student = get_object_or_404(Student.objects.for_user(request.user), pk=pk)
    access.require_staff_university(request.user)
    form = StudentForm(request.POST or None, instance=student, initial={"version": student.version})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.student_update(
                student=student, expected_version=form.cleaned_data["version"], acting_user=request.user, **data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("学生の情報を更新しました。"))
            return redirect("students:detail", pk=student.pk)
    return render(request, "students/form.html", {"form": form, "title": _("学生の情報の変更"), "student": student})


@login_required
def award_create(request, pk):
    student = get_object_or_404(Student.objects.for_user(request.user), pk=pk)
    access.require_staff_university(request.user)
    form = AwardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            award = services.award_create(student=student, acting_user=request.user, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("支援を登録しました。"))
            return redirect("students:award", pk=award.pk)
    return render(
        request,
        "students/award_form.html",
        {"form": form, "student": student, "title": _("支援の登録"), "floor": floor_in_force(day=timezone.localdate())},
    )


@login_required
def award_detail(request, pk):
    access.require_rows(request.user)
    award = get_object_or_404(
        Award.objects.for_user(request.user).select_related("student__university", "program"), pk=pk
    )
    note_read(request, kind=ReadKind.PAGE, students=[(award.student_id, award.student.university_id)])
    return render(
        request,
        "students/award_detail.html",
        {
            "award": award,
            "timeline": next(t for t in student_timeline(award.student) if t.award.pk == award.pk),
            "event_form": AwardEventForm(),
            "can_write": access.can_write_rows(request.user),
        },
    )


@login_required
def award_edit(request, pk):
    award = get_object_or_404(Award.objects.for_user(request.user).select_related("student", "program"), pk=pk)
    access.require_staff_university(request.user)
    initial = {
        "program": award.program.code,
        "start_date": award.start_date,
        "end_date": award.end_date,
        "annual_living_cost": award.annual_living_cost,
        "annual_research_cost": award.annual_research_cost,
        "is_reserved": award.is_reserved,
        "version": award.version,
    }
    form = AwardForm(request.POST or None, initial=initial, updating=True)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        if data["annual_living_cost"] is None:
            data.pop("annual_living_cost")
        if data["annual_research_cost"] is None:
            data.pop("annual_research_cost")
        try:
            services.award_update(
                award=award, expected_version=form.cleaned_data["version"], acting_user=request.user, **data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("支援を更新しました。"))
            return redirect("students:award", pk=award.pk)
    return render(
        request,
        "students/award_form.html",
        {
            "form": form,
            "student": award.student,
            "award": award,
            "title": _("支援の変更"),
            "floor": floor_in_force(day=timezone.localdate()),
        },
    )


@login_required
@require_POST
def award_event_create(request, pk):
    award = get_object_or_404(
        Award.objects.for_user(request.user).select_related("student__university", "program"), pk=pk
    )
    access.require_staff_university(request.user)
    form = AwardEventForm(request.POST)
    if form.is_valid():
        try:
            services.award_event_create(award=award, acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("異動を記録しました。"))
            return redirect("students:award", pk=award.pk)
    return render(
        request,
        "students/award_detail.html",
        {
            "award": award,
            "timeline": next(t for t in student_timeline(award.student) if t.award.pk == award.pk),
            "event_form": form,
            "can_write": True,
        },
        status=400,
    )


@login_required
@require_POST
def award_event_withdraw(request, pk):
    """Withdraw a change recorded in error (what depends on it, such as a recovery claim, follows)."""
    university = access.require_staff_university(request.user)
    event = get_object_or_404(AwardEvent.objects.filter(award__university=university), pk=pk)
    try:
        services.award_event_withdraw(event=event, acting_user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("異動を取り消しました。"))
    return redirect("students:award", pk=event.award_id)


@login_required
def program_defaults(request, code):
    """The program rule's amounts on a start date, for the award form to pre-fill."""
    program = get_object_or_404(Program, code=code)
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = timezone.localdate()
    amounts = services.award_defaults(program=program, start_date=start)
    return JsonResponse(
        {
            # Before the program's first rule version there is no amount: the form stays empty.
            "annual_living_cost": None,
            "annual_research_cost": None,
            **amounts,
            "floor": floor_in_force(day=start),
            "term_years": program.term_years,
            "is_postdoctoral": program.is_postdoctoral,
        }
    )


# --- Uploads and downloads ----------------------------------------------------------------


@login_required
def upload_new(request):
    university = access.require_staff_university(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = uploads.upload_create(
                university=university, filename=upload.name, content=upload.read(), acting_user=request.user
            )
        except imports.UploadRejected as error:
            form.add_error("file", error.messages)
        else:
            return redirect("students:upload", pk=job.pk)
    return render(
        request,
        "students/upload.html",
        {
            "form": form,
            "jobs": UploadJob.objects.for_user(request.user)
            .filter(kind__in=uploads.workspace_kinds())
            .defer("content")[:10],
            "limits": imports.upload_limits(),
            "columns": imports.column_guide([(p.code, p.name) for p in Program.objects.all()]),
        },
    )


@login_required
def upload_detail(request, pk):
    # A job whose worker died shows as failed, with a retry, even without beat running. (SQLite:
    # another upload's apply may hold the write lock; then the next view sweeps.)
    with contextlib.suppress(OperationalError):
        uploads.upload_sweep()
    job = get_object_or_404(
        UploadJob.objects.for_user(request.user).filter(kind__in=uploads.workspace_kinds()).defer("content"), pk=pk
    )
    template = "students/_upload_status.html" if request.headers.get("HX-Request") else "students/upload_detail.html"
    return render(request, template, {"job": job, "result": job.result})


@login_required
@require_POST
def upload_apply(request, pk):
    job = get_object_or_404(
        UploadJob.objects.for_user(request.user).filter(kind__in=uploads.workspace_kinds()).defer("content"), pk=pk
    )
    access.require_staff_university(request.user)
    try:
        uploads.upload_apply_start(job=job, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("students:upload", pk=job.pk)


@login_required
@require_POST
def upload_retry(request, pk):
    job = get_object_or_404(
        UploadJob.objects.for_user(request.user).filter(kind__in=uploads.workspace_kinds()).defer("content"), pk=pk
    )
    access.require_staff_university(request.user)
    try:
        uploads.upload_retry(job=job, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("students:upload", pk=job.pk)


def _download(content: bytes, filename: str, xlsx: bool) -> HttpResponse:
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if xlsx else "text/csv; charset=utf-8"
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def upload_template(request, fmt):
    language = "en" if request.GET.get("lang") == "en" or get_language() == "en" else "ja"
    rows = imports.template_example(language)
    if fmt == "xlsx":
        return _download(imports.write_xlsx(rows, language), f"phdsupport-template-{language}.xlsx", True)
    return _download(imports.write_csv(rows, language), f"phdsupport-template-{language}.csv", False)


@login_required
def export(request, fmt):
    """The university's own data, for its own staff only, in the upload format."""
    university = access.require_staff_university(request.user)
    language = "en" if request.GET.get("lang") == "en" else "ja"
    rows = imports.export_rows(university)
    student_ids = Student.objects.filter(university=university).values_list("pk", flat=True)
    note_read(request, kind=ReadKind.EXPORT, students=[(pk, university.pk) for pk in student_ids])
    if fmt == "xlsx":
        return _download(imports.write_xlsx(rows, language), f"phdsupport-{university.pk}.xlsx", True)
    return _download(imports.write_csv(rows, language), f"phdsupport-{university.pk}.csv", False)


# --- API keys -----------------------------------------------------------------------------


@login_required
def api_keys(request):
    """University staff issue and revoke their university's keys; a new key is shown once."""
    university = access.require_staff_university(request.user)
    form = ApiKeyForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        _key, secret = api_key_create(
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            university=university,
            acting_user=request.user,
        )
        form = ApiKeyForm()
    keys = ApiKey.objects.filter(university=university).select_related("created_by")
    return render(request, "students/api_keys.html", {"form": form, "keys": keys, "secret": secret})


@login_required
@require_POST
def api_key_revoke_view(request, pk):
    university = access.require_staff_university(request.user)
    key = get_object_or_404(ApiKey.objects.filter(university=university), pk=pk)
    api_key_revoke(key=key, acting_user=request.user)
    messages.success(request, _("APIキーを失効させました。"))
    return redirect("students:api_keys")
