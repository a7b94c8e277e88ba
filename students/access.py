from typing import Any

from django.core.exceptions import PermissionDenied

from students.managers import is_administrator

ROW_ROLES = {"university_staff", "program_officer"}


def require_student_pages(user: Any) -> None:
    """Student rows are for university staff, program officers and administrators, never viewers."""
    membership = getattr(user, "membership", None)
    if not (is_administrator(user) or (membership and membership.role in ROW_ROLES)):
        raise PermissionDenied


def staff_university(user: Any) -> Any:
    """The university a user may write to: only university staff write, and only their own."""
    membership = getattr(user, "membership", None)
    if membership is None or membership.role != "university_staff":
        raise PermissionDenied
    return membership.university
