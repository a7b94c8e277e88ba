from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.utils import translation
from rest_framework.renderers import BrowsableAPIRenderer

from phdsupport.views import healthz


class LanguageMiddleware:
    """Japanese first: pages use the language the user chose (cookie), else Japanese.

    Browsers' Accept-Language is ignored for pages, so a ministry PC set to English still opens
    in Japanese; the API honours Accept-Language because systems ask for it explicitly.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        if request.path.startswith("/api/"):
            language = translation.get_language_from_request(request)
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class HealthCheckMiddleware:
    """Answers /healthz before anything else runs.

    A container probe asks http://127.0.0.1:8000/healthz: that host is not in ALLOWED_HOSTS
    and the request is not HTTPS, so behind SecurityMiddleware and CommonMiddleware it would get
    a 400 or a redirect instead of the answer it came for.
    """

    path = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == self.path and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with two exceptions for pages whose templates are not ours.

    DRF's browsable API writes a <style> element and style attributes, and the admin (Django's,
    django-simple-history's) a few style attributes. Those pages allow inline styles; scripts stay
    'self' everywhere. Our own templates have neither (tests/test_content_security_policy.py).
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if parts.update is None and parts.replace is None and parts.config is None:
            if isinstance(getattr(response, "accepted_renderer", None), BrowsableAPIRenderer):
                parts.update = {"style-src": [UNSAFE_INLINE]}
            elif request.path_info.startswith("/admin/"):
                parts.update = {"style-src-attr": [UNSAFE_INLINE]}
        return parts
