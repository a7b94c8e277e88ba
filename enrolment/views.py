"""Pages for reported enrolment statistics: a university's own rows (form, upload), the national
coverage and doctoral-degree indicator, each university's drill-down with a what-if."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrolment import rules, selectors, services, tables
from enrolment.forms import LockForm, StatisticForm, UploadForm, WhatIfForm, add_service_errors
from enrolment.models import EnrolmentStatistic, IndicatorSnapshot
from phdsupport import access
from programs.rules import fiscal_year
from students import uploads
from students.imports import UploadRejected
from students.models import Founder, University, UploadJob


def _int_param(request, name: str, default: int | None) -> int | None:
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        return default
    return value if 2000 <= value <= 2100 else default


# --- A university's own rows --------------------------------------------------------------------


@login_required
def mine(request):
    university = access.require_staff_university(request.user)
    form = StatisticForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.statistic_create(university=university, acting_user=request.user, **form.values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("統計を登録しました。"))
            return redirect("enrolment:mine")
    rows = list(EnrolmentStatistic.objects.for_user(request.user).order_by("-fiscal_year", "field"))
    year = _int_param(request, "fiscal_year", rows[0].fiscal_year if rows else fiscal_year(timezone.localdate()))
    own = tables.own_figures_table(rows, selectors.own_figures(university_id=university.pk, fiscal_year=year), year)
    download = tables.download_requested(request, {own.key: own}, f"phdsupport-enrolment-{university.pk}-fy{year}")
    if download is not None:
        return download
    return render(
        request,
        "enrolment/mine.html",
        {
            "university": university,
            "rows": rows,
            "form": form,
            "upload_form": UploadForm(),
            "locked": services.locked_years(university.pk),
            "own": own,
            "year": year,
            "query": f"fiscal_year={year}",
        },
    )


@login_required
def edit(request, pk):
    access.require_staff_university(request.user)
    statistic = get_object_or_404(EnrolmentStatistic.objects.for_user(request.user), pk=pk)
    initial = {name: getattr(statistic, name) for name in services.WRITABLE}
    form = StatisticForm(request.POST or None, initial={**initial, "version": statistic.version})
    form.fields["fiscal_year"].disabled = True
    form.fields["field"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.statistic_update(
                statistic=statistic,
                acting_user=request.user,
                expected_version=form.cleaned_data["version"],
                **form.values(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("統計を更新しました。"))
            return redirect("enrolment:mine")
    return render(request, "enrolment/edit.html", {"form": form, "statistic": statistic})


def _upload_jobs(request):
    return UploadJob.objects.for_user(request.user).filter(kind=services.UPLOAD_KIND).defer("content")


@login_required
def upload(request):
    """The file is stored and checked (on the worker when a broker is configured, with progress);
    any bad row and nothing is written; otherwise the staff apply it from the job's page."""
    university = access.require_staff_university(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            job = uploads.upload_create(
                university=university,
                filename=file.name,
                content=file.read(),
                acting_user=request.user,
                kind=services.UPLOAD_KIND,
            )
        except UploadRejected as error:
            form.add_error("file", error.messages)
        else:
            return redirect("enrolment:upload_job", pk=job.pk)
    return render(request, "enrolment/upload.html", {"form": form, "jobs": _upload_jobs(request)[:10]})


@login_required
def upload_job(request, pk):
    access.require_staff_university(request.user)
    # A job whose worker died shows as failed with a retry, even without beat (as students' uploads).
    with contextlib.suppress(OperationalError):
        uploads.upload_sweep()
    job = get_object_or_404(_upload_jobs(request), pk=pk)
    template = "enrolment/_upload_status.html" if request.headers.get("HX-Request") else "enrolment/upload_job.html"
    return render(request, template, {"job": job, "result": job.result})


@login_required
@require_POST
def upload_apply(request, pk):
    access.require_staff_university(request.user)
    job = get_object_or_404(_upload_jobs(request), pk=pk)
    try:
        uploads.upload_apply_start(job=job, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("enrolment:upload_job", pk=job.pk)


@login_required
@require_POST
def upload_retry(request, pk):
    access.require_staff_university(request.user)
    job = get_object_or_404(_upload_jobs(request), pk=pk)
    try:
        uploads.upload_retry(job=job, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("enrolment:upload_job", pk=job.pk)


@login_required
def template(request, fmt):
    access.require_staff_university(request.user)
    language = "en" if request.GET.get("lang") == "en" else "ja"
    table = tables.Table("template", "", services.headers(language), services.template_rows())
    return tables.download(table, f"phdsupport-enrolment-{language}", fmt)


@login_required
def export(request, fmt):
    university = access.require_staff_university(request.user)
    table = tables.Table("statistics", "", services.headers(), services.export_rows(university))
    return tables.download(table, f"phdsupport-enrolment-{university.pk}", fmt)


# --- National -------------------------------------------------------------------------------------


def _window(request) -> int | None:
    return _int_param(request, "first_year", selectors.default_first_year())


@login_required
def national(request):
    access.require_national(request.user)
    year = _int_param(request, "fiscal_year", selectors.latest_reported_year() or fiscal_year(timezone.localdate()))
    first_year = _window(request)
    all_tables = tables.coverage_tables(fiscal_year=year)
    if first_year is not None:
        names = selectors.national_universities()
        all_tables["indicator"] = tables.indicator_table(selectors.indicator(first_year=first_year), names, first_year)
        all_tables["bands"] = tables.bands_table()
    download = tables.download_requested(request, all_tables, f"phdsupport-enrolment-fy{year}")
    if download is not None:
        return download
    return render(
        request,
        "enrolment/national.html",
        {
            "tables": all_tables,
            "year": year,
            "first_year": first_year,
            "query": f"fiscal_year={year}" + (f"&first_year={first_year}" if first_year else ""),
            "can_publish": access.can_publish(request.user),
            "snapshots": IndicatorSnapshot.objects.all()[:20],
            "designated_note": rules.DESIGNATED_STEPS_ARE_OURS,
        },
    )


@login_required
def university(request, pk):
    """One university's coverage by field and its indicator, field by field, with a what-if:
    the national roles see any university, its own staff only their own (others: 404)."""
    university = get_object_or_404(University.objects.for_user(request.user), pk=pk)
    if not (access.can_view_national(request.user) or access.staff_university_id(request.user) == university.pk):
        raise Http404
    year = _int_param(request, "fiscal_year", selectors.latest_reported_year() or fiscal_year(timezone.localdate()))
    first_year = _window(request)
    all_tables: dict[str, tables.Table] = {}
    all_tables["coverage_fields"] = tables.university_coverage_table(fiscal_year=year, university_id=university.pk)
    result = what_if = None
    what_if_form = WhatIfForm(request.GET if "extra" in request.GET else None)
    if university.founder == Founder.NATIONAL and first_year is not None:
        results = {r.university: r for r in selectors.indicator(first_year=first_year)}
        result = results.get(university.pk)
        if result is not None:
            all_tables["indicator_fields"] = tables.indicator_fields_table(result)
            # the what-if offers the university's own fields, its first one chosen
            own_fields = {f.field for f in result.fields}
            what_if_form.fields["field"].choices = [
                c for c in what_if_form.fields["field"].choices if c[0] in own_fields
            ]
            what_if_form.initial["field"] = result.fields[0].field if result.fields else None
        if result is not None and what_if_form.is_bound and what_if_form.is_valid():
            changed = selectors.indicator_what_if(
                first_year=first_year,
                university_id=university.pk,
                field=what_if_form.cleaned_data["field"],
                extra_completions=what_if_form.cleaned_data["extra"],
            )
            what_if = next((r for r in changed if r.university == university.pk), None)
    reported = list(EnrolmentStatistic.objects.filter(university=university))
    all_tables["own_figures"] = tables.own_figures_table(
        reported, selectors.own_figures(university_id=university.pk, fiscal_year=year), year
    )
    download = tables.download_requested(request, all_tables, f"phdsupport-enrolment-{university.pk}-fy{year}")
    if download is not None:
        return download
    return render(
        request,
        "enrolment/university.html",
        {
            "university": university,
            "tables": all_tables,
            "year": year,
            "first_year": first_year,
            "query": f"fiscal_year={year}" + (f"&first_year={first_year}" if first_year else ""),
            "result": result,
            "what_if": what_if,
            "what_if_form": what_if_form,
            "designated_note": rules.DESIGNATED_STEPS_ARE_OURS,
            "can_lock": access.can_publish(request.user),
            "lock_form": LockForm(initial={"fiscal_year": year}),
            "locked_by_officer": sorted(services.locked_by_officer(university.pk)),
            "locked_by_report": sorted(services.locked_by_report(university.pk)),
        },
    )


@login_required
@require_POST
def lock(request, pk):
    """Program officers and administrators make a university's year final, or reopen it."""
    university = get_object_or_404(University.objects.for_user(request.user), pk=pk)
    if not access.can_publish(request.user):
        raise PermissionDenied
    form = LockForm(request.POST)
    if not form.is_valid():
        raise Http404
    year = form.cleaned_data["fiscal_year"]
    if form.cleaned_data["action"] == "lock":
        services.enrolment_year_lock(university=university, fiscal_year=year, acting_user=request.user)
        messages.success(request, _("統計を確定しました。"))
    else:
        services.enrolment_year_unlock(university=university, fiscal_year=year, acting_user=request.user)
        messages.success(request, _("統計の確定を解除しました。"))
    return redirect("enrolment:university", pk=university.pk)


# --- Published snapshots ----------------------------------------------------------------------------


@login_required
@require_POST
def publish(request):
    if not access.can_publish(request.user):
        raise PermissionDenied
    first_year = _int_from(request.POST.get("first_year")) or selectors.default_first_year()
    if first_year is None:
        raise Http404
    snapshot = services.indicator_publish(
        first_year=first_year, published_on=timezone.localdate(), acting_user=request.user
    )
    messages.success(request, _("博士号授与の状況を公表版として保存しました。"))
    return redirect("enrolment:snapshot", pk=snapshot.pk)


def _int_from(raw: str | None) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if 2000 <= value <= 2100 else None


@login_required
def snapshot(request, pk):
    access.require_national(request.user)
    snapshot = get_object_or_404(IndicatorSnapshot, pk=pk)
    table = tables.snapshot_table(snapshot)
    download = tables.download_requested(request, {table.key: table}, f"phdsupport-indicator-{snapshot.published_on}")
    if download is not None:
        return download
    return render(request, "enrolment/snapshot.html", {"snapshot": snapshot, "table": table})
