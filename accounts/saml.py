"""Federated sign-in (issue #17 item 4): SAML 2.0 through djangosaml2 and pysaml2.

pysaml2 checks the provider's signature, the audience, the answer to our own request and the
validity window; this backend decides who the person is here. The provider's organisation
attribute must map to a known university (SAML_ORG_UNIVERSITIES), or the sign-in is refused. An
unknown person gets an account with no role, which waits for an administrator: the federation
never gives a role. A person whose role binds them to a university signs in only through that
university's organisation.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from djangosaml2.backends import Saml2Backend

from accounts.backends import MembershipBackend
from accounts.models import FederatedIdentity
from phdsupport import access
from students.models import University


def university_of_organisation(values: list[str]) -> University | None:
    """The university the organisation attribute names (the first value that maps), or None."""
    for value in values:
        target = settings.SAML_ORG_UNIVERSITIES.get(value)
        if target is None:
            continue
        lookup = {"pk": int(target)} if target.isdigit() else {"name_ja": target}
        university = University.objects.filter(**lookup).first()
        if university is not None:
            return university
    return None


class FederatedBackend(Saml2Backend, MembershipBackend):
    """djangosaml2's backend; the user read back per request as MembershipBackend reads it."""

    university: University | None = None
    idp_entity_id: str = ""

    def is_authorized(
        self, attributes: dict, attribute_mapping: dict, idp_entityid: str, assertion_info: dict, **kwargs
    ) -> bool:
        self.idp_entity_id = idp_entityid
        self.university = university_of_organisation(attributes.get(settings.SAML_ORG_ATTRIBUTE, []))
        return self.university is not None

    def get_or_create_user(
        self, user_lookup_key: str, user_lookup_value: Any, create_unknown_user: bool, idp_entityid: str, **kwargs
    ) -> tuple[Any, bool]:
        identity = (
            FederatedIdentity.objects.filter(idp_entity_id=idp_entityid, subject=user_lookup_value)
            .select_related("user")
            .first()
        )
        if identity is not None:
            return identity.user, False
        User = get_user_model()
        if not create_unknown_user or User.objects.filter(username__iexact=user_lookup_value).exists():
            return None, False  # never sign in as a local account that happens to share the name
        user = User(username=user_lookup_value)
        user.set_unusable_password()
        return user, True

    def save_user(self, user: Any, *args, **kwargs) -> Any:
        created = user.pk is None
        user.save()
        if created:
            FederatedIdentity.objects.create(
                user=user, idp_entity_id=self.idp_entity_id, subject=user.username, university=self.university
            )
        else:
            FederatedIdentity.objects.filter(user=user).update(university=self.university, last_seen=timezone.now())
        return user

    def authenticate(self, request, session_info=None, attribute_mapping=None, **kwargs):
        """pysaml2 and djangosaml2's checks, then: staff of one university sign in only through
        that university's organisation."""
        user = super().authenticate(request, session_info=session_info, attribute_mapping=attribute_mapping, **kwargs)
        if user is None:
            return None
        bound_to = access.staff_university_id(user)
        if bound_to is not None and bound_to != getattr(self.university, "pk", None):
            return None
        return user
