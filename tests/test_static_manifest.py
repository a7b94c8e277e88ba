"""Pages render with production's static storage (the manifest written by `make static`).

Production once answered 500 on every page: collectstatic ran with a storage chosen by DEBUG,
so no manifest was written, and `{% static %}` with DEBUG off asked for one. These tests use
the manifest in STATIC_ROOT, so they fail when the build did not write it. Ref: #12
"""

import pytest
from django.conf import settings
from django.test import override_settings

PRODUCTION_STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture
def production_static():
    with override_settings(DEBUG=False, STORAGES=PRODUCTION_STORAGES):
        yield


@pytest.mark.usefixtures("production_static")
@pytest.mark.parametrize("url", ["/", "/accounts/login/"])
def test_public_pages_render_with_the_manifest(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "/static/css/site." in response.content.decode()


@pytest.mark.usefixtures("production_static")
@pytest.mark.parametrize("url", ["/", "/students/", "/students/new/"])
def test_staff_pages_render_with_the_manifest(client, staff_a, reference, url):
    client.force_login(staff_a)
    assert client.get(url).status_code == 200


@pytest.mark.usefixtures("production_static")
def test_dashboard_names_hashed_scripts(client, ministry_viewer, reference):
    client.force_login(ministry_viewer)
    response = client.get("/dashboards/")
    assert response.status_code == 200
    page = response.content.decode()
    # Hashed names (dashboard.<hash>.js) are what production's long cache headers rely on.
    assert "/static/js/dashboard.js" not in page
    assert "/static/js/dashboard." in page


@pytest.mark.usefixtures("production_static")
def test_api_docs_render_with_the_manifest(client, staff_a):
    client.force_login(staff_a)
    assert client.get("/api/v1/docs/").status_code == 200
