from typing import Any

from students.managers import is_administrator

NATIONAL_ROLES = {"ministry_viewer", "program_officer"}


def can_view_national(user: Any) -> bool:
    """Ministry viewers, program officers and administrators see national aggregates."""
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    return is_administrator(user) or bool(membership and membership.role in NATIONAL_ROLES)


def can_publish(user: Any) -> bool:
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    return is_administrator(user) or bool(membership and membership.role == "program_officer")
