"""Playwright on Debian's Chromium against the live test server.

Screenshots land in screenshots/ for a person to look at. Outside CI a missing Chromium
skips these tests; with CI=true it fails them.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"

# Playwright's sync API runs an event loop in this thread; the ORM calls in fixtures are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, username: str, password: str = "pass-for-tests-1") -> None:
    """Sign in through the pages, second factor included: a person with an authenticator types
    its code; a ministry, officer or administrator without one enrols one from the QR page's key."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    if "/accounts/second-factor/setup/" in page.url:
        enrol_second_factor(page)
        page.click("#recovery-codes ~ p a")
        page.wait_for_load_state()
    elif "/accounts/second-factor/verify/" in page.url:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from accounts.demo import totp_code

        page.fill("#id_token", totp_code(TOTPDevice.objects.get(user__username=username, confirmed=True)))
        page.click("button[type=submit].primary")
        page.wait_for_load_state()


def enrol_second_factor(page) -> None:
    """On the enrolment page: read the key shown beside the QR code and type its current code,
    as a person's authenticator app would."""
    from base64 import b32decode

    from django_otp.oath import totp

    secret = page.inner_text("#totp-secret")
    page.fill("#id_token", f"{totp(b32decode(secret)):06d}")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Wait until a JavaScript expression is true in the page.

    Playwright's wait_for_function polls by eval() inside the page, which the site's
    Content-Security-Policy (script-src 'self', no 'unsafe-eval') refuses whenever the
    first check is not already true. page.evaluate goes through the DevTools protocol,
    which the policy does not govern, so this polls that instead.
    """
    import time

    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression):
                return
        except Error as error:  # a navigation under way replaces the page's context: look again
            if "context was destroyed" not in str(error):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)
