"""Report reminders: one `REPORT_REMINDER_DAYS` days before the deadline (any day inside that
window, if beat was down on the day itself) and one when the deadline has passed without a
submission. Each goes out once (students.reminders.send_once). Written in Japanese only
(settings.LANGUAGE_CODE): the recipients are Japanese university staff.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from programs.labels import fiscal_year_label
from reports.models import ReportDeadline
from reports.selectors import report_statuses
from students.reminders import send_once

REPORT_REMINDER_DAYS = 14


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
            with translation.override(settings.LANGUAGE_CODE):
                values = {
                    "university": status.university_name,
                    "fy": fiscal_year_label(deadline.fiscal_year),
                    "program": deadline.program.name_ja,
                    "code": deadline.program.code,
                    "due": deadline.due_date,
                }
                if stage == "before":
                    subject = _("【phdsupport】{fy} {code} 実績報告の提出期限（{due}）が近づいています").format(
                        **values
                    )
                    lead = _(
                        "{university} ご担当者様\n\n"
                        "{fy}の {program}（{code}）の実績報告の提出期限は {due} です。"
                        "phdsupport で報告を作成し、提出してください。"
                    ).format(**values)
                else:
                    subject = _("【phdsupport】{fy} {code} 実績報告の提出期限（{due}）を過ぎています").format(**values)
                    lead = _(
                        "{university} ご担当者様\n\n"
                        "{fy}の {program}（{code}）の実績報告は、提出期限 {due} を過ぎても提出されていません。"
                        "至急提出してください。"
                    ).format(**values)
            # The date is part of the key: a deadline moved later gets its own reminders.
            key = (
                f"report:{stage}:{status.university_id}:{deadline.program.code}:{deadline.fiscal_year}:"
                f"{deadline.due_date}"
            )
            sent += send_once(key, university_id=status.university_id, subject=subject, body=lead)
    return sent
