"""The deployment files say what #12 asks: production-mode static files, a non-root image with a
health check, and a compose file whose services start in order. Docker is not run here."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def test_the_image_builds_static_files_with_production_settings():
    collect = [run for run in instructions("RUN") if "collectstatic" in run]
    assert collect, "the image must collect static files"
    assert all("DEBUG=false" in run for run in collect)


def test_the_image_installs_only_the_production_lock():
    steps = " ".join(instructions("RUN") + instructions("COPY"))
    assert "requirements.lock" in steps
    assert "requirements-dev.lock" not in steps


def test_the_image_runs_as_an_unprivileged_user_with_a_health_check():
    users = instructions("USER")
    assert users
    assert users[-1] not in ("root", "0")
    assert "/healthz" in instructions("HEALTHCHECK")[-1]


def test_dockerignore_keeps_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "node_modules", "staticfiles", "db.sqlite3", "secrets"):
        assert entry in ignored


def test_compose_runs_migrations_once_before_web_worker_and_beat():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    assert "migrate" in " ".join(services["migrate"]["command"])
    for name in ("web", "worker", "beat"):
        service = services[name]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["environment"]["CACHE_URL"].startswith("redis://redis:")
        assert service["environment"]["SECRET_KEY_FILE"].startswith("/run/secrets/")
        assert "SECRET_KEY" not in service["environment"]
        assert "migrate" not in " ".join(service["command"])
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]
