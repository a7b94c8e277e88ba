"""/healthz for the container HEALTHCHECK and load balancers. Ref: #12"""

from unittest import mock

import pytest
from django.test import override_settings


def test_healthy_when_the_database_and_the_cache_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


def test_unavailable_when_the_cache_does_not_answer(client, db):
    with mock.patch("phdsupport.views.cache.set", side_effect=ConnectionError("redis is down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == "error"
    assert response.json()["database"] == "ok"


def test_unavailable_when_the_database_does_not_answer(client, db):
    with mock.patch("phdsupport.views.connection.cursor", side_effect=RuntimeError("database is down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


@pytest.mark.django_db
def test_a_container_probe_gets_the_answer_under_production_settings(client):
    # The probe asks http://127.0.0.1:8000/healthz: neither an allowed host nor HTTPS, no sign-in.
    with override_settings(ALLOWED_HOSTS=["phdsupport.example.ac.jp"], SECURE_SSL_REDIRECT=True, DEBUG=False):
        assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200
        # Every other page still refuses the host.
        assert client.get("/", HTTP_HOST="127.0.0.1:8000").status_code == 400
