import pytest

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_and_switch_to_english(page, screenshot, staff_a):
    # given: the home page in Japanese
    page.goto("/")
    assert "博士後期課程学生への経済的支援" in page.content()
    # when: staff sign in
    sign_in(page, "staff_a")
    # then: the header names them and their university
    assert "staff_a" in page.inner_text("header")
    assert "甲大学" in page.inner_text("header")
    screenshot("home-ja")
    # when: switching to English
    page.click("button[value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot("home-en")


def test_wrong_password_is_refused(page, staff_a):
    sign_in(page, "staff_a", password="wrong")
    assert page.url.endswith("/accounts/login/")
    assert page.locator(".errorlist").count() >= 1
