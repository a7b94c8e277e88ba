import time
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext

from accounts import second_factor
from accounts.services import SEEN_SESSION_KEY, SIGNED_IN_SESSION_KEY, personal_data_reads_record
from phdsupport import access
from phdsupport.api.errors import PROBLEM_JSON
from phdsupport.personal_data import noted_reads


class PersonalDataReadMiddleware:
    """Records the reads of personal data a view declared (phdsupport.personal_data.note_read).

    Only answers that deliver the data (status below 400) are recorded; a refusal showed nothing.
    The write happens before the response leaves, so a failing log fails the request too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        notes = noted_reads(request)
        if notes and response.status_code < 400:
            personal_data_reads_record(request=request, notes=notes)
        return response


NO_SECOND_FACTOR_SESSION_KEY = "accounts_no_second_factor"


class SecondFactorMiddleware:
    """Sends a signed-in person who has not passed their second factor to pass it (or, for a role
    that must have one, to enrol one) before any other page; the API answers 403 instead.

    Runs after django-otp's OTPMiddleware, which tells whether this session passed. A remembered
    browser (accounts.second_factor) passes on its own until its cookie expires.
    """

    OPEN_PREFIXES = ("/accounts/second-factor/", "/accounts/logout/", "/accounts/login/", "/i18n/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        answer = self.refusal(request)
        return answer if answer is not None else self.get_response(request)

    def refusal(self, request):
        user = request.user
        if not user.is_authenticated or user.is_verified() or request.path_info.startswith(self.OPEN_PREFIXES):
            return None
        required = access.needs_second_factor(user)
        # Staff without an authenticator are asked nothing; the session remembers that it looked,
        # so their pages cost no query for it (enrolling passes the factor in the same session).
        if not required and request.session.get(NO_SECOND_FACTOR_SESSION_KEY):
            return None
        enrolled = second_factor.has_second_factor(user)
        if not (required or enrolled):
            request.session[NO_SECOND_FACTOR_SESSION_KEY] = True
            return None
        device = second_factor.remembered_device(user=user, value=request.COOKIES.get(second_factor.REMEMBER_COOKIE))
        if device is not None:
            django_otp.login(request, device)
            return None
        if request.path_info.startswith("/api/"):
            message = gettext("二段階認証を済ませてから利用してください。")
            body = {"type": "about:blank", "title": "Forbidden", "status": 403, "detail": message, "errors": []}
            return JsonResponse(body, status=403, content_type=PROBLEM_JSON)
        target = "accounts:second_factor_verify" if enrolled else "accounts:second_factor_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


class SessionLifetimeMiddleware:
    """Sessions end after SESSION_COOKIE_AGE idle (SESSION_IDLE_MINUTES) and SESSION_MAX_HOURS
    after sign-in, whatever the activity (OWASP ASVS V3.3).

    The idle clock is the session row's own expiry: it is saved again, pushing the expiry, at most
    once a minute of activity, so an ordinary page costs no write. A person whose session ran out
    is signed out and sent to sign in again.
    """

    REFRESH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            session, now = request.session, int(time.time())
            seen = session.get(SEEN_SESSION_KEY, now)
            signed_in = session.setdefault(SIGNED_IN_SESSION_KEY, now)
            if now - seen > settings.SESSION_COOKIE_AGE or now - signed_in > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
                return redirect_to_login(request.get_full_path())
            if SEEN_SESSION_KEY not in session or now - seen >= self.REFRESH_SECONDS:
                session[SEEN_SESSION_KEY] = now
        return self.get_response(request)
