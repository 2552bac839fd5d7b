"""Who is seeding: the run (one `pytest e2e` invocation, all its xdist workers) and the worker."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

RUN_ID_ENV = "E2E_RUN_ID"
RUN_PID_ENV = "E2E_RUN_PID"  # the process that owns the run (xdist's controller), for "is it still alive?"


def new_run_id() -> str:
    """Sortable and unique enough: start time plus a random suffix (two runs may start the same second)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class RunIdentity:
    run_id: str
    worker: str  # xdist's "gw0", "gw1"... or "main" without xdist
    owner_pid: int
    host: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RunIdentity:
        """The run the environment describes; a fresh one when nothing set it (a seeder used on its own)."""
        env = os.environ if environ is None else environ
        return cls(
            run_id=env.get(RUN_ID_ENV) or new_run_id(),
            worker=env.get("PYTEST_XDIST_WORKER") or "main",
            owner_pid=int(env.get(RUN_PID_ENV) or os.getpid()),
            host=socket.gethostname(),
        )

    @property
    def labels(self) -> dict[str, str]:
        """What every tenant of this run carries, so the sweeper and the leak check can find it."""
        return {"run_id": self.run_id, "worker": self.worker}


def ensure_run_env() -> RunIdentity:
    """Called once by the process that owns the run, before xdist starts workers (they inherit the env)."""
    os.environ.setdefault(RUN_ID_ENV, new_run_id())
    os.environ.setdefault(RUN_PID_ENV, str(os.getpid()))
    return RunIdentity.from_env()


def process_alive(pid: int) -> bool:
    """True when a process with this id exists on this host (signal 0 checks without touching it)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
