"""One language at a time (DESIGN.md, Conventions): Japanese msgids, every one translated in
locale/en, never "日本語 / English" in one string, and API errors in the language asked for."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from students.api.keys import api_key_create

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")
# "日本語 / English": a slash, then an English word or a placeholder followed by more English.
BILINGUAL = re.compile(r" / (?:\{\w+\}|[A-Z][a-z]*) [A-Za-z]")
BRACE_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w*)\}(?!\})")
PERCENT_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str = ""
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)


def parse_po(text: str) -> list[Entry]:
    """The entries of a .po file (obsolete `#~` entries left out), the header included."""
    entries: list[Entry] = []
    current = Entry()
    target: str | None = None
    started = False

    def finish() -> None:
        nonlocal current, started
        if started:
            entries.append(current)
        current, started = Entry(), False

    for line in [*text.splitlines(), ""]:
        line = line.strip()
        if not line:
            finish()
            target = None
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if target == "msgstr":
                current.msgstrs[-1] += value
            else:
                setattr(current, target, getattr(current, target) + value)
        else:
            keyword, _space, rest = line.partition(" ")
            started = True
            if keyword.startswith("msgstr"):
                target = "msgstr"
                current.msgstrs.append(ast.literal_eval(rest))
            else:
                target = keyword
                setattr(current, keyword, ast.literal_eval(rest))
    return entries


def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.msgid]  # without the header


@pytest.fixture(scope="module")
def committed() -> list[Entry]:
    return messages(parse_po(PO.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> str:
    """The .po that `makemessages -l en --no-location --no-obsolete` makes from today's sources,
    run on a copy of the project so the working tree is left alone."""
    if not (shutil.which("xgettext") and shutil.which("msgmerge")):
        pytest.skip("gettext tools are not installed")
    copy = tmp_path_factory.mktemp("messages") / "project"
    shutil.copytree(
        settings.BASE_DIR,
        copy,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".*", "node_modules", "staticfiles", "screenshots", "__pycache__", "*.pyc", "*.sqlite3", "*.mo"
        ),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-location", "--no-obsolete", "-v0"],
        cwd=copy,
        env={**os.environ, "DEBUG": "true"},
        check=True,
    )
    return (copy / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")


def test_every_message_has_an_english_translation_and_none_is_fuzzy(committed):
    untranslated = [e.msgid for e in committed if not all(e.msgstrs)]
    fuzzy = [e.msgid for e in committed if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


def test_translations_are_english_with_the_same_placeholders(committed):
    japanese = [(e.msgid, s) for e in committed for s in e.msgstrs if JAPANESE.search(s)]
    assert japanese == [], "an English translation still holds Japanese"
    for entry in committed:
        for pattern in (BRACE_PLACEHOLDER, PERCENT_PLACEHOLDER):
            wanted = set(pattern.findall(entry.msgid)) | set(pattern.findall(entry.msgid_plural))
            for msgstr in entry.msgstrs:
                assert set(pattern.findall(msgstr)) == wanted, entry.msgid


def test_no_message_holds_both_languages(committed, regenerated):
    for entry in [*committed, *messages(parse_po(regenerated))]:
        match = BILINGUAL.search(entry.msgid)
        assert not (match and JAPANESE.search(entry.msgid[: match.start()])), entry.msgid


def test_every_message_in_the_sources_is_in_the_po_translated(committed, regenerated):
    translated = {(e.msgctxt, e.msgid) for e in committed if all(e.msgstrs)}
    in_sources = {(e.msgctxt, e.msgid) for e in messages(parse_po(regenerated))}
    assert sorted(m for _c, m in in_sources - translated) == []


def test_makemessages_leaves_the_po_unchanged(regenerated):
    """What CI checks with `git diff`: the committed .po is what makemessages writes."""

    def without_date(text: str) -> str:
        return re.sub(r'^"POT-Creation-Date: .*\n', "", text, flags=re.M)

    assert without_date(regenerated) == without_date(PO.read_text(encoding="utf-8"))


# --- API errors follow Accept-Language ------------------------------------------------------


def client_in(language: str, key: str | None = None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.mark.django_db
def test_api_errors_are_japanese_or_english_as_asked(reference, university_a):
    key = api_key_create(name="A write", scope="write", university=university_a, acting_user=None)[1]
    student = {"student_number": "T001", "field": "engineering", "entry_date": "2025-04-01"}
    client_in("ja", key).post("/api/v1/students/", student, format="json")
    backwards = {"student_number": "T001", "program": "SPRING", "start_date": "2025-04-01", "end_date": "2025-03-31"}
    # One error: its message is the detail. Two: the detail says the request has errors.
    twice_wrong = {**backwards, "start_date": "not a date", "annual_research_cost": -1}

    # A rule's refusal is 422, a body that does not match the schema 400 (phdsupport.api.errors).
    for body, status in ((backwards, 422), (twice_wrong, 400)):
        japanese = client_in("ja", key).post("/api/v1/awards/", body, format="json")
        english = client_in("en", key).post("/api/v1/awards/", body, format="json")
        assert (japanese.status_code, english.status_code) == (status, status)
        assert japanese["Content-Language"] == "ja"
        assert english["Content-Language"] == "en"
        ja_problem, en_problem = japanese.json(), english.json()
        assert JAPANESE.search(ja_problem["detail"]), ja_problem
        assert not JAPANESE.search(en_problem["detail"]), en_problem
        for ja_error, en_error in zip(ja_problem["errors"], en_problem["errors"], strict=True):
            assert (ja_error["field"], ja_error["code"]) == (en_error["field"], en_error["code"])
            assert not JAPANESE.search(en_error["message"]), en_error
            assert " / " not in ja_error["message"]
    assert ja_problem["detail"] == "入力に誤りがあります。"
    assert en_problem["detail"] == "The request has errors."

    bulk = {"students": [{**student, "student_number": "T002", "entry_date": "April"}]}
    japanese = client_in("ja", key).post("/api/v1/bulk/", bulk, format="json").json()
    english = client_in("en", key).post("/api/v1/bulk/", bulk, format="json").json()
    assert japanese["errors"][0]["message"] == "日付は 2025-04-01 の形式で入力してください。"
    assert english["errors"][0]["message"] == "Enter a date like 2025-04-01."
    assert (japanese["detail"], english["detail"]) == ("入力に誤りがあります。", "The request has errors.")

    japanese = client_in("ja", "phd_bad_key").get("/api/v1/students/").json()
    english = client_in("en", "phd_bad_key").get("/api/v1/students/").json()
    assert (japanese["detail"], english["detail"]) == ("APIキーが無効です。", "The API key is invalid or revoked.")


@pytest.mark.django_db
def test_year_lock_message_names_the_year_in_the_language_of_the_request(reference, university_a):
    from django.utils import translation

    from programs.models import Program
    from students.services import locked_message

    code = Program.objects.get(code="SPRING").code
    with translation.override("ja"):
        assert locked_message(2025, code).startswith("令和7年度の SPRING の実績報告は受理済み")
    with translation.override("en"):
        assert locked_message(2025, code) == (
            "The SPRING report for FY2025 (R7) has been accepted; ask the program officer to reopen it."
        )


@pytest.mark.django_db
def test_reminders_are_written_in_japanese_only_whatever_language_is_active(reference, university_a):
    from datetime import date

    from django.core import mail
    from django.utils import translation

    from careers import reminders as career_reminders
    from reports import reminders as report_reminders
    from tests.factories import AwardFactory, StudentFactory, user_with_role

    staff = user_with_role("a_staff", "university_staff", university=university_a)
    staff.email = "staff@a.example"
    staff.save()
    AwardFactory(student=StudentFactory(university=university_a), start_date=date(2025, 4, 1))
    StudentFactory(university=university_a, status="completed", completion_date=date(2026, 3, 31))
    with translation.override("en"):
        assert report_reminders.send_report_reminders(date(2026, 6, 1)) == 1
        assert career_reminders.send_career_reminders(date(2026, 6, 1)) == 1
    report, career = mail.outbox
    assert "令和7年度 SPRING 実績報告の提出期限（2026-05-31）を過ぎています" in report.subject
    assert "1件" in career.subject
    for message in (report, career):
        assert JAPANESE.search(message.body)
        assert not re.search(r"[A-Za-z]{3,} [a-z]{3,} [a-z]{3,}", message.body), message.body  # no English prose


def test_sort_options_and_upload_column_names_follow_the_language():
    from django.utils import translation

    from careers import services as career_services
    from students.filters import StudentFilterSet
    from students.imports import LABEL_OF

    def sort_options() -> list[str]:
        return [str(label) for value, label in StudentFilterSet().filters["ordering"].extra["choices"] if value]

    with translation.override("ja"):
        assert sort_options()[:2] == ["学籍番号", "学籍番号（降順）"]
        assert (LABEL_OF["student_number"], career_services.LABEL_OF["survey_point"]) == ("学籍番号", "調査時点")
    with translation.override("en"):
        assert sort_options()[:2] == ["Student number", "Student number (descending)"]
        assert not any(JAPANESE.search(option) for option in sort_options())
        assert (LABEL_OF["student_number"], career_services.LABEL_OF["survey_point"]) == (
            "student_number",
            "survey_point",
        )
