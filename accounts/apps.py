from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("利用者と閲覧記録")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts.views import student_panel_context
        from students import panels

        panels.register(panels.Panel("accounts/_student_reads_panel.html", student_panel_context))
        # Django's own hook for every sign-in (password, test client, later SAML): the session is
        # remembered as the person's, so a role change can end it (accounts.services.sessions_end).
        user_logged_in.connect(_signed_in, dispatch_uid="accounts.signed_in")


def _signed_in(sender, request, user, **kwargs):
    from accounts.services import session_signed_in

    if request is not None and hasattr(request, "session"):
        session_signed_in(request=request, user=user)
