import logging
import uuid

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

# Matches AXES_FAILURE_LIMIT and AXES_COOLOFF_TIME in settings.
SIGN_IN_LOCKED = _("ログインの失敗が続いたため、このユーザー名ではこの端末から15分間ログインできません。")


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


def client_address(request) -> str:
    """The client's address for django-axes: the peer, or behind TRUSTED_PROXY_COUNT proxies the
    entry they appended to X-Forwarded-For.

    Each trusted proxy appends the address it received the request from, so the client is the
    n-th entry from the right; entries further left came from the client and prove nothing.
    (django-ipware's strict mode answers None when the header has fewer entries than proxies.)
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [item.strip() for item in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if item.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def sign_in_locked(request, original_response=None, credentials=None):
    """django-axes' lockout answer: the sign-in page again, saying why, with 429."""
    form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")})
    context = {"form": form, "locked_message": SIGN_IN_LOCKED, "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


@never_cache
def healthz(request):
    """For the container HEALTHCHECK and load balancers: 200 when the database and the cache
    answer, 503 otherwise. No sign-in, no details beyond which part failed. Served by
    HealthCheckMiddleware, ahead of the host check and the HTTPS redirect."""
    checks = {"database": _database_answers(), "cache": _cache_answers()}
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **{k: "ok" if v else "error" for k, v in checks.items()}},
        status=200 if healthy else 503,
    )


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: the database does not answer")
        return False


def _cache_answers() -> bool:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", 10)
        answered = cache.get(key) == "1"
        cache.delete(key)
        return answered
    except Exception:
        logger.exception("healthz: the cache does not answer")
        return False
