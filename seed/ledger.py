"""The run ledger: an append-only JSONL file per run recording every tenant before it is created.

Crash safety comes from the order of writes: ``creating`` is appended *before* the operator API is
asked, ``created`` (with the id) right after, ``deleted`` once it is gone. A run killed at any point
leaves enough behind for ``python -m seed sweep`` to find its tenants: by id, or — when it died
between request and answer — by the labels the tenant carries (``run_id``, ``seed_key``).

Files live in ``.e2e-ledger/<run_id>.jsonl`` (``E2E_LEDGER_DIR`` moves them). All xdist workers of a
run append to the same file under an exclusive ``flock``; a file whose tenants are all settled is
removed, so the directory only ever shows what still needs attention.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seed.run import RunIdentity

LEDGER_DIR_ENV = "E2E_LEDGER_DIR"
DEFAULT_LEDGER_DIR = Path(__file__).resolve().parent.parent / ".e2e-ledger"

#: Tenant states after folding its events, and which of them need nothing more.
SETTLED_STATES = frozenset({"deleted", "gone", "create_failed", "target_gone", "never_created"})


def ledger_dir() -> Path:
    return Path(os.environ.get(LEDGER_DIR_ENV) or DEFAULT_LEDGER_DIR)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    # One lock for the whole directory: appends are tiny, and it is never removed while in use.
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class RunLedger:
    """Appends this run's events; one instance per process."""

    def __init__(self, directory: Path, run: RunIdentity) -> None:
        self.directory = directory
        self.run = run
        self.path = directory / f"{run.run_id}.jsonl"

    def record(self, event: str, *, key: str, **fields: Any) -> None:
        append_event(self.path, {
            "event": event, "key": key, "run_id": self.run.run_id, "worker": self.run.worker,
            "owner_pid": self.run.owner_pid, "host": self.run.host, **fields,
        })

    def close_if_settled(self) -> bool:
        """Removes the file when every tenant in it is settled; True when it did."""
        return remove_if_settled(self.path)


def append_event(path: Path, entry: dict[str, Any]) -> None:
    line = json.dumps({"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), **entry}, default=str)
    with _locked(path), open(path, "a", encoding="utf-8") as out:
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())  # the point of a ledger is to survive the process dying right after


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every complete line; a torn last line (a crash mid-write) is skipped, not fatal."""
    events = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


@dataclass
class LedgerTenant:
    """One tenant of a ledger, its events folded into the latest state."""

    key: str
    run_id: str
    worker: str
    owner_pid: int
    host: str
    name: str
    base_url: str
    target_id: str
    disposable: bool
    state: str
    tenant_id: str | None
    last_ts: str

    @property
    def settled(self) -> bool:
        return self.state in SETTLED_STATES


def fold(events: list[dict[str, Any]]) -> list[LedgerTenant]:
    tenants: dict[str, LedgerTenant] = {}
    for event in events:
        key = event.get("key")
        if not key:
            continue
        tenant = tenants.get(key)
        if tenant is None:
            tenant = tenants[key] = LedgerTenant(
                key=key, run_id=str(event.get("run_id", "")), worker=str(event.get("worker", "")),
                owner_pid=int(event.get("owner_pid") or 0), host=str(event.get("host", "")),
                name=str(event.get("name", "")), base_url=str(event.get("base_url", "")),
                target_id=str(event.get("target_id", "")), disposable=bool(event.get("disposable", False)),
                state="creating", tenant_id=None, last_ts=str(event.get("ts", "")),
            )
        tenant.state = str(event.get("event", tenant.state))
        tenant.tenant_id = event.get("tenant_id") or tenant.tenant_id
        tenant.last_ts = str(event.get("ts", tenant.last_ts))
    return list(tenants.values())


def ledger_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.jsonl")) if directory.is_dir() else []


def remove_if_settled(path: Path) -> bool:
    with _locked(path):
        tenants = fold(read_events(path))
        if all(t.settled for t in tenants):
            path.unlink(missing_ok=True)
            return True
    return False
