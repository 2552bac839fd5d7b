"""The sweeper and the leak check, against a real app, with ledgers of runs that died."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from seed.ledger import RunLedger, fold, ledger_files, read_events
from seed.operator import OperatorClient
from seed.run import RunIdentity, new_run_id
from seed.seeder import SEEDED_BY
from seed.sweeper import find_leaks, run_is_over, sweep
from stack.description import Stack
from tests.seed.conftest import PROJECT_ROOT


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def dead_run(worker: str = "gw0") -> RunIdentity:
    return RunIdentity(run_id=new_run_id(), worker=worker, owner_pid=dead_pid(), host=__import__("socket").gethostname())


def ids(operator: OperatorClient) -> set[str]:
    return {t["id"] for t in operator.list_tenants()}


def test_sweeps_what_a_killed_run_left(make_seeder, live_operator: OperatorClient, live_stack: Stack,  # type: ignore[no-untyped-def]
                                       tmp_path: Path) -> None:
    crashed = dead_run()
    seeder = make_seeder(run=crashed)
    left_behind = seeder.create(techs=0)
    seeder.created.clear()  # the run was killed: no teardown ran
    ledger_dir = tmp_path / "ledger"

    dry = sweep(ledger_dir=ledger_dir, operator=live_operator, target_id=live_stack.target_id, dry_run=True)
    assert any(left_behind.id in line for line in dry.deleted)
    assert left_behind.id in ids(live_operator), "a dry run deletes nothing"

    report = sweep(ledger_dir=ledger_dir, operator=live_operator, target_id=live_stack.target_id)
    assert any(left_behind.id in line for line in report.deleted), report.lines()
    assert left_behind.id not in ids(live_operator)
    assert ledger_files(ledger_dir) == [], "a fully settled ledger is removed"


def test_finds_a_tenant_created_by_a_run_that_died_before_the_answer(  # type: ignore[no-untyped-def]
        make_seeder, live_operator: OperatorClient, live_stack: Stack, tmp_path: Path) -> None:
    crashed = dead_run()
    seeder = make_seeder(run=crashed)
    half = seeder.create(techs=0)
    seeder.created.clear()
    # Rewrite history: the run only got as far as "creating" (it died before the 201 arrived).
    path = seeder.ledger.path
    path.write_text("".join(line + "\n" for line in path.read_text().splitlines() if '"created"' not in line))
    assert fold(read_events(path))[0].state == "creating"
    report = sweep(ledger_dir=tmp_path / "ledger", operator=live_operator, target_id=live_stack.target_id)
    assert any(half.id in line and "half-created" in line for line in report.deleted), report.lines()
    assert half.id not in ids(live_operator)


def test_leaves_a_running_run_alone(make_seeder, live_operator: OperatorClient, live_stack: Stack,  # type: ignore[no-untyped-def]
                                    tmp_path: Path, run_identity: RunIdentity) -> None:
    seeder = make_seeder()  # owner_pid = this process: alive
    mine = seeder.create(techs=0)
    report = sweep(ledger_dir=tmp_path / "ledger", operator=live_operator, target_id=live_stack.target_id)
    assert mine.id in ids(live_operator)
    assert any("still running" in line for line in report.skipped)


def test_never_forces_a_tenant_that_is_not_ephemeral(live_operator: OperatorClient, live_stack: Stack,
                                                     tmp_path: Path) -> None:
    crashed = dead_run()
    body = {"name": "A real customer", "owner": {"email": f"real.{crashed.run_id}@example.test",
                                                 "password": "correct horse battery"},
            "ephemeral": False, "labels": {**crashed.labels, "seeded_by": SEEDED_BY, "seed_key": "k-real"}}
    real = live_operator.create_tenant(body)
    RunLedger(tmp_path / "ledger", crashed).record("created", key="k-real", tenant_id=real["id"],
                                                    target_id=live_stack.target_id, base_url=live_stack.base_url)
    report = sweep(ledger_dir=tmp_path / "ledger", operator=live_operator, target_id=live_stack.target_id)
    assert any(real["id"] in line and "not ephemeral" in line for line in report.skipped), report.lines()
    assert real["id"] in ids(live_operator)


def test_expired_tenants_go_only_if_a_seeder_made_them(live_operator: OperatorClient, live_stack: Stack,
                                                       tmp_path: Path) -> None:
    stamp = new_run_id()

    def make(labels: dict[str, str], who: str) -> str:
        body = {"name": f"Expiring {who}", "ttl_seconds": 1, "labels": labels,
                "owner": {"email": f"{who}.{stamp}@example.test", "password": "correct horse battery"}}
        return str(live_operator.create_tenant(body)["id"])

    seeded = make({"seeded_by": SEEDED_BY, "run_id": "old-run"}, "seeded")
    foreign = make({"team": "someone else"}, "foreign")
    time.sleep(1.2)  # let both expire (expires_at is wall-clock time)
    report = sweep(ledger_dir=tmp_path / "empty", operator=live_operator, target_id=live_stack.target_id)
    remaining = ids(live_operator)
    assert seeded not in remaining and any(seeded in line and "expired" in line for line in report.deleted)
    assert foreign in remaining
    live_operator.delete_tenant(foreign)


def test_ledgers_of_throwaway_stacks_are_settled_without_requests(tmp_path: Path) -> None:
    crashed = dead_run()
    RunLedger(tmp_path, crashed).record("created", key="k", tenant_id="T", target_id="gw0:http://127.0.0.1:1:ab",
                                        disposable=True, base_url="http://127.0.0.1:1")
    report = sweep(ledger_dir=tmp_path, operator=None)
    assert report.settled and not report.errors and ledger_files(tmp_path) == []


def test_run_is_over_by_pid_or_age() -> None:
    now = datetime.now(UTC)
    host = __import__("socket").gethostname()
    import os

    assert not run_is_over(os.getpid(), host, now.isoformat(), now=now)
    assert run_is_over(dead_pid(), host, now.isoformat(), now=now)
    assert run_is_over(os.getpid(), host, (now - timedelta(days=2)).isoformat(), now=now)
    assert not run_is_over(dead_pid(), "another-host", now.isoformat(), now=now)


def test_leak_check_finds_only_this_workers_survivors(make_seeder, live_operator: OperatorClient) -> None:  # type: ignore[no-untyped-def]
    run = dead_run("gw3")
    seeder = make_seeder(run=run)
    survivor = seeder.create(techs=0)
    assert [t["id"] for t in find_leaks(live_operator, run)] == [survivor.id]
    other_worker = RunIdentity(run_id=run.run_id, worker="gw4", owner_pid=run.owner_pid, host=run.host)
    assert find_leaks(live_operator, other_worker) == []
    assert [t["id"] for t in find_leaks(live_operator, other_worker, worker_only=False)] == [survivor.id]


def test_sweep_command_line(make_seeder, live_operator: OperatorClient, live_stack: Stack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    crashed = dead_run()
    seeder = make_seeder(run=crashed)
    left = seeder.create(techs=0)
    seeder.created.clear()
    # An external target is named by its base URL in the ledger; rewrite the target to match.
    path = seeder.ledger.path
    path.write_text(path.read_text().replace(live_stack.target_id, live_stack.base_url))
    base = [sys.executable, "-m", "seed", "sweep", "--base-url", live_stack.base_url,
            f"--token={live_stack.operator_token}", "--ledger-dir", str(tmp_path / "ledger"),
            "--stack-dir", str(tmp_path / "none")]
    dry = subprocess.run([*base, "--dry-run"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert f"would delete: {left.id}" in dry.stdout and left.id in ids(live_operator)
    real = subprocess.run(base, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert real.returncode == 0, real.stderr
    assert f"deleted: {left.id}" in real.stdout and left.id not in ids(live_operator)
    wrong = subprocess.run([*base[:4], "--base-url", live_stack.base_url, "--token", "wrong", "--ledger-dir",
                            str(tmp_path / "ledger"), "--stack-dir", str(tmp_path / "none")],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "refused the operator token" in wrong.stderr
