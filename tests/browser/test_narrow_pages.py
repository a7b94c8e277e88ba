"""The student list and the enrolment statistics page on a phone (390 px), in Japanese and
English (issue #13): the page itself never scrolls sideways; a table wider than the screen
scrolls in its own region, which a keyboard reaches and a screen reader names."""

from datetime import date

import pytest

from enrolment import services as enrolment
from tests.browser.conftest import sign_in
from tests.browser.test_payments_layout import page_scrolls_sideways
from tests.enrolment.factories import values
from tests.factories import StudentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ("/students/", "/enrolment/")


@pytest.fixture
def recorded(university_a, staff_a):
    for number in range(3):
        StudentFactory(
            university=university_a,
            student_number=f"NARROW{number:04d}",
            erad_number=f"9000{number:04d}",
            entry_date=date(2024, 4, 1),
        )
    for year in (2023, 2024):
        enrolment.statistic_create(university=university_a, acting_user=staff_a, **values(fiscal_year=year))
    return staff_a


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_pages_fit_a_phone_and_their_tables_scroll_in_their_own_region(page, screenshot, recorded, language):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "staff_a")
    if language == "en":
        page.goto("/")
        page.click("header button[value=en]")
        page.wait_for_load_state()
    for path in PAGES:
        page.goto(path)
        screenshot(f"narrow-{path.strip('/')}-{language}-390")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, (
            path,
            page_scrolls_sideways(page),
        )
        # Every table sits in a region of its own: focusable, named, and scrolling if it must.
        for table in page.locator("main table").all():
            region = table.locator("xpath=ancestor::div[contains(@class, 'scroll-x')][1]")
            assert region.count() == 1, (path, table.evaluate("el => el.id || el.outerHTML.slice(0, 80)"))
            assert region.get_attribute("tabindex") == "0"
            assert region.get_attribute("role") == "region"
            assert region.get_attribute("aria-label") or region.get_attribute("aria-labelledby")
