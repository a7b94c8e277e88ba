from django.conf import settings
from django.utils import translation

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
