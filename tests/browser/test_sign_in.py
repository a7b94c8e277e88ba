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
    assert page.locator(".error-summary").count() == 1  # the summary at the top, focused


def test_a_form_works_by_keyboard_alone_with_visible_focus(page, screenshot, staff_a, reference):
    # Ref: #13. Sign in, fill and send a form, and reach each error, with the keyboard only.
    page.goto("/")
    page.keyboard.press("Tab")  # the first stop is the skip link, shown when focused
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0
    page.goto("/accounts/login/")
    assert page.evaluate("document.activeElement.id") == "id_username"  # the form takes the focus
    page.keyboard.type("staff_a")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_password"
    # the focus ring is drawn (DADS: a thick outline), not left to the browser or removed
    assert float(page.evaluate("getComputedStyle(document.activeElement).outlineWidth").removesuffix("px")) >= 3
    page.keyboard.type("pass-for-tests-1")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "staff_a" in page.inner_text("header")
    # an empty student form sent with Enter: the summary takes the focus and links to each field
    page.goto("/students/new/")
    page.focus("#id_student_number")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.wait_for_function("document.activeElement.matches('[data-error-summary]')")
    screenshot("keyboard-error-summary")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#id_student_number"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#id_student_number"
    assert page.evaluate("document.activeElement.id") == "id_student_number"
