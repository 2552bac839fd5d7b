"""suite_wall_s: the whole flow suite, including stack start, with `-n WORKERS` and serially (`-n 0`).

Each run is `python -m pytest e2e` in a subprocess with its own --output directory, so the suite's
usual test-results/ (and e2e/durations.json) stay untouched. Heavy: minutes of two-core CPU.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.environment import PROJECT_ROOT

_COUNTS = re.compile(r"(\d+) (passed|failed|error|errors|skipped)")


def run_suite(workers: int, *, extra: list[str] | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="nmc-suite-") as output:
        command = [sys.executable, "-m", "pytest", "e2e", "-q", "-p", "no:cacheprovider", "-n", str(workers),
                   "--output", output, *(extra or [])]
        started = time.monotonic()
        done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False, timeout=1800)
        wall = time.monotonic() - started
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    counts = {kind: int(n) for n, kind in _COUNTS.findall(tail)}
    return {"wall_s": round(wall, 1), "exit_code": done.returncode, "summary": tail, **counts}


def measure(*, workers: int = 2) -> dict[str, Any]:
    """Parallel first (what `make e2e` runs), then serial; speedup = serial / parallel."""
    parallel = run_suite(workers)
    serial = run_suite(0)
    return {
        "serial": serial["wall_s"],
        "parallel": parallel["wall_s"],
        "workers": workers,
        "speedup": round(serial["wall_s"] / parallel["wall_s"], 2) if parallel["wall_s"] else None,
        "parallel_run": parallel,
        "serial_run": serial,
    }
