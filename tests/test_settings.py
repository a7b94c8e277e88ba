import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_settings(**env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "PHDSUPPORT_TESTING", "SECRET_KEY_FILE", "CACHE_URL"}
    }
    clean.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='phdsupport.settings'; django.setup()",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )


def test_missing_secret_key_is_a_clear_error_when_debug_is_off():
    result = run_settings()
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_secret_key_from_file(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("a-secret-from-a-file-0123456789")
    assert run_settings(SECRET_KEY_FILE=str(secret), CACHE_URL="redis://127.0.0.1:6379/13").returncode == 0


def test_production_without_a_shared_cache_is_a_clear_error():
    # Ref: #12: per-process memory caches disagree between gunicorn workers.
    result = run_settings(SECRET_KEY="a-production-secret-0123456789-abcdefghij")
    assert result.returncode != 0
    assert "CACHE_URL is not set" in result.stderr


def test_production_with_a_shared_cache_starts():
    result = run_settings(SECRET_KEY="a-production-secret-0123456789-abcdefghij", CACHE_URL="redis://127.0.0.1:6379/13")
    assert result.returncode == 0, result.stderr


def test_debug_keeps_the_process_memory_cache():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='phdsupport.settings'; django.setup();"
            "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        ],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "CACHE_URL"}, "DEBUG": "true"},
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip().endswith("LocMemCache"), result.stderr


def test_debug_runs_without_a_secret_key():
    assert run_settings(DEBUG="true").returncode == 0
