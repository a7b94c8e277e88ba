import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_settings(**env):
    clean = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "PHDSUPPORT_TESTING", "SECRET_KEY_FILE"}
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
    assert run_settings(SECRET_KEY_FILE=str(secret)).returncode == 0


def test_debug_runs_without_a_secret_key():
    assert run_settings(DEBUG="true").returncode == 0
