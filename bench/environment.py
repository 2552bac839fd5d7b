"""What the figures were measured on: CPUs, Python, database server, browser, commit."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20, cwd=PROJECT_ROOT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def database_version(url: str | None) -> str:
    """'PostgreSQL 15.x' from the server itself, or 'sqlite' when no server is used."""
    if not url or url.startswith("sqlite"):
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            version = str(conn.execute(text("SHOW server_version")).scalar() or "")
    finally:
        engine.dispose()
    return f"PostgreSQL {version.split()[0]}" if version else "PostgreSQL"


def browser_version() -> str:
    """The Chromium the flow suite drives (scripts/ensure-browser.sh prefers the system's)."""
    for candidate in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(candidate)
        if path:
            return _run([path, "--version"]) or path
    return "none found"


def describe(database_url: str | None) -> dict[str, Any]:
    git_sha = _run(["git", "rev-parse", "--short", "HEAD"])
    dirty = bool(_run(["git", "status", "--porcelain", "--untracked-files=no"]))
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "db": database_version(database_url),
        "browser": browser_version(),
        "git_sha": git_sha + ("-dirty" if dirty and git_sha else ""),
        "platform": platform.platform(),
    }


def core_speed_ms(rounds: int = 5) -> float:
    """Best of `rounds` timings of one fixed pure-Python workload, in ms: how fast a core ran just now.

    This host's speed drifts by tens of percent within an hour (other tenants of the machine): figures
    from two runs compare only when this does. Taken before and after a run; higher is slower.
    """
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(200_000):
            total += i * i % 7
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 2)

