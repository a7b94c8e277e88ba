"""What the benches share: the peak memory of a child process doing the work.

Measured as its parent sees it: ru_maxrss of the child (getrusage(RUSAGE_CHILDREN) once it
has exited), in MB (10^6 bytes). The child is started by a small launcher process rather than
by the bench itself: Linux carries the peak of the process that calls exec into the new
program's ru_maxrss, and the bench process that generated a national data set would so lend
its own peak (658 MB once) to the child. The launcher (a bare interpreter, about 10 MB) is the
one that execs, so the child's figure is its own unless it stays below the launcher's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "print(f'child_maxrss_kb={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def production_env() -> dict[str, str]:
    """The environment of a child measured as the product runs: DEBUG off (with DEBUG on Django
    keeps every SQL statement it sent, a development artefact rather than the product's memory)."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-" + "x" * 50),
        "ALLOWED_HOSTS": "testserver",
        # Production refuses to start without a shared cache (BENCH_CACHE_URL picks its database).
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL") or os.environ.get("CACHE_URL") or "redis://127.0.0.1:6379/1",
    }


def peak_memory_mb(bench_args: list[str]) -> tuple[float, str]:
    """Run `bench/run.py *bench_args` in a fresh child process with production settings; return
    its peak resident memory in MB (ru_maxrss, kB as Linux gives it) and what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, sys.executable, str(ROOT / "bench" / "run.py"), *bench_args],
        env=production_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(
            f"the measured child failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    reported = [line for line in done.stderr.splitlines() if line.startswith("child_maxrss_kb=")]
    return int(reported[-1].removeprefix("child_maxrss_kb=")) * 1024 / 1e6, done.stdout
