"""Report reminders: one `REPORT_REMINDER_DAYS` days before the deadline (any day inside that
window, if beat was down on the day itself) and one when the deadline has passed without a
submission. Each goes out once (students.reminders.send_once).
"""

from __future__ import annotations

from datetime import date, timedelta

from programs import rules
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
            sent += send_once(key, university_id=status.university_id, subject=subject, body=lead)
    return sent
