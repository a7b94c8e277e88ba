"""Pages of the accounts app: who looked at whom (the access log of personal data)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from accounts import selectors
from accounts.forms import ReadSearchForm
from phdsupport import access
from students.models import Student

PAGE_SIZE = 100


def _render_reads(request, form, student=None):
    university_id = access.require_read_log(request.user)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.personal_data_read_list(
        university_id=university_id,
        reader=data.get("reader") or "",
        student_id=student.pk if student is not None else data.get("student"),
        since=data.get("since"),
        until=data.get("until"),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/reads.html",
        {"form": form, "page": page, "student": student, "query": query.urlencode(), "scoped": university_id},
    )


@login_required
def reads(request):
    """Administrators search every read; a university's lead staff their own university's."""
    access.require_read_log(request.user)
    form = ReadSearchForm(request.GET)
    student = None
    if form.is_valid() and form.cleaned_data.get("student"):
        student = get_object_or_404(Student.objects.for_user(request.user), pk=form.cleaned_data["student"])
    return _render_reads(request, form, student)


@login_required
def student_reads(request, pk):
    """Who looked at this student, and when. Another university's student answers 404."""
    student = get_object_or_404(Student.objects.for_user(request.user).select_related("university"), pk=pk)
    return _render_reads(request, ReadSearchForm(request.GET), student)


def student_panel_context(request, student) -> dict:
    """The latest reads on the student's page, for those who may search the log (students.panels)."""
    allowed, university_id = access.read_log_scope(request.user)
    if not allowed:
        return {"allowed": False}
    return {
        "allowed": True,
        "reads": selectors.student_read_summary(university_id=university_id, student_id=student.pk),
    }
