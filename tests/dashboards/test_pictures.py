"""Issue #13 item 2 (misleading pictures) and the published breakdown of item 3 on the pages."""

import pytest
from django.conf import settings

from dashboards.selectors import Scope
from dashboards.tables import dashboard_tables
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
FY = 2025


@pytest.fixture
def ministry_client(client, population):
    client.force_login(user_with_role("pictures_viewer", "ministry_viewer"))
    return client


def test_later_years_are_committed_so_far_not_counted(population):
    # given: FY2025 is the current year; awards granted so far run into FY2026–FY2027
    trend = dashboard_tables(Scope(FY), current_fy=FY)["trend"]
    rows = {row[0]: row for row in trend.rows}
    # then: FY2025 is counted; FY2026 is in its own "committed so far" column, not on the counted line
    assert trend.headers[1:3] == ["本システムの集計", "採用済みの支援のみ（今後の年度）"]
    assert rows["令和7年度"][1:3] == [4, ""]
    assert rows["令和8年度"][1:3] == ["", 4]
    assert rows["令和9年度"][1:3] == ["", 3]


def test_trend_note_says_later_years_are_not_results(ministry_client):
    body = ministry_client.get("/dashboards/", {"fiscal_year": FY}).content.decode()
    assert 'id="note-committed"' in body
    assert "採用済みの支援のみ" in body


def test_university_page_shows_its_share_not_the_national_target(ministry_client, population):
    response = ministry_client.get(f"/dashboards/universities/{population['a'].pk}/", {"fiscal_year": FY})
    tables = response.context["tables"]
    body = response.content.decode()
    summary = dict(tables["summary"].rows)
    assert summary["支援を受ける学生数"] == 3
    assert summary["全国の支援を受ける学生数"] == 4
    assert summary["全国に占める割合"] == "75.0%"
    assert "目標（令和7年度）" not in summary
    assert tables["outlook"].headers == ["年度", "採用済み支援による人数"]
    assert tables["trend"].headers == ["年度", "本システムの集計", "採用済みの支援のみ（今後の年度）"]
    assert "22,500" not in body
    assert "不足" not in body


def test_national_page_keeps_the_target_and_the_gap(ministry_client):
    tables = ministry_client.get("/dashboards/", {"fiscal_year": FY}).context["tables"]
    assert "不足" in tables["outlook"].headers
    assert dict(tables["summary"].rows)["目標（令和7年度）"] == 22_500


def test_footnote_counts_persons_at_two_universities(ministry_client):
    # s6 (甲大学, April–September) and s7 (乙大学, from October) are one person (same e-Rad number).
    response = ministry_client.get("/dashboards/", {"fiscal_year": FY})
    totals = response.context["tables"]["university_totals"].rows
    assert [row[1] for row in totals] == [5, 4, 1]
    body = response.content.decode()
    assert 'id="note-university-totals"' in body
    assert "合計（5人）は全国の人数（4人）より多く" in body
    assert "複数の大学で数えた人：1人" in body


def test_footnote_explains_the_ra_attribution(ministry_client):
    body = ministry_client.get("/dashboards/", {"fiscal_year": FY}).content.decode()
    assert 'id="note-ra"' in body
    assert "生活費相当額が最も大きい支援の事業に数えた" in body


def test_programs_are_named_in_the_page_language(ministry_client):
    # Japanese (default): name_ja in the table and the chart data, the code kept for files only
    response = ministry_client.get("/dashboards/", {"fiscal_year": FY})
    rows = {row[0]: row for row in response.context["tables"]["programs"].rows}
    assert rows["SPRING"][1] == "次世代研究者挑戦的研究プログラム"
    assert rows["JSPS_DC1"][1] == "特別研究員 DC1"
    body = response.content.decode()
    assert "<td>次世代研究者挑戦的研究プログラム</td>" in body
    assert "<td>JSPS_DC1</td>" not in body
    overlaps = [row[0] for row in response.context["tables"]["overlaps"].rows]
    assert "創発的研究支援事業 RA支援 + 次世代研究者挑戦的研究プログラム" in overlaps
    # English: name_en
    ministry_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = ministry_client.get("/dashboards/", {"fiscal_year": FY})
    rows = {row[0]: row for row in response.context["tables"]["programs"].rows}
    assert rows["SPRING"][1] == "Support for Pioneering Research Initiated by the Next Generation (SPRING)"
    assert rows["JSPS_DC1"][1] == "JSPS Research Fellowship DC1"


def test_national_page_shows_the_published_breakdown_beside_the_counted_one(ministry_client):
    response = ministry_client.get("/dashboards/", {"fiscal_year": FY})
    table = response.context["tables"]["published_programs"]
    assert table.headers[:3] == ["区分", "令和3年度 公表", "令和3年度 本システム"]
    rows = {row[0]: row for row in table.rows}
    assert list(rows) == ["JSPS DC等", "SPRING", "フェロー事業", "創発RA", "合計"]
    assert rows["JSPS DC等"][1::2] == [7_500, 7_500, 8_600, 8_800]
    assert rows["SPRING"][1::2] == [6_000, 6_000, 6_000, 10_800]
    assert rows["フェロー事業"][1::2] == [1_000, 2_000, 3_000, "–"]
    assert rows["創発RA"][1::2] == [800, 800, 800, 800]
    assert rows["合計"][1::2] == [15_300, 16_300, 18_400, 20_400]
    # this system's figures: s9's SPRING counts in FY2024 (the population's only earlier year)
    assert rows["SPRING"][2::2] == [0, 0, 0, 1]
    assert rows["合計"][2::2] == [0, 0, 0, 1]
    body = response.content.decode()
    assert 'id="published-chart"' in body
    assert 'id="published-data"' in body


def test_university_page_has_no_published_breakdown(ministry_client, population):
    response = ministry_client.get(f"/dashboards/universities/{population['a'].pk}/", {"fiscal_year": FY})
    assert "published_programs" not in response.context["tables"]
    assert 'id="published-chart"' not in response.content.decode()


def test_figure_columns_have_their_headers_aligned_with_their_figures(ministry_client):
    # given: the national page's trend table (years as text, counted figures, later years' empty cells)
    body = ministry_client.get("/dashboards/", {"fiscal_year": FY}).content.decode()
    # then: a column of figures has a right-aligned header, as its cells are; a text column does not
    assert '<th scope="col" class="num">本システムの集計</th>' in body
    assert '<th scope="col" class="num">採用済みの支援のみ（今後の年度）</th>' in body
    assert '<th scope="col">年度</th>' in body


@pytest.mark.parametrize(
    ("cell", "figure"),
    [
        (1234, True),
        (-14.0, True),
        ("16.0%", True),
        ("-14.0", True),
        ("1.23", True),
        ("¥1,800,000", True),
        ("-¥150,000", True),
        ("—", False),
        ("令和7年度", False),
        ("3 / 10", False),
        (True, False),
    ],
)
def test_figures_written_as_text_are_figures(cell, figure):
    from dashboards.templatetags.dashboard_tables import is_figure

    assert is_figure(cell) is figure
