"""Reminders by email, sent by Celery beat (daily) through Django's mail backend.

Reports: one reminder `REPORT_REMINDER_DAYS` days before the deadline (any day inside that
window, if beat was down on the day itself) and one when the deadline has passed without a
submission. Careers: once a month while a university has career records due and not entered.
Each reminder is recorded in ReminderSent and goes out once, however often beat runs.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from programs import rules
from students import careers
from students.models import Membership, ReminderSent, ReportDeadline, University
from students.reports import report_statuses

REPORT_REMINDER_DAYS = 14


def _staff_emails(university_id: int) -> list[str]:
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


def _send_once(key: str, *, university_id: int, subject: str, body: str) -> bool:
    """Record the reminder first, so two beat runs racing cannot both send it."""
    recipients = _staff_emails(university_id)
    try:
        with transaction.atomic():
            ReminderSent.objects.create(key=key, recipients=len(recipients))
            if recipients:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except IntegrityError:
        return False
    return True


def send_report_reminders(today: date) -> int:
    sent = 0
    deadlines = ReportDeadline.objects.filter(
        due_date__lte=today + timedelta(days=REPORT_REMINDER_DAYS)
    ).select_related("program")
    for deadline in deadlines:
        stage = "overdue" if today > deadline.due_date else "before"
        for status in report_statuses(fiscal_year=deadline.fiscal_year, today=today, program_ids=[deadline.program_id]):
            if status.state in ("submitted", "accepted"):
                continue
            label = rules.fiscal_year_label(deadline.fiscal_year)
            if stage == "before":
                subject = f"【phdsupport】{label} {deadline.program.code} 実績報告の提出期限（{deadline.due_date}）が近づいています"
                lead = (
                    f"{status.university_name} ご担当者様\n\n"
                    f"{label}の {deadline.program.name_ja}（{deadline.program.code}）の実績報告の提出期限は "
                    f"{deadline.due_date} です。phdsupport で報告を作成し、提出してください。\n\n"
                    f"The {deadline.program.code} report for FY{deadline.fiscal_year} is due on {deadline.due_date}."
                )
            else:
                subject = f"【phdsupport】{label} {deadline.program.code} 実績報告の提出期限（{deadline.due_date}）を過ぎています"
                lead = (
                    f"{status.university_name} ご担当者様\n\n"
                    f"{label}の {deadline.program.name_ja}（{deadline.program.code}）の実績報告は、提出期限 "
                    f"{deadline.due_date} を過ぎても提出されていません。至急提出してください。\n\n"
                    f"The {deadline.program.code} report for FY{deadline.fiscal_year} was due on "
                    f"{deadline.due_date} and has not been submitted."
                )
            # The date is part of the key: a deadline moved later gets its own reminders.
            key = (
                f"report:{stage}:{status.university_id}:{deadline.program.code}:{deadline.fiscal_year}:"
                f"{deadline.due_date}"
            )
            sent += _send_once(key, university_id=status.university_id, subject=subject, body=lead)
    return sent


def send_career_reminders(today: date) -> int:
    due_by_university: dict[int, int] = {}
    for due in careers.careers_due(careers.finished_students(), today):
        due_by_university[due.student.university_id] = due_by_university.get(due.student.university_id, 0) + 1
    names = dict(University.objects.filter(pk__in=due_by_university).values_list("pk", "name_ja"))
    sent = 0
    for university_id, count in sorted(due_by_university.items()):
        subject = f"【phdsupport】修了者の進路の登録をお願いします（{count}件）"
        body = (
            f"{names[university_id]} ご担当者様\n\n"
            f"調査時点（修了時・1年後・5年後・10年後）を迎えた修了者の進路が {count} 件、未登録です。"
            "phdsupport の「修了後の進路」から登録してください。\n\n"
            f"{count} career records are due and not yet entered."
        )
        key = f"careers:{university_id}:{today:%Y-%m}"
        sent += _send_once(key, university_id=university_id, subject=subject, body=body)
    return sent
