"""The code a process runs, as a short token that changes with every deploy that changes it.

Page caches name it in their keys beside the data's version (`facts_version`, `money_version`):
figures, labels and static file names cached by one release are never served by the next (a
deploy otherwise showed the old page for up to a day). Read from the files themselves, so every
process of one release agrees without being told, and a restart of the same release keeps its
cache."""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

from django.conf import settings

# What a page is made of: code, templates, translations, static files, and the libraries' versions.
SUFFIXES = (".py", ".html", ".mo", ".css", ".js")
LOCKS = ("requirements.lock", "package-lock.json")
SKIPPED = {"node_modules", "staticfiles", "tests", "bench", "screenshots", "__pycache__"}


def digest(root: Path) -> str:
    found = hashlib.sha256()
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name not in SKIPPED and not name.startswith("."))
        for name in sorted(files):
            if name.endswith(SUFFIXES) or (name in LOCKS and Path(folder) == root):
                path = Path(folder) / name
                found.update(str(path.relative_to(root)).encode())
                found.update(path.read_bytes())
    return found.hexdigest()[:12]


@cache
def code_version() -> str:
    """This process's release (read once: the files do not change under a running process)."""
    return digest(Path(settings.BASE_DIR))
