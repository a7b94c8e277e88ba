"""Sign-in by username and password, and the signed-in person read back on every request.

Every page asks who the person is and what they may do (phdsupport.access.grant_of reads
`user.membership`; the header names the role and, for a university's staff, the university).
Django's ModelBackend reads the user alone, so a page paid three queries for that: the user, the
membership, the university. Here the user is read with their membership and its university in
one query. accounts.saml.FederatedBackend builds on this backend, so a federated session costs
the same.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def users_with_role():
    """Users with their membership and its university, joined (a user without one reads None)."""
    return get_user_model()._default_manager.select_related("membership__university")


class MembershipBackend(ModelBackend):
    """ModelBackend whose get_user joins the membership and its university (one query)."""

    def get_user(self, user_id):
        user = users_with_role().filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        user = await users_with_role().filter(pk=user_id).afirst()
        return user if user is not None and self.user_can_authenticate(user) else None
