"""CPU time of processes, read from /proc (Linux). Elsewhere every reader answers None.

The suite uses it to learn how much CPU each flow test keeps busy (its pytest process, the Playwright
driver and browser under it, and the stack serving it), which the xdist scheduler uses to run tests that
mostly wait next to tests that mostly compute; the bench uses it for the app's CPU under load.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Iterable
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROC = Path("/proc")


def _stat_fields(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses)."""
    try:
        return (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds the process has used so far (None when /proc cannot tell)."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def tree_snapshot(roots: Iterable[int]) -> dict[int, int] | None:
    """CPU ticks used so far by each of the given processes and their living descendants (user + system,
    plus the children each already reaped: a renderer that ended with its page still counts, through the
    process that waited for it). None without /proc. Compare two with :func:`cpu_s_between`."""
    wanted = set(roots)
    if not wanted or not _PROC.is_dir():
        return None
    children: dict[int, list[int]] = {}
    used: dict[int, int] = {}
    try:
        entries = list(os.scandir(_PROC))
    except OSError:
        return None
    for entry in entries:
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry.name)
        if fields is None:  # ended while we looked
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)  # ppid
        used[pid] = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    tree: dict[int, int] = {}
    pending = [pid for pid in wanted if pid in used]
    while pending:
        pid = pending.pop()
        if pid not in tree:
            tree[pid] = used[pid]
            pending.extend(children.get(pid, ()))
    return tree


def cpu_s_between(before: dict[int, int], after: dict[int, int]) -> float | None:
    """CPU seconds the tree used between two snapshots, or None when it cannot tell.

    A process that ended in between was reaped by its parent, whose reaped-children figure now holds all
    its CPU, including what ``before`` already counted: that part is taken off again. A process new in
    ``after`` (or a pid used again) counts whole. When processes ended without a parent in the tree to
    reap them (a browser killed with its process group: its children go to init), their CPU leaves the
    tree, the sum can go below zero, and the answer is None."""
    ticks = 0
    for pid, now in after.items():
        then = before.get(pid, 0)
        ticks += now - then if now >= then else now
    ticks -= sum(then for pid, then in before.items() if pid not in after)
    return ticks / _TICKS if ticks >= 0 else None


# Loaded at import, not in the child: between fork and exec only the already-resolved call is safe.
_LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Linux: SIGTERM this process when the thread that started it ends, even by SIGKILL of its process
    (PR_SET_PDEATHSIG follows the parent *thread*) — a killed run must not leave an app and two fakes
    running. Elsewhere a no-op (the stack's stop() still ends them normally)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_NAME = 15


def set_process_name(name: str) -> None:
    """Linux: the name `ps -o comm`, `top` and /proc/PID/comm show (15 bytes at most); elsewhere a no-op.
    A fork server's children would otherwise all be called what the server is called."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)
