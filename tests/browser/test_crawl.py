"""Every page, as every role, in Japanese and in English (Ref: #13).

A page fails on an untranslated string (Japanese in an English page outside a name marked
lang="ja"; an English phrase in a Japanese page), on any axe-core violation (WCAG 2.1 A/AA and
best practices, minor and moderate included), on an id used twice, on a select's empty choice
reading "---------", and on a console or page error. Officers, ministry viewers and administrators
pass the second factor first (before, their walk saw only the second-factor page). Pages behind a
POST are judged by test_forms_sent.py. The walk and its rules are in crawl.py; the
data are the synthetic demo at a small scale, so every kind of page has something to show.
With CRAWL_SCREENSHOTS=1, a screenshot of each kind of page lands in screenshots/crawl-*.png
(off by default: they double the walk's time).
"""

import io
import os

import pytest
from django.core.management import call_command

from tests.browser.conftest import SCREENSHOTS
from tests.browser.crawl import Crawl, language_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "demo-pass-2025"  # load_demo's accounts


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", scale=0.002, stdout=io.StringIO())


@pytest.mark.parametrize("account", ["staff", "officer", "ministry", "admin"])
def test_every_page_passes_axe_and_speaks_one_language(browser, live_server, demo, account):
    # given: the demo, and one of its accounts
    shots = SCREENSHOTS if os.environ.get("CRAWL_SCREENSHOTS") else None
    crawl = Crawl(base_url=live_server.url, password=DEMO_PASSWORD, screenshots=shots)
    # when: it walks every page it can reach, in Japanese and then in English
    crawl.walk_as(browser, account)
    # then
    assert crawl.pages >= 20, crawl.visited
    assert not crawl.problems, "\n".join(crawl.problems)


@pytest.mark.parametrize(
    ("language", "texts", "expected"),
    [
        ("en", [("en", "National picture")], []),
        ("en", [("en", "東京大学")], ["Japanese in English: '東京大学'"]),
        ("en", [("ja", "山田 花子")], []),  # a name without an English form, marked lang="ja"
        ("en", [("en", "Completed（2022-03-31）")], ["Japanese in English: 'Completed（2022-03-31）'"]),
        ("ja", [("ja", "全国の状況")], []),
        ("ja", [("ja", "Newest first")], ["English in Japanese: 'Newest first'"]),
        ("ja", [("ja", "JSPS_DC1")], []),
        ("ja", [("ja", "CSV")], []),
        ("ja", [("en", "English")], []),
    ],
)
def test_the_language_rule_catches_the_other_language(language, texts, expected):
    assert language_problems(language, texts) == expected
