"""Who is seeding: the run (one `pytest e2e` invocation, all its xdist workers) and the worker."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

RUN_ID_ENV = "E2E_RUN_ID"  # a run id chosen from outside (e.g. to tie a run to a CI job)


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
    def of_this_process(cls, worker: str = "main") -> RunIdentity:
        """A run of its own for a seeder used outside the suite (the bench): E2E_RUN_ID, else a fresh id."""
        return cls(run_id=os.environ.get(RUN_ID_ENV) or new_run_id(), worker=worker, owner_pid=os.getpid(),
                   host=socket.gethostname())

    @property
    def labels(self) -> dict[str, str]:
        """What every tenant of this run carries, so the sweeper and the leak check can find it."""
        return {"run_id": self.run_id, "worker": self.worker}


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
