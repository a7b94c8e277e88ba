from django.conf import settings
from django.utils import translation


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
