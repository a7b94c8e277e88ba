"""Issue #13: a deploy never shows pages cached by the release before it. The page caches were
keyed by the data's version only, so after a deploy that changed a label or a figure's
computation the old page stayed for up to 24 hours (10 minutes for the quality ranking)."""

from datetime import date

import pytest

from dashboards import money, quality, views
from phdsupport import release
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
FY = 2025
NEXT = "NEXT RELEASE"


def _deploy(monkeypatch):
    """What a deploy changes: the code (its token) and what that code computes; the data stay."""
    monkeypatch.setattr(release, "code_version", lambda: "the-next-release")


def test_the_national_and_money_pages_show_what_the_new_release_computes(client, population, monkeypatch):
    client.force_login(user_with_role("release_viewer", "ministry_viewer"))
    # given: both pages rendered and cached by the running release
    assert NEXT not in client.get("/dashboards/", {"fiscal_year": FY}).content.decode()
    assert NEXT not in client.get("/dashboards/money/", {"fiscal_year": FY}).content.decode()
    # when: a release titles the trend table and the money total differently
    _deploy(monkeypatch)
    tables_of, build = views.dashboard_tables, money._build

    def new_tables(*args, **kwargs):
        tables = tables_of(*args, **kwargs)
        tables["trend"].title = NEXT
        return tables

    def new_money(*args, **kwargs):
        page = build(*args, **kwargs)
        page.tables["total"].title = NEXT
        return page

    monkeypatch.setattr(views, "dashboard_tables", new_tables)
    monkeypatch.setattr(money, "_build", new_money)
    # then: the pages (the national page's cached fragments included) are the new release's
    national = client.get("/dashboards/", {"fiscal_year": FY}).content.decode()
    assert f'id="table-trend-title">{NEXT}<' in national
    assert f">{NEXT}<" in client.get("/dashboards/money/", {"fiscal_year": FY}).content.decode()


def test_the_quality_ranking_is_the_new_releases(population, monkeypatch):
    today = date(2025, 12, 1)
    assert quality.national_ranking(today=today)  # cached by the running release
    _deploy(monkeypatch)
    monkeypatch.setattr(quality, "quality_ranking", lambda today: [])
    assert quality.national_ranking(today=today) == []


def test_the_release_token_changes_with_the_code_and_not_with_data(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text("A = 1\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("<p>{{ a }}</p>")
    first = release.digest(tmp_path)
    # Data and tests are not the release: a database file or a test written beside the code
    (tmp_path / "db.sqlite3").write_bytes(b"rows")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("def test(): pass\n")
    assert release.digest(tmp_path) == first
    (tmp_path / "templates" / "page.html").write_text("<p>{{ b }}</p>")
    assert release.digest(tmp_path) != first
