"""Per-test coverage contexts for the stack's processes (`make e2e-coverage`).

coverage.py measures the app in its own process (started by COVERAGE_PROCESS_START through the .pth
file coverage installs), where it cannot know which flow test is running. This coverage plugin, loaded
in every measured process ([tool.coverage.run] plugins), lets the test process tell it: with
NMC_COVERAGE_CONTEXTS set to a folder, a process announces itself with ``<folder>/<pid>.ready`` and
switches its dynamic context when it receives SIGUSR1, to the label the test process wrote in
``<folder>/<pid>.label``; it acknowledges in ``<folder>/<pid>.ack``. The suite's side is
e2e/plugins/coverage.py. Without the variable the plugin does nothing.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

CONTEXTS_ENV = "NMC_COVERAGE_CONTEXTS"
SWITCH_SIGNAL = signal.SIGUSR1


def label_path(folder: Path, pid: int) -> Path:
    return folder / f"{pid}.label"


def ack_path(folder: Path, pid: int) -> Path:
    return folder / f"{pid}.ack"


def ready_path(folder: Path, pid: int) -> Path:
    return folder / f"{pid}.ready"


def _switch(folder: Path) -> None:
    import coverage

    current = coverage.Coverage.current()
    pid = os.getpid()
    try:
        label = label_path(folder, pid).read_text(encoding="utf-8")
    except OSError:
        return
    if current is not None:
        current.switch_context(label)
    ack_path(folder, pid).write_text(label, encoding="utf-8")


def coverage_init(reg: Any, options: dict[str, Any]) -> None:
    """coverage.py's plugin entry point: registers nothing, installs the SIGUSR1 handler when asked to."""
    folder = os.environ.get(CONTEXTS_ENV)
    # Only the main thread may install a handler; never take over a handler the program set itself.
    if not folder or threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(SWITCH_SIGNAL) is not signal.SIG_DFL:
        return
    path = Path(folder)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        _switch(path)

    signal.signal(SWITCH_SIGNAL, on_signal)
    path.mkdir(parents=True, exist_ok=True)
    ready_path(path, os.getpid()).touch()
