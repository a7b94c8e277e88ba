import csv
from collections import Counter
from contextlib import contextmanager
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from careers import selectors as careers
from careers.models import CareerOutcome
from dashboards import selectors as dashboard_selectors
from dashboards import services, todo
from dashboards.forms import DashboardFilterForm, PublishForm
from dashboards.models import Publication
from dashboards.publications import publication_diff
from dashboards.quality import FIX_PAGES, fix_list, national_ranking, standing
from dashboards.selectors import Scope, program_infos
from dashboards.tables import Table, dashboard_tables, program_name
from enrolment import rules as enrolment_rules
from enrolment import tables as enrolment_tables
from enrolment.selectors import national_universities
from phdsupport import access, release
from phdsupport.access import can_publish, can_view_national
from phdsupport.exports import neutralise
from programs import rules
from programs.labels import fiscal_year_label
from programs.models import Program
from reports.selectors import report_statuses
from students.facts import facts_version
from students.models import Field, University


def _current_fy() -> int:
    return rules.fiscal_year(timezone.localdate())


def _scope(request, university_id=None) -> tuple[Scope, DashboardFilterForm]:
    form = DashboardFilterForm(request.GET or None)
    fiscal_year, floor = _current_fy(), None
    if form.is_bound and form.is_valid():
        fiscal_year = form.cleaned_data["fiscal_year"] or fiscal_year
        floor = form.cleaned_data["floor"]
    return Scope(fiscal_year=fiscal_year, floor=floor, university_id=university_id), form


def _csv(table: Table, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{table.key}.csv"'
    response.write("\ufeff")  # Excel in Japan opens UTF-8 with a BOM correctly
    writer = csv.writer(response)
    writer.writerow([neutralise(h) for h in table.headers])
    writer.writerows([[neutralise(cell) for cell in row] for row in table.rows])
    return response


def _tables(scope: Scope, version: str) -> dict[str, Table]:
    """The figures of a scope, computed once per version (release and facts) and language."""
    key = (
        f"dashboard:{version}:{get_language()}:{_current_fy()}:{scope.fiscal_year}:{scope.floor}:{scope.university_id}"
    )
    tables = cache.get(key)
    if tables is None:
        with _one_snapshot():
            tables = dashboard_tables(scope, current_fy=_current_fy())
        cache.set(key, tables, timeout=24 * 3600)
    return tables


@contextmanager
def _one_snapshot():
    """Every query of a page's figures reads one committed state of the facts, so a write landing
    halfway cannot put its new figure in one table and not in the next (PostgreSQL: REPEATABLE READ
    for this read-only transaction; SQLite's read transaction is one snapshot already)."""
    if connection.in_atomic_block:  # already inside a transaction (tests, a caller's): it decides
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _render(request, scope, form, template, extra):
    # One version for the whole page: the tables and the template's cached fragments are keyed
    # by the same token, read once, so no figure can come from an older version than another;
    # it names the release too, so a deploy never shows what the one before computed.
    version = f"{release.code_version()}-{facts_version()}"
    tables = _tables(scope, version)
    if request.GET.get("format") == "csv":
        table = tables.get(request.GET.get("table", ""))
        if table is None:
            raise Http404
        return _csv(table, f"phdsupport-fy{scope.fiscal_year}")
    # Links keep the scope, built from the validated values so cached fragments stay correct.
    query = urlencode({"fiscal_year": scope.fiscal_year, **({"floor": scope.floor} if scope.floor is not None else {})})
    return render(
        request,
        template,
        {
            "scope": scope,
            "form": form,
            "tables": tables,
            "query": query,
            "fy_label": fiscal_year_label(scope.fiscal_year),
            "figures_version": version,
            "current_fy": _current_fy(),
            **extra,
        },
        # A refused what-if floor (X < ¥1) shows the form's message, never figures for another floor.
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
def national(request):
    if not can_view_national(request.user):
        own = access.staff_university_id(request.user)
        if own is not None:
            return redirect("dashboards:university", pk=own)
        raise PermissionDenied
    scope, form = _scope(request)
    return _render(request, scope, form, "dashboards/national.html", {"can_publish": can_publish(request.user)})


@login_required
def university(request, pk):
    if access.staff_university_id(request.user) == pk:
        # Their own: read with the signed-in person (accounts.backends), no query of its own.
        university = access.require_staff_university(request.user)
    else:
        university = get_object_or_404(University.objects.for_user(request.user), pk=pk)
    scope, form = _scope(request, university_id=university.pk)
    return _render(request, scope, form, "dashboards/university.html", {"university": university})


@login_required
@require_http_methods(["GET", "POST"])
def publications(request):
    if not can_view_national(request.user):
        raise PermissionDenied
    form = PublishForm(request.POST or None, initial={"fiscal_year": _current_fy()})
    if request.method == "POST":
        if not can_publish(request.user):
            raise PermissionDenied
        if form.is_valid():
            publication = services.publication_create(
                fiscal_year=form.cleaned_data["fiscal_year"],
                note=form.cleaned_data["note"],
                current_fy=_current_fy(),
                acting_user=request.user,
            )
            messages.success(request, _("公表値を保存しました。"))
            return redirect("dashboards:publication", pk=publication.pk)
    return render(
        request,
        "dashboards/publications.html",
        {
            "form": form,
            "publications": Publication.objects.select_related("published_by"),
            "can_publish": can_publish(request.user),
        },
    )


@login_required
def publication(request, pk):
    if not can_view_national(request.user):
        raise PermissionDenied
    publication = get_object_or_404(Publication, pk=pk)
    current = dashboard_tables(Scope(fiscal_year=publication.fiscal_year), current_fy=_current_fy())
    return render(
        request,
        "dashboards/publication.html",
        {
            "publication": publication,
            "changes": publication_diff(publication.figures, current),
            "fy_label": fiscal_year_label(publication.fiscal_year),
        },
    )


REPORT_STATES_PAGE_SIZE = 100


def _state_counts(statuses) -> list[tuple[str, int]]:
    """How many statuses of each state, by label: each kind's label translated once, not once
    per row (thousands nationally)."""
    kinds = Counter((s.state, s.returned) for s in statuses)
    labels: Counter = Counter()
    for status in {(s.state, s.returned): s for s in statuses}.values():
        labels[status.state_label] += kinds[status.state, status.returned]
    return sorted(labels.items())


@login_required
def report_states(request):
    """Every university's report state per program for a fiscal year, late first, and the
    timeliness and data-quality ranking (university names, never students)."""
    if not can_view_national(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    fiscal_year = _int_param(request.GET.get("fiscal_year"), _current_fy() - 1, 2019, 2040)
    statuses = report_statuses(fiscal_year=fiscal_year, today=today)
    # Every university and program that must report is a row: at national scale thousands, so
    # the list is paginated (late first); the counts above it cover them all.
    page = Paginator(statuses, REPORT_STATES_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboards/reports.html",
        {
            "statuses": page,
            "query": query.urlencode(),
            "must_report": len(statuses),
            "overdue": sum(s.overdue for s in statuses),
            "state_counts": _state_counts(statuses),
            "ranking": [r for r in national_ranking(today=today) if r.total][:100],
            "fiscal_year": fiscal_year,
            "fy_label": fiscal_year_label(fiscal_year),
            "years": range(_current_fy(), 2020, -1),
        },
    )


def _int_param(raw, default: int | None, low: int, high: int) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


def _employment(request, national_view: bool, university) -> tuple[int, dict]:
    """The employment indicator of the doctoral completers (national universities, three fiscal
    years, default the last three finished): every university for the ministry, with the chosen
    university's fields; a university's own staff see their own row and fields only."""
    latest = _current_fy() - enrolment_rules.WINDOW_YEARS
    window = _int_param(request.GET.get("window"), latest, 2000, 2100)
    results = dashboard_selectors.employment_indicator(first_year=window)
    names = national_universities()
    shown = (
        results
        if national_view and university is None
        else [r for r in results if university and r.university == university.pk]
    )
    tables = {"employment": enrolment_tables.employment_table(shown, names, window)}
    if university is not None and shown:
        tables["employment_fields"] = enrolment_tables.employment_fields_table(shown[0])
    return window, tables


@login_required
def outcomes(request):
    """Careers after the degree: employment rate, destinations and sectors at each survey point,
    by program (all tracked students too), or by university or field for national viewers."""
    national_view = can_view_national(request.user)
    if not national_view:
        university = access.require_staff_university(request.user)
    by = request.GET.get("by", "program")
    if by not in ("program", "university", "field") or (by == "university" and not national_view):
        by = "program"
    rows = CareerOutcome.objects.for_aggregates(request.user)
    if national_view:
        university = None
    if national_view and request.GET.get("university"):
        university = get_object_or_404(University, pk=_int_param(request.GET.get("university"), 0, 1, 10**9))
    if university is not None:
        rows = rows.filter(university=university)
    field = request.GET.get("field", "")
    if field in Field.values:
        rows = rows.filter(student__field=field)
    cohort = _int_param(request.GET.get("cohort"), None, 2000, 2100)
    if cohort:
        start, end = rules.fiscal_year_bounds(cohort)
        rows = rows.filter(student__completion_date__range=(start, end))
    table = careers.outcome_table(careers.outcome_records(rows, by=by))
    field_labels = dict(Field.choices)
    if by == "program":
        # Programs by name in the page's language, as on the dashboards (codes are for files).
        field_labels = {p.code: program_name(p) for p in program_infos()}
    points = []
    for point, label in CareerOutcome.SurveyPoint.choices:
        groups = table[point]
        ordered = [groups[careers.ALL]] if careers.ALL in groups else []
        ordered += [groups[g] for g in sorted(groups) if g != careers.ALL]
        for row in ordered:
            row.label = (
                _("追跡している全修了者") if row.group == careers.ALL else field_labels.get(row.group, row.group)
            )
        points.append((label, ordered))
    window, employment = _employment(request, national_view, university)
    if request.GET.get("format"):
        return enrolment_tables.download_requested(request, employment, "phdsupport-employment")
    return render(
        request,
        "dashboards/outcomes.html",
        {
            "employment": employment,
            "window": window,
            "employment_query": urlencode(
                {"window": window, **({"university": university.pk} if national_view and university else {})}
            ),
            "windows": range(_current_fy() - enrolment_rules.WINDOW_YEARS, 2017, -1),
            "points": points,
            "by": by,
            "references": careers.REFERENCES,
            "destinations": CareerOutcome.Destination.choices,
            "sectors": CareerOutcome.Sector.choices,
            "national_view": national_view,
            "university": university,
            "universities": University.objects.filter(is_synthetic=False).order_by("name_ja") if national_view else [],
            "fields": Field.choices,
            "field": field,
            "cohort": cohort,
            "years": range(_current_fy(), 2020, -1),
        },
    )


def home(request):
    """The introduction, and for a signed-in person what waits for them (dashboards.todo)."""
    context: dict = {"feature_links": []}
    if request.user.is_authenticated:
        context.update(todo.work_of(request.user, today=timezone.localdate()))
    return render(request, "home.html", context)


@login_required
def quality(request):
    university = access.require_staff_university(request.user)
    today = timezone.localdate()
    fixes = fix_list(university=university, today=today, pages=request.GET)
    # Each list's pager keeps the other lists' pages (and any other parameter) in its links.
    queries = {}
    for kind, param in FIX_PAGES.items():
        query = request.GET.copy()
        query.pop(param, None)
        queries[kind] = query.urlencode()
    return render(
        request,
        "dashboards/quality.html",
        {
            "university": university,
            "standing": standing(university_id=university.pk, today=today),
            "queries": queries,
            **fixes,
        },
    )


@login_required
def money(request):
    """Paid against due and budget (national roles: the nation; university staff: their own)."""
    from dashboards.money import money_page

    own = access.staff_university_id(request.user)
    if own is None and not can_view_national(request.user):
        raise PermissionDenied
    fiscal_year = _int_param(request.GET.get("fiscal_year"), _current_fy(), 2019, _current_fy() + 1)
    page = money_page(fiscal_year, university_id=own)
    # Persons paid twice: counted for everyone; named only to a university's own staff, and to the
    # officers of the programs that paid (the ministry sees aggregates only).
    if own is not None or access.is_administrator(request.user):
        shown = page.paid_twice
    else:
        codes = set(
            Program.objects.filter(pk__in=access.officer_program_ids(request.user)).values_list("code", flat=True)
        )
        shown = [d for d in page.paid_twice if codes & {code for _s, _n, code, _a in d.entries}]
    if request.GET.get("format") == "csv":
        table = page.tables.get(request.GET.get("table", ""))
        if table is None:
            raise Http404
        return _csv(table, f"phdsupport-money-fy{fiscal_year}")
    return render(
        request,
        "dashboards/money.html",
        {
            "page": page,
            # Programs by name in the page's language, not by code (JSPS_DC1).
            "paid_twice": [
                (d.month, number, page.program_names.get(code, code), amount)
                for d in shown
                for _student_id, number, code, amount in d.entries
            ],
            "fiscal_year": fiscal_year,
            "query": f"fiscal_year={fiscal_year}",
            "fy_label": fiscal_year_label(fiscal_year),  # 令和7年度 on Japanese pages
            "years": range(_current_fy() + 1, 2020, -1),
            "university": University.objects.filter(pk=own).first() if own else None,
        },
    )
