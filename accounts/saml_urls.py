"""djangosaml2's views at /accounts/saml/, answering 404 while federated sign-in is not configured."""

from functools import wraps

from django.conf import settings
from django.http import Http404
from django.urls import path
from djangosaml2 import views


def configured(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not settings.SAML_CONFIG:
            raise Http404
        return view(request, *args, **kwargs)

    return guarded


urlpatterns = [
    path("login/", configured(views.LoginView.as_view()), name="saml2_login"),
    path("acs/", configured(views.AssertionConsumerServiceView.as_view()), name="saml2_acs"),
    path("logout/", configured(views.LogoutInitView.as_view()), name="saml2_logout"),
    path("ls/", configured(views.LogoutView.as_view()), name="saml2_ls"),
    path("ls/post/", configured(views.LogoutView.as_view()), name="saml2_ls_post"),
    path("metadata/", configured(views.MetadataView.as_view()), name="saml2_metadata"),
]
