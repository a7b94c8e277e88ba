"""Who may see and do what: the one module that reads a user's role (DESIGN.md: Access).

A person's role comes from their Membership (students.models, read here by attribute so that
this module imports no app); an API key carries a Grant of its own (students.api.auth). Every
view, API permission, service check and template asks the functions below; the `for_user`
querysets of each app apply them to rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    UNIVERSITY_STAFF = "university_staff", _("大学担当者")
    PROGRAM_OFFICER = "program_officer", _("事業担当官")
    MINISTRY_VIEWER = "ministry_viewer", _("省庁閲覧者")
    ADMINISTRATOR = "administrator", _("管理者")


# Who sees student, award, report and career rows (never ministry viewers: aggregates only).
ROW_ROLES = frozenset({Role.UNIVERSITY_STAFF, Role.PROGRAM_OFFICER, Role.ADMINISTRATOR})
# Who sees the national aggregates.
NATIONAL_ROLES = frozenset({Role.MINISTRY_VIEWER, Role.PROGRAM_OFFICER, Role.ADMINISTRATOR})
# Who must pass a second factor before any page (issue #17): the roles that see every university.
# University staff may enrol one; once they have, they pass it too.
SECOND_FACTOR_ROLES = frozenset({Role.MINISTRY_VIEWER, Role.PROGRAM_OFFICER, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class Grant:
    """What a signed-in person or an API key holds: a role, and the university it is bound to."""

    role: Role | None
    university_id: int | None = None
    can_certify: bool = False
    membership: Any = None  # the Membership row, for an officer's programs


NOBODY = Grant(role=None)


def grant_of(user: Any) -> Grant:
    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    own = getattr(user, "grant", None)  # an API key's principal carries its grant
    if isinstance(own, Grant):
        return own
    membership = getattr(user, "membership", None)
    if getattr(user, "is_superuser", False):
        return Grant(Role.ADMINISTRATOR, membership=membership)
    if membership is None:
        return NOBODY
    return Grant(
        Role(membership.role),
        university_id=membership.university_id if membership.role == Role.UNIVERSITY_STAFF else None,
        can_certify=bool(membership.can_certify),
        membership=membership,
    )


def role_of(user: Any) -> Role | None:
    return grant_of(user).role


def needs_second_factor(user: Any) -> bool:
    """A signed-in person whose role must pass a second factor (an API key never: it is one)."""
    return getattr(user, "pk", None) is not None and role_of(user) in SECOND_FACTOR_ROLES


def is_administrator(user: Any) -> bool:
    return role_of(user) == Role.ADMINISTRATOR


def staff_university_id(user: Any) -> int | None:
    """The university a member of its staff works for; None for every other role."""
    grant = grant_of(user)
    return grant.university_id if grant.role == Role.UNIVERSITY_STAFF else None


def officer_program_ids(user: Any) -> list[int]:
    """The programs a program officer looks after (none for other roles)."""
    grant = grant_of(user)
    if grant.role != Role.PROGRAM_OFFICER or grant.membership is None:
        return []
    return list(grant.membership.programs.values_list("pk", flat=True))


def can_see_rows(user: Any) -> bool:
    """Student, award, report and career pages: staff, officers and administrators."""
    return role_of(user) in ROW_ROLES


def can_write_rows(user: Any) -> bool:
    """Only a university's own staff write its students, awards, careers and reports."""
    return staff_university_id(user) is not None


def can_view_national(user: Any) -> bool:
    return role_of(user) in NATIONAL_ROLES


def can_publish(user: Any) -> bool:
    """Snapshots of the national figures are published by program officers and administrators."""
    return role_of(user) in (Role.PROGRAM_OFFICER, Role.ADMINISTRATOR)


def can_certify_for(user: Any, university_id: int) -> bool:
    """Submitting an annual report: the university's staff holding the certifying flag."""
    grant = grant_of(user)
    return grant.role == Role.UNIVERSITY_STAFF and grant.university_id == university_id and grant.can_certify


def is_officer_of(user: Any, program_id: int) -> bool:
    """Returning, accepting and reopening reports, and setting deadlines, of one program."""
    role = role_of(user)
    return role == Role.ADMINISTRATOR or (role == Role.PROGRAM_OFFICER and program_id in officer_program_ids(user))


def recovery_claims_scope(user: Any) -> tuple[list[int] | None, bool]:
    """The page of open recovery claims (返還) across universities (issue #15: "Each university
    and program officer sees open claims and their totals"): (programs, named).

    A program officer sees the claims of their own programs, student by student; an
    administrator every program's; a ministry viewer every program's as totals per university
    only, never a student (aggregates only, as everywhere). University staff are refused (403, as
    on every national page): their university's claims are on their own payments page."""
    role = role_of(user)
    if role == Role.ADMINISTRATOR:
        return None, True
    if role == Role.PROGRAM_OFFICER:
        return officer_program_ids(user), True
    if role == Role.MINISTRY_VIEWER:
        return None, False
    raise PermissionDenied


def can_view_recovery_claims(user: Any) -> bool:
    return role_of(user) in (Role.PROGRAM_OFFICER, Role.MINISTRY_VIEWER, Role.ADMINISTRATOR)


def is_university_lead(user: Any) -> bool:
    """A university's lead staff: its staff holding the certifying flag (Membership.can_certify),
    the people who answer for the university's records. They see who at their university read a
    student's record, and (issue #17) manage their university's accounts."""
    grant = grant_of(user)
    return grant.role == Role.UNIVERSITY_STAFF and grant.can_certify and grant.university_id is not None


def read_log_scope(user: Any) -> tuple[bool, int | None]:
    """Who may search the access log of personal data, and how far: (allowed, university).

    An administrator searches everything (university None); a university's lead staff only the
    reads of their own university's students by their own university's people; nobody else.
    """
    if is_administrator(user):
        return True, None
    if is_university_lead(user):
        return True, grant_of(user).university_id
    return False, None


def require_read_log(user: Any) -> int | None:
    allowed, university_id = read_log_scope(user)
    if not allowed:
        raise PermissionDenied
    return university_id


def account_scope(user: Any) -> tuple[bool, int | None]:
    """Who manages accounts (invite, change role, stop), and how far: (allowed, university).

    Administrators manage every account; a university's lead staff the staff accounts of their
    own university, and may give no role but university staff there. Nobody else.
    """
    return read_log_scope(user)


def roles_assignable_by(user: Any) -> list[Role]:
    allowed, university_id = account_scope(user)
    if not allowed:
        return []
    return list(Role) if university_id is None else [Role.UNIVERSITY_STAFF]


def require_account_scope(user: Any) -> int | None:
    allowed, university_id = account_scope(user)
    if not allowed:
        raise PermissionDenied
    return university_id


def can_manage_account(user: Any, membership: Any, *, federated_university_id: int | None = None) -> bool:
    """Whether `user` manages the account holding `membership`.

    `membership` None is an account with no role yet, waiting for one (a first federated sign-in).
    Administrators manage those all; a university's lead staff those whose identity provider's
    organisation maps to their own university (`federated_university_id`), which are the people of
    their university the federation let in, and nobody else's."""
    allowed, university_id = account_scope(user)
    if not allowed:
        return False
    if university_id is None:
        return True
    if membership is None:
        return federated_university_id is not None and federated_university_id == university_id
    return membership.role == Role.UNIVERSITY_STAFF and membership.university_id == university_id


def can_manage_deadlines(user: Any) -> bool:
    return role_of(user) in (Role.PROGRAM_OFFICER, Role.ADMINISTRATOR)


def navigation(request: Any) -> dict[str, Any]:
    """Template context: what the signed-in person's menu offers."""
    user = getattr(request, "user", None)
    grant = grant_of(user)
    return {
        "access": {
            "role": grant.role,
            "rows": grant.role in ROW_ROLES,
            "staff_university_id": grant.university_id if grant.role == Role.UNIVERSITY_STAFF else None,
            "national": grant.role in NATIONAL_ROLES,
            "recovery_claims": can_view_recovery_claims(user),
            "admin_site": bool(getattr(user, "is_staff", False)),
            "read_log": read_log_scope(user)[0],
            "accounts": account_scope(user)[0],
            "federated_sign_in": bool(getattr(settings, "SAML_CONFIG", None)),
        }
    }


def require_rows(user: Any) -> None:
    """Pages of student rows: refused (403) to everyone but staff, officers and administrators."""
    if not can_see_rows(user):
        raise PermissionDenied


def require_staff_university(user: Any) -> Any:
    """The university a page writes to: only its own staff write, and only there (else 403)."""
    grant = grant_of(user)
    if grant.role != Role.UNIVERSITY_STAFF or grant.membership is None:
        raise PermissionDenied
    return grant.membership.university


def require_national(user: Any) -> None:
    if not can_view_national(user):
        raise PermissionDenied
