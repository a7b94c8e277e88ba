import logging
import uuid

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

# Matches AXES_FAILURE_LIMIT and AXES_COOLOFF_TIME in settings.
SIGN_IN_LOCKED = _("ログインの失敗が続いたため、このユーザー名ではこの端末から15分間ログインできません。")


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
