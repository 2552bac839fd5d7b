"""Starting the stack (app + Twilio fake + Stripe fake) exactly as the flow suite does: stack.launcher.StackLauncher."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import median
from typing import Any

from stack import config as suite_config
from stack.description import Stack
from stack.launcher import StackLauncher


@dataclass(frozen=True)
class RunningStack:
    stack: Stack
    app_pid: int  # for attaching a profiler (py-spy) to the app under load
    worker_pid: int | None = None  # the outbox worker's process, when it runs on its own

    @property
    def topology(self) -> str:
        return "in-process worker" if self.worker_pid is None else "web + separate worker"


@contextmanager
def running_stack(*, database_url: str | None = None, name: str = "bench", workdir: Path | None = None,
                  extra_env: dict[str, str] | None = None, separate_worker: bool = False) -> Iterator[RunningStack]:
    """A stack of our own, stopped on exit. `database_url` None = a SQLite file in the work dir (the suite's default).

    `extra_env` overrides the app's environment from playwright.config.toml (e.g. a profiling switch);
    `separate_worker` runs the outbox worker as its own process ([stack.worker]).
    """
    config = suite_config.load().stack
    if extra_env:
        config = replace(config, app=replace(config.app, env={**config.app.env, **extra_env}))
    with tempfile.TemporaryDirectory(prefix=f"nmc-{name}-") as tmp:
        launcher = StackLauncher(config, workdir or Path(tmp), database_url=database_url, name=name,
                                 separate_worker=separate_worker)
        with launcher as stack:
            pids = {process.name: process.popen.pid for process in launcher.processes}
            yield RunningStack(stack, pids["app"], pids.get("worker"))


def measure_start(*, samples: int, database_url: str | None = None) -> dict[str, Any]:
    """Starts and stops the stack `samples` times; the figure is the median wall time until all three answer."""
    totals: list[float] = []
    parts: list[dict[str, float]] = []
    for index in range(samples):
        started = time.monotonic()
        with running_stack(database_url=database_url, name=f"start{index}") as running:
            totals.append(time.monotonic() - started)
            parts.append(running.stack.timings)
    return {
        "median_s": round(median(totals), 2),
        "samples_s": [round(t, 2) for t in totals],
        "fakes_s_median": round(median(p["fakes_s"] for p in parts), 2),
        "app_s_median": round(median(p["app_s"] for p in parts), 2),
        "db": "sqlite" if database_url is None else "postgresql",
    }
