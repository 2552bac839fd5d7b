"""Labels the app's coverage with the running test, for the per-flow summary of `make e2e-coverage`.

Only active when NMC_COVERAGE_CONTEXTS is set (the Makefile target does). Before each test, once its
stack is up, the processes of this worker's own stack switch their coverage context to
``<flow markers>|<test id>`` (stack/coverage_contexts.py explains the handshake), so
scripts/e2e_coverage.py can tell which app modules each flow exercises. A shared or external stack
serves several workers at once: its lines cannot be told apart per test and are left unlabelled.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from e2e.plugins.common import STACK_PIDS
from stack.coverage_contexts import CONTEXTS_ENV, SWITCH_SIGNAL, ack_path, label_path, ready_path
from stack.waiting import wait_until

ACK_TIMEOUT_S = 5.0


def flow_markers(item: pytest.Item) -> list[str]:
    """The item's markers that name a flow (those registered in the ini `markers`)."""
    registered = {line.split(":", 1)[0].strip() for line in item.config.getini("markers")}
    return sorted({mark.name for mark in item.iter_markers()} & registered)


def context_label(item: pytest.Item) -> str:
    return f"{','.join(flow_markers(item))}|{item.nodeid}"


def switch_contexts(folder: Path, pids: tuple[int, ...], label: str) -> None:
    """Tells each announced process to switch, and waits until each has (or has exited)."""
    waiting = []
    for pid in pids:
        if not ready_path(folder, pid).exists():
            continue  # not measured (or not a Python process): SIGUSR1 would end it
        label_path(folder, pid).write_text(label, encoding="utf-8")
        try:
            os.kill(pid, SWITCH_SIGNAL)
        except ProcessLookupError:
            continue
        waiting.append(pid)
    for pid in waiting:
        wait_until(partial(_acknowledged, folder, pid, label), timeout=ACK_TIMEOUT_S, interval=0.005,
                   message=f"process {pid} to switch its coverage context to {label!r}")


def _acknowledged(folder: Path, pid: int, label: str) -> bool:
    try:
        return ack_path(folder, pid).read_text(encoding="utf-8") == label
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _coverage_context(request: pytest.FixtureRequest) -> Iterator[None]:
    folder = os.environ.get(CONTEXTS_ENV)
    if not folder or "stack" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("stack")  # started first: its pids are known once it is up
    pids = request.config.stash.get(STACK_PIDS, ())
    switch_contexts(Path(folder), pids, context_label(request.node))
    yield
