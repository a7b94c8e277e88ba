import pytest

from tests.browser.conftest import sign_in, wait_until
from tests.factories import user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_national_page_renders_charts_and_drills_down(page, screenshot, population):
    # given: a ministry viewer
    user_with_role("browser_ministry", "ministry_viewer")
    sign_in(page, "browser_ministry")
    # when
    page.goto("/dashboards/?fiscal_year=2025")
    wait_until(page, "document.querySelector('#trend-chart').width > 0")
    # then: the headline figure and charts are there, drawn by Chart.js
    assert page.inner_text(".kpi-value >> nth=0") == "4"
    drawn = page.evaluate("() => ['trend-chart', 'program-chart', 'published-chart'].map(id => !!Chart.getChart(id))")
    assert drawn == [True, True, True]
    # later years are their own "committed so far" series, programs are named
    series = page.evaluate("() => Chart.getChart('trend-chart').data.datasets.map(d => d.label)")
    assert "採用済みの支援のみ（今後の年度）" in series
    labels = page.evaluate("() => Chart.getChart('program-chart').data.labels.map(l => [].concat(l).join(''))")
    assert "次世代研究者挑戦的研究プログラム" in labels
    screenshot("dashboard-national")
    # in English: names and labels follow the language switch
    page.click("form.lang button[value=en]")
    page.wait_for_load_state()
    wait_until(page, "document.querySelector('#trend-chart').width > 0")
    labels = page.evaluate("() => Chart.getChart('program-chart').data.labels.map(l => [].concat(l).join(' '))")
    assert "Support for Pioneering Research Initiated by the Next Generation (SPRING)" in labels
    screenshot("dashboard-national-en")
    page.click("form.lang button[value=ja]")
    page.wait_for_load_state()
    # when: the floor is raised to ¥2,400,000
    page.fill("input[name=floor]", "2400000")
    page.click(".filters button.primary")
    page.wait_for_load_state()
    assert page.inner_text(".kpi-value >> nth=0") == "1"
    # when: drilling into 甲大学
    page.goto("/dashboards/?fiscal_year=2025")
    page.click("#table-universities >> text=甲大学")
    page.wait_for_load_state()
    assert "甲大学" in page.inner_text("h1")
    assert page.inner_text(".kpi-value >> nth=0") == "3"
    assert page.inner_text(".kpi-value >> nth=1") == "75.0%"  # its share of the national count
    assert "22,500" not in page.inner_text("main")
    screenshot("dashboard-university")
    page.click("form.lang button[value=en]")
    page.wait_for_load_state()
    screenshot("dashboard-university-en")
