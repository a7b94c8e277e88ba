"""Content-Security-Policy: our pages run only scripts and styles from our own static files. Ref: #12"""

import re

import pytest

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle=", re.I)


def policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


def assert_no_inline_code(page: str) -> None:
    assert not INLINE_SCRIPT.search(page), INLINE_SCRIPT.search(page).group(0)
    assert not EVENT_HANDLER.search(page), EVENT_HANDLER.search(page).group(0)
    assert not STYLE_ATTRIBUTE.search(page), STYLE_ATTRIBUTE.search(page).group(0)


def test_pages_send_a_policy_without_inline_code(client, db):
    response = client.get("/accounts/login/")
    directives = policy(response)
    assert directives["script-src"] == "script-src 'self'"
    assert directives["style-src"] == "style-src 'self'"
    assert directives["object-src"] == "object-src 'none'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"


@pytest.mark.parametrize("url", ["/dashboards/", "/dashboards/reports/"])
def test_dashboards_have_no_inline_code(client, ministry_viewer, reference, url):
    client.force_login(ministry_viewer)
    response = client.get(url)
    assert response.status_code == 200
    assert_no_inline_code(response.content.decode())


@pytest.mark.parametrize("url", ["/", "/students/", "/students/reports/", "/students/uploads/"])
def test_staff_pages_have_no_inline_code(client, staff_a, reference, url):
    client.force_login(staff_a)
    response = client.get(url)
    assert response.status_code == 200
    assert_no_inline_code(response.content.decode())


def test_swagger_docs_keep_the_strict_policy(client, staff_a):
    client.force_login(staff_a)
    page = client.get("/api/v1/docs/")
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    assert "<style" not in page.content.decode()
    assert_no_inline_code(page.content.decode())
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_redoc_alone_allows_injected_styles(client, staff_a):
    client.force_login(staff_a)
    page = client.get("/api/v1/redoc/")
    directives = policy(page)
    assert directives["style-src"] == "style-src 'self' 'unsafe-inline'"
    assert directives["script-src"] == "script-src 'self'"
    assert_no_inline_code(page.content.decode())
