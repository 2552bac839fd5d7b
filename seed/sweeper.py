"""Cleaning up after runs that could not clean up themselves, and the end-of-run leak check.

``sweep`` deletes, on one target:

* tenants in the ledger of a run that is over (its owning process is gone, or it is older than a
  day) and that were never deleted — by id, or by their labels when the run died mid-create;
* expired ephemeral tenants that carry the seeder's label (``seeded_by``), whatever run made them.

It never deletes a tenant without the seeder's label, never forces a non-ephemeral one (the app
answers 409 and the sweeper reports it), and never touches a run that is still going.
Ledger entries of *disposable* stacks (a per-run stack whose database was thrown away with it) are
settled without any request: there is nothing left to delete.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from seed.ledger import append_event, fold, ledger_files, read_events, remove_if_settled
from seed.operator import OperatorClient, OperatorError
from seed.run import RunIdentity, process_alive
from seed.seeder import SEEDED_BY

#: A run whose newest ledger line is older than this is over, even if a process with its pid exists.
MAX_RUN_AGE = timedelta(hours=24)


@dataclass
class SweepReport:
    dry_run: bool
    deleted: list[str] = field(default_factory=list)  # "tenant_id (why)"
    settled: list[str] = field(default_factory=list)  # ledger entries closed without a request
    skipped: list[str] = field(default_factory=list)  # left alone, with the reason
    errors: list[str] = field(default_factory=list)
    removed_files: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "would delete" if self.dry_run else "deleted"
        out = [f"{verb}: {item}" for item in self.deleted]
        out += [f"settled: {item}" for item in self.settled]
        out += [f"skipped: {item}" for item in self.skipped]
        out += [f"error: {item}" for item in self.errors]
        out += [f"ledger removed: {path}" for path in self.removed_files]
        return out

    def summary(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        return (f"sweep: {verb} {len(self.deleted)} tenant(s), settled {len(self.settled)} ledger entr(ies), "
                f"skipped {len(self.skipped)}, {len(self.errors)} error(s)")


def run_is_over(owner_pid: int, host: str, last_ts: str, *, now: datetime) -> bool:
    try:
        age = now - datetime.fromisoformat(last_ts)
    except ValueError:
        age = MAX_RUN_AGE
    if age >= MAX_RUN_AGE:
        return True
    if host and host != socket.gethostname():
        return False  # another machine's run: we cannot tell, so only age decides
    return not process_alive(owner_pid)


def sweep(
    *,
    ledger_dir: Path,
    operator: OperatorClient | None,
    target_id: str | None = None,
    dry_run: bool = False,
    current_run_id: str | None = None,
    include_expired: bool = True,
    now: datetime | None = None,
) -> SweepReport:
    """Sweeps ledgered leftovers of finished runs (and expired seeded tenants) on ``operator``'s target.

    ``target_id`` names the target in the ledger (the stack id; the base URL for an external target);
    ledger entries of other targets are only settled when their stack was disposable.
    """
    now = now or datetime.now(UTC)
    report = SweepReport(dry_run=dry_run)
    for path in ledger_files(ledger_dir):
        _sweep_ledger_file(path, report, operator=operator, target_id=target_id, dry_run=dry_run,
                           current_run_id=current_run_id, now=now)
    if include_expired and operator is not None:
        _sweep_expired(report, operator=operator, dry_run=dry_run, current_run_id=current_run_id)
    return report


def _sweep_ledger_file(path: Path, report: SweepReport, *, operator: OperatorClient | None, target_id: str | None,
                       dry_run: bool, current_run_id: str | None, now: datetime) -> None:
    tenants = fold(read_events(path))
    if not tenants:
        if not dry_run:
            path.unlink(missing_ok=True)
            report.removed_files.append(path)
        return
    run_id = tenants[0].run_id
    if run_id == current_run_id:
        return
    newest = max(t.last_ts for t in tenants)
    if not run_is_over(tenants[0].owner_pid, tenants[0].host, newest, now=now):
        open_count = sum(not t.settled for t in tenants)
        if open_count:
            report.skipped.append(f"run {run_id}: still running (pid {tenants[0].owner_pid}), {open_count} open")
        return
    for tenant in tenants:
        if tenant.settled:
            continue
        where = f"{tenant.name or tenant.key} (run {run_id})"
        if tenant.disposable and tenant.target_id != target_id:
            report.settled.append(f"{tenant.tenant_id or tenant.key} {where}: its disposable stack is gone")
            _note(path, tenant.key, "target_gone", dry_run)
            continue
        if operator is None or tenant.target_id != target_id:
            report.skipped.append(f"{tenant.tenant_id or tenant.key} {where}: on {tenant.base_url}, not this target")
            continue
        if tenant.state == "created" and tenant.tenant_id:
            _delete(report, operator, path, tenant.key, tenant.tenant_id, f"left by {where}", dry_run)
        else:  # "creating": the run died before it learnt the id; the labels find it
            try:
                found = operator.list_tenants(labels={"run_id": run_id, "seed_key": tenant.key})
            except Exception as exc:
                report.errors.append(f"looking up {tenant.key}: {exc}")
                continue
            if not found:
                report.settled.append(f"{tenant.key} {where}: was never created")
                _note(path, tenant.key, "never_created", dry_run)
            for item in found:
                _delete(report, operator, path, tenant.key, item["id"], f"half-created by {where}", dry_run)
    if not dry_run and remove_if_settled(path):
        report.removed_files.append(path)


def _sweep_expired(report: SweepReport, *, operator: OperatorClient, dry_run: bool,
                   current_run_id: str | None) -> None:
    try:
        expired = operator.list_tenants(labels={"seeded_by": SEEDED_BY}, ephemeral=True, expired=True)
    except Exception as exc:
        report.errors.append(f"listing expired tenants: {exc}")
        return
    already = {line.split(" ", 1)[0] for line in report.deleted}
    for item in expired:
        labels: dict[str, Any] = item.get("labels") or {}
        if item["id"] in already or labels.get("run_id") == current_run_id:
            continue
        _delete(report, operator, None, str(labels.get("seed_key", "")), item["id"],
                f"expired at {item.get('expires_at')} (run {labels.get('run_id')})", dry_run)


def _delete(report: SweepReport, operator: OperatorClient, path: Path | None, key: str, tenant_id: str,
            why: str, dry_run: bool) -> None:
    if dry_run:
        report.deleted.append(f"{tenant_id} ({why})")
        return
    try:
        existed = operator.delete_tenant(tenant_id)
    except OperatorError as exc:
        if exc.status_code == 409:
            report.skipped.append(f"{tenant_id} ({why}): the app says it is not ephemeral; never forced")
        else:
            report.errors.append(f"{tenant_id} ({why}): {exc}")
        return
    except Exception as exc:
        report.errors.append(f"{tenant_id} ({why}): {exc}")
        return
    report.deleted.append(f"{tenant_id} ({why}{'' if existed else '; already gone'})")
    if path is not None:
        _note(path, key, "deleted" if existed else "gone", dry_run, tenant_id=tenant_id)


def _note(path: Path, key: str, state: str, dry_run: bool, **fields: Any) -> None:
    if not dry_run:
        append_event(path, {"event": state, "key": key, "by": "sweeper", **fields})


def find_leaks(operator: OperatorClient, run: RunIdentity, *, worker_only: bool = True) -> list[dict[str, Any]]:
    """Tenants of this run (and worker) that still exist: after every teardown ran, that is a leak."""
    labels = run.labels if worker_only else {"run_id": run.run_id}
    return operator.list_tenants(labels=labels)
