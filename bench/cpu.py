"""CPU accounting from /proc (Linux): was the machine, or the app, the limit during a measurement?"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds the process has used so far (None when /proc cannot tell)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()  # after the command name
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def _cpu_ticks() -> list[int] | None:
    """The machine-wide `cpu` line of /proc/stat: user, nice, system, idle, iowait, irq, softirq, steal..."""
    try:
        return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None


def _machine_ticks() -> tuple[int, int] | None:
    values = _cpu_ticks()
    if values is None:
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values), idle


def steal_s() -> float | None:
    """CPU seconds the hypervisor gave to others while this machine wanted them, so far (None: unknown)."""
    values = _cpu_ticks()
    return values[7] / _TICKS if values is not None and len(values) > 7 else None


@dataclass
class CpuWindow:
    """Busy share of the whole machine and CPU seconds of one process between start() and stop()."""

    pid: int | None = None
    _machine: tuple[int, int] | None = None
    _process: float | None = None

    def start(self) -> CpuWindow:
        self._machine = _machine_ticks()
        self._process = process_cpu_s(self.pid) if self.pid else None
        return self

    def stop(self) -> dict[str, float | None]:
        machine_after = _machine_ticks()
        busy = None
        if self._machine and machine_after:
            total = machine_after[0] - self._machine[0]
            idle = machine_after[1] - self._machine[1]
            busy = round(1 - idle / total, 2) if total else None
        process_after = process_cpu_s(self.pid) if self.pid else None
        used = round(process_after - self._process, 1) if process_after is not None and self._process is not None else None
        return {"machine_busy_share": busy, "app_cpu_s": used}
