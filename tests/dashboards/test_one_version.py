"""Issue #13 item 1: every figure of a dashboard page comes from one version of the facts.

The headline, the tables, the chart data and the university table must all move together
after a write; cached fragments keyed by values the view never passed kept the old figures.
"""

import json
import re

import pytest

from programs.labels import fiscal_year_label
from students import services
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
FY = 2025


def _json_script(body: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', body, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def _trend_row(rows, fy):
    label = fiscal_year_label(fy)  # the page's language: 令和7年度 here
    return next(row for row in rows if str(row[0]) == label)


def _table_row(body: str, table_key: str, first_cell: str) -> str:
    section = body.split(f'id="table-{table_key}"', 1)[1].split("</section>", 1)[0]
    row = next(tr for tr in section.split("<tr>") if first_cell in tr)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()


def _raise_s3_to_the_floor(population, capture):
    with capture(execute=True):
        services.award_update(
            award=population["students"][3].awards.get(),
            annual_living_cost=1_800_000,
            acting_user=population["staff_a"],
        )


def test_every_figure_of_the_national_page_follows_a_write(client, population, django_capture_on_commit_callbacks):
    client.force_login(user_with_role("one_version_viewer", "ministry_viewer"))
    # given: the page has been rendered (and its fragments cached) with 4 counted students
    before = client.get("/dashboards/", {"fiscal_year": FY}).content.decode()
    assert _trend_row(_json_script(before, "trend-data"), FY)[1] == 4
    # when: s3's RA pay at 甲大学 is raised to the floor
    _raise_s3_to_the_floor(population, django_capture_on_commit_callbacks)
    # then: the headline, the trend table and chart data, the program table and chart data and
    # the university table all show the new figure
    body = client.get("/dashboards/", {"fiscal_year": FY}).content.decode()
    assert '<span class="kpi-value">5</span>' in body
    assert _trend_row(_json_script(body, "trend-data"), FY)[1] == 5
    assert " 5 " in f" {_table_row(body, 'trend', '令和7年度')} "
    programs = {row[0]: row[2] for row in _json_script(body, "program-data")}
    assert sum(n for n in programs.values() if n != "") == 5
    assert _table_row(body, "universities", "甲大学").split()[3] == "4"


def test_every_figure_of_the_university_page_follows_a_write(client, population, django_capture_on_commit_callbacks):
    client.force_login(population["staff_a"])
    url = f"/dashboards/universities/{population['a'].pk}/"
    before = client.get(url, {"fiscal_year": FY}).content.decode()
    assert _trend_row(_json_script(before, "trend-data"), FY)[1] == 3
    _raise_s3_to_the_floor(population, django_capture_on_commit_callbacks)
    body = client.get(url, {"fiscal_year": FY}).content.decode()
    assert '<span class="kpi-value">4</span>' in body
    assert _trend_row(_json_script(body, "trend-data"), FY)[1] == 4
    assert " 4 " in f" {_table_row(body, 'trend', '令和7年度')} "
    programs = {row[0]: row[2] for row in _json_script(body, "program-data")}
    assert sum(n for n in programs.values() if n != "") == 4
