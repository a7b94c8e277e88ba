"""Production-settings smoke test: every demo account walks every page, in Japanese and English.

Run against a server started with production settings (DEBUG off, the manifest storage, secure
cookies, the Content-Security-Policy); `.ci/smoke` starts one and runs this. It fails on any 5xx
answer, any console error (a CSP refusal, a missing static file, a script error) and any
uncaught page error.

Pages come from two places: the URL patterns without parameters (from the URL configuration, so
a new page is walked without anyone listing it) and links followed from the pages visited, one
page per kind of URL that needs a parameter (a student, an award, a report, a university...).

The server sees every request as HTTPS: Playwright sends X-Forwarded-Proto: https (honoured by
SECURE_PROXY_SSL_HEADER), as a TLS-terminating proxy would. Chromium treats http://127.0.0.1 as
a secure context, so it keeps the Secure session and CSRF cookies; the script checks it does.

    DJANGO_SETTINGS_MODULE=phdsupport.settings (same environment as the server)
    python .ci/production_smoke.py --base-url http://127.0.0.1:8766
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phdsupport.settings")
# Playwright's sync API runs an event loop in this thread; the demo code look-up below reads the
# database synchronously, as tests/browser/conftest.py allows for the same reason.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.urls import URLPattern, URLResolver, get_resolver, resolve  # noqa: E402
from django.urls.exceptions import Resolver404  # noqa: E402
from django.urls.resolvers import RegexPattern, RoutePattern  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from accounts.demo import demo_totp_code  # noqa: E402

ACCOUNTS = ["staff", "staff_kyoto", "officer", "officer_jsps", "ministry", "admin"]
PASSWORD = "demo-pass-2025"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# GET would sign out, or the page only answers POST with a redirect that proves nothing.
SKIP = re.compile(r"logout|/i18n/|/accounts/login/")
# Links that change state or download a large file are not followed (downloads are still fetched).
NOT_FOLLOWED = re.compile(r"/delete/|/revoke/|\?.*\bpage=")


def static_paths() -> list[str]:
    """Every URL pattern that takes no parameter, as a path."""
    paths: list[str] = []

    def literal(pattern) -> str | None:
        if isinstance(pattern, RoutePattern):
            return None if pattern.converters else str(pattern)
        if isinstance(pattern, RegexPattern):
            if pattern.regex.groups:
                return None
            text = pattern.regex.pattern.removeprefix("^").removesuffix("$").removesuffix("\\Z")
            return None if re.search(r"[\\()\[\]?*+|{}^$]", text) else text
        return None

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            part = literal(entry.pattern)
            if part is None:
                continue
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + part)
            elif isinstance(entry, URLPattern):
                paths.append("/" + prefix + part)

    walk(get_resolver().url_patterns, "")
    return sorted({p for p in paths if not SKIP.search(p)})


def kind_of(path: str) -> str | None:
    """The URL pattern's name (namespaced), or None for a path outside the URL configuration."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return f"{match.view_name}" if match.route else None


@dataclass
class Walk:
    base_url: str
    verbose: bool = False
    problems: list[str] = field(default_factory=list)
    pages: int = 0

    def problem(self, text: str) -> None:
        print(f"  FAIL {text}", flush=True)
        self.problems.append(text)


def sign_in(page, walk: Walk, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    if "/accounts/second-factor/verify/" in page.url:  # the demo authenticator (accounts.demo)
        page.fill("#id_token", demo_totp_code(username))
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
    cookies = {c["name"]: c for c in page.context.cookies()}
    if "sessionid" not in cookies:
        walk.problem(f"{username}: no session cookie after sign-in (Secure cookie refused?) at {page.url}")
        return
    if not cookies["sessionid"]["secure"]:
        walk.problem(f"{username}: the session cookie is not Secure")
    if username not in page.inner_text("header"):
        walk.problem(f"{username}: not signed in (header: {page.inner_text('header')[:80]!r})")


def visit(page, walk: Walk, label: str, path: str, errors: list[str]) -> list[str]:
    """Open one page; report 5xx and console errors; return the same-site links on it."""
    errors.clear()
    if walk.verbose:
        print(f"  {label} {path}", flush=True)
    try:
        response = page.goto(path, wait_until="load")
    except PlaywrightError:
        # A download, or an error status with an empty body (405 for a POST-only address), which
        # Chromium shows as its own error page: ask again without the browser, then settle the tab.
        fetched = page.context.request.get(path, max_redirects=0)
        walk.pages += 1
        if fetched.status >= 500:
            walk.problem(f"{label} {path}: HTTP {fetched.status}")
        for _ in range(5):  # Chromium may still be loading its error page; let it finish first
            try:
                page.goto("about:blank")
                break
            except PlaywrightError:
                page.wait_for_timeout(100)
        return []
    walk.pages += 1
    if response.status >= 500:
        walk.problem(f"{label} {path}: HTTP {response.status}")
    for error in errors:
        walk.problem(f"{label} {path}: {error}")
    if "html" not in (response.headers.get("content-type") or ""):
        return []
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    links = []
    for href in hrefs:
        url = urlsplit(urljoin(page.url, href))
        if url.netloc == urlsplit(walk.base_url).netloc and url.scheme in ("http", "https"):
            links.append(url.path + (f"?{url.query}" if url.query else ""))
    return links


def walk_as(browser, walk: Walk, username: str, paths: list[str]) -> None:
    context = browser.new_context(
        base_url=walk.base_url,
        locale="ja-JP",
        extra_http_headers={"X-Forwarded-Proto": "https"},
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    errors: list[str] = []

    def on_console(message) -> None:
        # "Failed to load resource" repeats a status that on_response judges: a 403 or 404 for the
        # page itself is an answer (a role without access), for a script or style it is a fault.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"console error: {message.text}")

    def on_response(response) -> None:
        is_page = response.request.resource_type == "document"
        if response.status >= 500 or (response.status >= 400 and not is_page):
            errors.append(f"HTTP {response.status} for {response.request.resource_type} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("response", on_response)
    sign_in(page, walk, username)
    for language in ("ja", "en"):
        if language == "en":
            page.goto("/")
            page.click("header button[value=en]")
            page.wait_for_load_state()
        lang = page.locator("html").get_attribute("lang")
        if lang != language:
            walk.problem(f"{username}: language switch gave lang={lang!r}, not {language!r}")
        label = f"{username}/{language}"
        started, before = time.monotonic(), walk.pages
        seen_paths: set[str] = set()
        seen_kinds: set[str] = set()
        # The admin's own pages only for the administrator; others see it send them to its login.
        own = paths if username == "admin" else [p for p in paths if not p.startswith("/admin/") or p == "/admin/"]
        queue = deque(["/", *own])
        while queue:
            path = queue.popleft()
            if path in seen_paths or SKIP.search(path):
                continue
            seen_paths.add(path)
            seen_kinds.add(kind_of(path.split("?")[0]) or path)
            for link in visit(page, walk, label, path, errors):
                if link in seen_paths or SKIP.search(link) or NOT_FOLLOWED.search(link):
                    continue
                kind = kind_of(link.split("?")[0])
                if kind is None or kind in seen_kinds:
                    continue
                seen_kinds.add(kind)
                queue.append(link)
        print(f"  {label}: {walk.pages - before} pages in {time.monotonic() - started:.1f} s", flush=True)
    context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default=os.environ.get("SMOKE_BASE_URL", "http://127.0.0.1:8766"))
    parser.add_argument("--accounts", nargs="*", default=ACCOUNTS)
    parser.add_argument("--verbose", action="store_true", help="print every page visited")
    args = parser.parse_args()
    walk = Walk(base_url=args.base_url.rstrip("/"), verbose=args.verbose)
    paths = static_paths()
    print(f"{len(paths)} URL patterns without parameters; accounts: {', '.join(args.accounts)}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        for username in args.accounts:
            walk_as(browser, walk, username, paths)
        browser.close()
    if walk.problems:
        print(f"\n{len(walk.problems)} problem(s) on {walk.pages} pages:")
        for text in walk.problems:
            print(f"  {text}")
        return 1
    print(f"\nproduction smoke passed: {walk.pages} pages, {len(args.accounts)} accounts, Japanese and English")
    return 0


if __name__ == "__main__":
    sys.exit(main())
