"""suite_wall_s: the whole flow suite, including stack start, with `-n WORKERS` and serially (`-n 0`).

Each run is `python -m pytest e2e` in a subprocess with its own --output directory, so the suite's
usual test-results/ (and e2e/durations.json) stay untouched. Heavy: minutes of two-core CPU.

The runs alternate, parallel then serial, ROUNDS times (5 by default): on a shared host the speed drifts by several
seconds within minutes, and one pair of runs can put the drift into the ratio. The figures are the
medians of the runs that passed; `speedup` = median serial / median parallel; every run is kept.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from statistics import median
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
    return {"wall_s": round(wall, 1), "exit_code": done.returncode, "summary": tail,
            "failures": failed_tests(done.stdout), **counts}


def failed_tests(output: str) -> list[str]:
    """The FAILED / ERROR lines of pytest's short summary (-ra): a run's output is thrown away with its
    folder, and a flaky failure in one of ten runs must still name itself."""
    return [line.strip() for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]


def _median_wall(runs: list[dict[str, Any]]) -> float | None:
    """A failed run's time is not the suite's time: only passing runs count."""
    passed = [run["wall_s"] for run in runs if run["exit_code"] == 0]
    return round(median(passed), 1) if passed else None


def measure(*, workers: int = 2, rounds: int = 5) -> dict[str, Any]:
    """`rounds` pairs of runs, parallel first in each (what `make e2e` runs), then serial."""
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, not {rounds}")
    parallel_runs: list[dict[str, Any]] = []
    serial_runs: list[dict[str, Any]] = []
    for _ in range(rounds):
        parallel_runs.append(run_suite(workers))
        serial_runs.append(run_suite(0))
    parallel, serial = _median_wall(parallel_runs), _median_wall(serial_runs)
    return {
        "serial": serial,
        "parallel": parallel,
        "workers": workers,
        "speedup": round(serial / parallel, 2) if serial and parallel else None,
        "rounds": rounds,
        "speedup_per_round": [round(s["wall_s"] / p["wall_s"], 2) if p["wall_s"] else None
                              for p, s in zip(parallel_runs, serial_runs, strict=True)],
        "parallel_runs": parallel_runs,
        "serial_runs": serial_runs,
    }
