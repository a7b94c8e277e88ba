from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

LOGIN_FAILURE_LIMIT = 5
LOGIN_LOCK_SECONDS = 15 * 60
LOGIN_LOCKED = _(
    "ログインの失敗が続いたため、15分間ログインできません。 / Too many failed sign-ins; try again in 15 minutes."
)


def home(request):
    """The introduction, and for a signed-in person what waits for them (students.todo)."""
    context: dict = {"feature_links": []}
    if request.user.is_authenticated:
        context.update(_work_of(request.user))
    return render(request, "home.html", context)


def _work_of(user) -> dict:
    from dashboards.access import can_view_national
    from students import todo
    from students.managers import is_administrator

    today = timezone.localdate()
    membership = getattr(user, "membership", None)
    role = "administrator" if is_administrator(user) else (membership.role if membership else "")
    links, work = [], {}
    if role == "university_staff" and membership.university_id:
        reports = todo.reports_to_act_on(university_id=membership.university_id, today=today)
        work["reports_to_act_on"] = reports
        work["todos"] = todo.staff_todos(university_id=membership.university_id, today=today, reports=reports)
        links.append(
            {"url": reverse("dashboards:university", args=[membership.university_id]), "label": _("本学の状況")}
        )
    if role in ("program_officer", "administrator"):
        program_ids = None if role == "administrator" else list(membership.programs.values_list("pk", flat=True))
        work["awaiting_count"], work["awaiting"] = todo.reports_awaiting_officer(program_ids=program_ids)
        work["overdue_reports"] = todo.overdue_reports(today=today, program_ids=program_ids)
        links.append({"url": reverse("students:report_deadlines"), "label": _("報告の提出期限")})
    if can_view_national(user):
        if "overdue_reports" not in work:
            work["overdue_reports"] = todo.overdue_reports(today=today, program_ids=None)
        links += [
            {"url": reverse("dashboards:national"), "label": _("全国の状況")},
            {"url": reverse("dashboards:reports"), "label": _("報告状況")},
            {"url": reverse("dashboards:outcomes"), "label": _("進路の状況")},
        ]
    return {"feature_links": links, "role": role, **work}


def _failure_keys(request) -> list[str]:
    username = (request.POST.get("username") or "").strip().lower()
    address = request.META.get("REMOTE_ADDR", "")
    return [f"login-fail:user:{username}", f"login-fail:ip:{address}"]


class ThrottledLoginView(auth_views.LoginView):
    """Django's login, refused for 15 minutes after five failures for one username or address."""

    template_name = "registration/login.html"

    def post(self, request, *args, **kwargs):
        if any((cache.get(key) or 0) >= LOGIN_FAILURE_LIMIT for key in _failure_keys(request)):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, LOGIN_LOCKED)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        for key in _failure_keys(self.request):
            cache.add(key, 0, LOGIN_LOCK_SECONDS)
            cache.incr(key)
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete_many(_failure_keys(self.request))
        return super().form_valid(form)
