"""Career reminders: once a month while a university has career records due and not entered.
Written in Japanese only (settings.LANGUAGE_CODE): the recipients are Japanese university staff."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from careers import selectors
from students.models import University
from students.reminders import send_once


def send_career_reminders(today: date) -> int:
    due_by_university: dict[int, int] = {}
    for due in selectors.careers_due(selectors.finished_students(), today):
        due_by_university[due.student.university_id] = due_by_university.get(due.student.university_id, 0) + 1
    names = dict(University.objects.filter(pk__in=due_by_university).values_list("pk", "name_ja"))
    sent = 0
    for university_id, count in sorted(due_by_university.items()):
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("【phdsupport】修了者の進路の登録をお願いします（{count}件）").format(count=count)
            body = _(
                "{university} ご担当者様\n\n"
                "調査時点（修了時・1年後・5年後・10年後）を迎えた修了者の進路が {count} 件、未登録です。"
                "phdsupport の「修了後の進路」から登録してください。"
            ).format(university=names[university_id], count=count)
        key = f"careers:{university_id}:{today:%Y-%m}"
        sent += send_once(key, university_id=university_id, subject=subject, body=body)
    return sent
