"""Reads of personal data, declared by the view that makes them (issue #17: who looked at whom).

A page, an export or an API read of student records calls `note_read` with the students it
returns; `accounts.middleware.PersonalDataReadMiddleware` writes what was noted, in one INSERT,
once the response is ready and only when it succeeds. The view declares and the middleware
records, so the apps that serve personal data (students, careers) import nothing above them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReadKind(models.TextChoices):
    PAGE = "page", _("画面の閲覧")
    LIST = "list", _("一覧の閲覧")
    EXPORT = "export", _("ファイルへの出力")
    API = "api", _("APIでの読み取り")


NOTES_ATTRIBUTE = "personal_data_reads"


def note_read(request: Any, *, kind: ReadKind, students: Iterable[tuple[int, int]], query: str | None = None) -> None:
    """Declare that this request shows `students`, as (student id, its university id) pairs.

    `query` is what the reader asked for (a filter, a page); it defaults to the request's query
    string, so a list that matched nobody still says what was searched.
    """
    http_request = getattr(request, "_request", request)  # DRF wraps Django's request
    notes = http_request.__dict__.setdefault(NOTES_ATTRIBUTE, [])
    if query is None:
        query = http_request.GET.urlencode()
    notes.append((kind, [(int(s), int(u)) for s, u in students], query))


def noted_reads(request: Any) -> list[tuple[ReadKind, list[tuple[int, int]], str]]:
    return getattr(request, NOTES_ATTRIBUTE, [])
