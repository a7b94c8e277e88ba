import pytest

from tests.browser.conftest import enrol_second_factor, sign_in, wait_until

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


def test_ministry_official_enrols_an_authenticator_then_passes_it_at_the_next_sign_in(
    page, screenshot, ministry_viewer, reference
):
    # given: a ministry official without an authenticator
    page.goto("/accounts/login/")
    page.fill("#id_username", "ministry")
    page.fill("#id_password", "pass-for-tests-1")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    # then: the enrolment page draws a QR code itself (an inline SVG) with the key beside it
    assert "/accounts/second-factor/setup/" in page.url
    assert page.locator("#totp-qr svg").count() == 1
    screenshot("second-factor-setup-ja")
    page.click("button[value=en]")
    page.wait_for_load_state()
    screenshot("second-factor-setup-en")
    # when: the code from the key is typed, recovery codes are shown once
    enrol_second_factor(page)
    assert page.locator("#recovery-codes li").count() == 10
    screenshot("second-factor-recovery-codes-en")
    # and at the next sign-in the code is asked for before any page
    page.goto("/")
    page.click("header form.inline button")
    page.wait_for_load_state()
    page.goto("/accounts/login/?next=/dashboards/")
    page.fill("#id_username", "ministry")
    page.fill("#id_password", "pass-for-tests-1")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert "/accounts/second-factor/verify/" in page.url
    screenshot("second-factor-verify-en")
    page.click("button[value=ja]")
    page.wait_for_load_state()
    screenshot("second-factor-verify-ja")
    sign_in(page, "ministry")  # types the authenticator's current code
    page.goto("/dashboards/")
    assert "/dashboards/" in page.url
    assert "ministry" in page.inner_text("header")


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
    wait_until(page, "document.activeElement.matches('[data-error-summary]')")
    screenshot("keyboard-error-summary")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#id_student_number"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#id_student_number"
    assert page.evaluate("document.activeElement.id") == "id_student_number"
