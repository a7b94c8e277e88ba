"""Walk every page a signed-in person can reach, in Japanese and English, and judge each one.

Shared by the browser crawl test (tests/browser/test_crawl.py, against the live test server)
and usable against any running server (`python -m tests.browser.crawl --base-url ...`).

A person whose role must pass a second factor types the demo authenticator's code (accounts.demo).
Pages come from the URL configuration (every pattern without parameters) and from links on the
pages visited, one page per kind of URL that takes a parameter, as .ci/production_smoke.py does.
Each HTML page is judged on:
- console errors and uncaught page errors (a CSP refusal, a missing file, a script error);
- axe-core (from the npm registry, served from static only for this walk): any violation of the
  WCAG 2.1 A/AA rules and of axe's best practices, whatever its impact (minor and moderate too:
  none is left, third-party pages included, so none is allowed);
- an id used twice (axe no longer checks it) and a select whose empty choice reads Django's
  "---------" instead of words in the page's language;
- language: in English, visible text or a chart label with a Japanese character outside an
  element marked lang="ja" (a proper name with no English form: a person's or a university's
  name); in Japanese, a visible English phrase (two English words or more) outside an element
  marked lang="en" or <code>.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern
from playwright.sync_api import Error as PlaywrightError

# GET would sign out, or only answers POST; the API and its docs are not pages for people.
SKIP = re.compile(r"logout|/i18n/|/accounts/login/|^/api/|^/admin/.+|^/healthz|^/static/|\.(csv|xlsx|json)\b")
# Links that change state, or more pages of the same list.
NOT_FOLLOWED = re.compile(r"/delete/|/revoke/|[?&]page=")
AXE_URL = "/static/vendor/axe/axe.min.js"
# WCAG 2.1 A/AA and axe's best practices (landmarks, heading order, one h1, regions, empty headers).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

# Visible text nodes (and form values people read: option labels, placeholders, aria-labels)
# with the nearest lang attribute, skipping what is not shown.
TEXTS_JS = """
() => {
  const out = [];
  const shown = el => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      if (e.hidden || e.getAttribute('aria-hidden') === 'true') return false;
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden') return false;
    }
    return true;
  };
  const langOf = el => (el.closest('[lang]') || document.documentElement).getAttribute('lang');
  const skipped = el => !!el.closest('script,style,code,pre,noscript,textarea');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || skipped(el)) continue;
    if (el.tagName !== 'OPTION' && !shown(el)) continue;
    out.push([langOf(el), text]);
  }
  for (const el of document.querySelectorAll('[placeholder],[aria-label],[title],input[type=submit][value]')) {
    for (const a of ['placeholder', 'aria-label', 'title', 'value']) {
      if (a === 'value' && el.type !== 'submit') continue;
      const v = el.getAttribute(a);
      if (v) out.push([langOf(el), v]);
    }
  }
  if (window.Chart) {
    for (const chart of Object.values(Chart.instances)) {
      const lang = langOf(chart.canvas);
      for (const l of chart.data.labels || []) out.push([lang, [].concat(l).join(' ')]);
      for (const d of chart.data.datasets) if (d.label) out.push([lang, d.label]);
    }
  }
  return out;
}
"""

# axe 4.14 no longer checks ids (its duplicate-id rules are deprecated); a label or an error
# summary's link pointing at the wrong field is still a fault here.
DUPLICATE_IDS_JS = """
() => {
  const seen = new Map();
  for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}
"""
DJANGO_EMPTY_CHOICE = "---------"  # Django's and django-filter's own empty choice, in no language

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")
# Two English words in a row (letters only, three or more each); a code such as JSPS_DC1,
# a unit, a username or a single program acronym is not a phrase.
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z][a-z]{2,}\s+[A-Za-z][a-z]{2,}\b")
# Words that stay as they are in Japanese pages: product and program names, formats, and
# the language switch's own "English".
JAPANESE_PAGE_ALLOWED = re.compile(
    r"^(phdsupport|English|[A-Z0-9_\-/ .()]+|Django administration|Site administration)$"
)


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


def language_problems(language: str, texts: list[tuple[str, str]]) -> list[str]:
    found = []
    for lang, text in texts:
        if language == "en" and lang != "ja" and JAPANESE.search(text):
            found.append(f"Japanese in English: {text[:80]!r}")
        elif (
            language == "ja"
            and lang != "en"
            and not JAPANESE.search(text)
            and ENGLISH_PHRASE.search(text)
            and not JAPANESE_PAGE_ALLOWED.match(text)
        ):
            found.append(f"English in Japanese: {text[:80]!r}")
    return sorted(set(found))


@dataclass
class Crawl:
    base_url: str
    password: str
    axe: bool = True
    screenshots: Path | None = None  # one full-page PNG per kind of page and language, when set
    problems: list[str] = field(default_factory=list)
    pages: int = 0
    visited: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def page_links(self, page) -> list[str]:
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        links = []
        for href in hrefs:
            url = urlsplit(urljoin(page.url, href))
            if url.netloc == urlsplit(self.base_url).netloc and url.scheme in ("http", "https"):
                links.append(url.path + (f"?{url.query}" if url.query else ""))
        return links

    def judge(self, page, label: str, language: str) -> None:
        # Django's admin is third-party text (django-axes ships no Japanese); axe still runs on it.
        if not urlsplit(page.url).path.startswith("/admin/"):
            texts = page.evaluate(TEXTS_JS)
            for text in language_problems(language, texts):
                self.problem(f"{label}: {text}")
            if any(text == DJANGO_EMPTY_CHOICE for _lang, text in texts):
                self.problem(f"{label}: a select's empty choice reads {DJANGO_EMPTY_CHOICE!r}")
        for duplicate in page.evaluate(DUPLICATE_IDS_JS):
            self.problem(f"{label}: id {duplicate!r} is used more than once")
        if not self.axe:
            return
        page.add_script_tag(url=AXE_URL)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            AXE_TAGS,
        )
        for violation in result["violations"]:  # every impact: minor and moderate too
            targets = [", ".join(n["target"]) for n in violation["nodes"][:3]]
            self.problem(f"{label}: axe {violation['impact']} {violation['id']}: {violation['help']} at {targets}")

    def shoot(self, page, name: str) -> None:
        if self.screenshots is not None:
            self.screenshots.mkdir(exist_ok=True)
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")
            page.screenshot(path=str(self.screenshots / f"crawl-{safe}.png"), full_page=True)

    def visit(self, page, label: str, language: str, path: str, errors: list[str]) -> list[str]:
        errors.clear()
        try:
            response = page.goto(path, wait_until="load")
        except PlaywrightError:
            # A download, or an error status with an empty body (405 for a POST-only address),
            # which Chromium shows as its own error page: ask without the browser instead.
            fetched = page.context.request.get(path, max_redirects=0)
            if fetched.status >= 500:
                self.problem(f"{label}: HTTP {fetched.status}")
            for _ in range(5):
                try:
                    page.goto("about:blank")
                    break
                except PlaywrightError:
                    page.wait_for_timeout(100)
            return []
        self.pages += 1
        self.visited.append(f"{label} {path}")
        if "/accounts/second-factor/" in page.url and "/accounts/second-factor/" not in path:
            self.problem(f"{label}: sent to the second-factor page ({page.url})")
        if response is None or response.status >= 500:
            self.problem(f"{label}: HTTP {response and response.status}")
        if response is None or "html" not in (response.headers.get("content-type") or ""):
            return []
        if response.status < 400:
            # Deferred scripts (charts) have run by "load"; no need to wait for the network to idle.
            self.judge(page, label, language)
            self.shoot(page, f"{label.split()[0]}-{kind_of(urlsplit(page.url).path) or path}")
        for error in errors:
            self.problem(f"{label}: {error}")
        return self.page_links(page)

    @staticmethod
    def switch_language(page, language: str) -> None:
        if page.locator("html").get_attribute("lang") != language:
            page.goto("/")
            page.click(f"header button[value={language}]")
            page.wait_for_load_state()

    def sign_in(self, page, username: str) -> None:
        """Password, then the demo authenticator's code when the account must pass a second factor
        (accounts.demo): without it every page of an officer, a ministry viewer or an administrator
        is the second-factor page."""
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", self.password)
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
        if "/accounts/second-factor/verify/" in page.url:
            from accounts.demo import demo_totp_code

            page.fill("#id_token", demo_totp_code(username))
            page.click("button[type=submit].primary")
            page.wait_for_load_state()
        elif "/accounts/second-factor/setup/" in page.url:  # no authenticator yet: enrol one from the page's key
            from base64 import b32decode

            from django_otp.oath import totp

            page.fill("#id_token", f"{totp(b32decode(page.inner_text('#totp-secret'))):06d}")
            page.click("button[type=submit].primary")
            page.wait_for_load_state()
            page.goto("/")
        if "/accounts/second-factor/" in page.url or "/accounts/login/" in page.url:
            self.problem(f"{username}: could not sign in (at {page.url})")

    def open_as(self, browser, username: str):
        """A signed-in page whose console errors, page errors and failed subresources land in the
        returned list (cleared by visit() before each page)."""
        context = browser.new_context(base_url=self.base_url, locale="ja-JP", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and not m.text.startswith("Failed to load resource")
                and errors.append(f"console error: {m.text}")
            ),
        )
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on(
            "response",
            lambda r: (
                r.status >= 400
                and r.request.resource_type != "document"
                and errors.append(f"HTTP {r.status} for {r.request.resource_type} {r.url}")
            ),
        )
        self.sign_in(page, username)
        return context, page, errors

    def walk_as(self, browser, username: str, languages=("ja", "en")) -> None:
        context, page, errors = self.open_as(browser, username)
        paths = static_paths()
        for language in languages:
            self.switch_language(page, language)
            seen_paths: set[str] = set()
            seen_kinds: set[str] = set()
            queue = deque(["/", *paths])
            while queue:
                path = queue.popleft()
                if path in seen_paths or SKIP.search(path):
                    continue
                seen_paths.add(path)
                seen_kinds.add(kind_of(path.split("?")[0]) or path)
                label = f"{username}/{language} {path}"
                for link in self.visit(page, label, language, path, errors):
                    if link in seen_paths or SKIP.search(link) or NOT_FOLLOWED.search(link):
                        continue
                    kind = kind_of(link.split("?")[0])
                    if kind is None or kind in seen_kinds:
                        continue
                    seen_kinds.add(kind)
                    queue.append(link)
        context.close()


def main() -> int:
    import argparse
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phdsupport.settings")
    django.setup()
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8103")
    parser.add_argument("--password", default="demo-pass-2025")
    parser.add_argument("--accounts", nargs="*", default=["staff", "officer", "ministry", "admin"])
    parser.add_argument("--languages", nargs="*", default=["ja", "en"])
    parser.add_argument("--no-axe", action="store_true")
    args = parser.parse_args()
    crawl = Crawl(base_url=args.base_url, password=args.password, axe=not args.no_axe)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for username in args.accounts:
            crawl.walk_as(browser, username, args.languages)
        browser.close()
    for problem in crawl.problems:
        print(problem)
    print(f"{len(crawl.problems)} problems on {crawl.pages} pages")
    return 1 if crawl.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())


# A table header squeezed: a short one (up to 8 characters between explicit line breaks) broken
# over lines, or any broken over more than three, as happens when a wide table is forced into the
# page's width (Japanese breaks anywhere, down to a character a line).
SQUEEZED_JS = """
(selector) => [...document.querySelectorAll(selector)].flatMap(th => {
  // the lines the text itself takes (a row's cells share its height, so not the cell's)
  const range = document.createRange();
  range.selectNodeContents(th);
  const tops = [...range.getClientRects()].filter(r => r.width > 0).map(r => r.top).sort((a, b) => a - b);
  const half = parseFloat(getComputedStyle(th).fontSize) / 2;
  const lines = tops.filter((top, i) => i === 0 || top - tops[i - 1] > half).length;
  const segments = th.innerText.split('\\n').map(t => t.trim()).filter(Boolean);
  const longest = Math.max(0, ...segments.map(t => t.length));
  const allowed = Math.max(segments.length, 1) - 1 + (longest <= 8 ? 1 : 3);
  return lines > allowed ? [`${segments.join(' / ')} (${lines} lines, ${Math.round(th.clientWidth)}px)`] : [];
})
"""


def squeezed_headers(page, selector: str = "thead th") -> list[str]:
    """The headers of the page's tables (`selector`) squeezed into more lines than their text needs."""
    return page.evaluate(SQUEEZED_JS, selector)
