from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

LOGIN_FAILURE_LIMIT = 5
LOGIN_LOCK_SECONDS = 15 * 60
LOGIN_LOCKED = _("ログインの失敗が続いたため、15分間ログインできません。")


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
