"""Reminders by email, sent once each (ReminderSent): the machinery the reports and careers
reminders share. Celery beat runs reports.tasks and careers.tasks daily through Django's mail
backend.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from students.models import Membership, ReminderSent


def staff_emails(university_id: int) -> list[str]:
    return sorted(
        get_user_model()
        .objects.filter(
            is_active=True,
            membership__role=Membership.Role.UNIVERSITY_STAFF,
            membership__university_id=university_id,
        )
        .exclude(email="")
        .values_list("email", flat=True)
    )


def send_once(key: str, *, university_id: int, subject: str, body: str) -> bool:
    """Record the reminder first, so two beat runs racing cannot both send it."""
    recipients = staff_emails(university_id)
    try:
        with transaction.atomic():
            ReminderSent.objects.create(key=key, recipients=len(recipients))
            if recipients:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except IntegrityError:
        return False
    return True
