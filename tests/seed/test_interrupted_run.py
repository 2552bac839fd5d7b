"""A run killed mid-test (kill -9: no teardown at all) leaves a tenant on a lasting stack; the next
run's start sweeps it. The lasting stack is `python -m stack`, reused with --reuse-stack."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from seed.ledger import fold, ledger_files, read_events
from seed.operator import OperatorClient
from stack.waiting import wait_until
from tests.seed.conftest import PROJECT_ROOT, run_pytest


@pytest.fixture
def lasting_stack(tmp_path: Path) -> Iterator[dict[str, str]]:
    stack_dir = tmp_path / "stack"
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")} | {"E2E_STACK_DIR": str(stack_dir)}
    server = subprocess.Popen([sys.executable, "-m", "stack"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    state_file = stack_dir / "stack.json"
    try:
        wait_until(state_file.exists, timeout=60, message="python -m stack to write stack.json")
        yield json.loads(state_file.read_text()) | {"E2E_STACK_DIR": str(stack_dir)}
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    assert not state_file.exists(), "the stack removes its state file when it stops"


def test_next_run_sweeps_what_a_killed_run_left(lasting_stack: dict[str, str], tmp_path: Path) -> None:
    ledger_dir, release = tmp_path / "ledger", tmp_path / "release"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("E2E_", "PYTEST_XDIST"))} | {
        "E2E_SELF_CHECK": "1", "E2E_LEDGER_DIR": str(ledger_dir), "E2E_STACK_DIR": lasting_stack["E2E_STACK_DIR"],
        "E2E_SELFCHECK_RELEASE_FILE": str(release)}
    victim = subprocess.Popen(
        [sys.executable, "-m", "pytest", "e2e/selfcheck/test_interrupted.py", "--reuse-stack", "-p", "no:cacheprovider",
         "--output", str(tmp_path / "killed")], cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def created() -> str | None:
            tenants = [t for f in ledger_files(ledger_dir) for t in fold(read_events(f))]
            return next((t.tenant_id for t in tenants if t.state == "created"), None)

        tenant_id = wait_until(created, timeout=120, message="the victim run to create its tenant")
    finally:
        os.killpg(victim.pid, signal.SIGKILL)  # no teardown, no leak check: like a crash or a 2nd Ctrl-C
        victim.wait(30)
    release.touch()
    with OperatorClient(lasting_stack["base_url"], lasting_stack["operator_token"]) as operator:
        assert tenant_id in {t["id"] for t in operator.list_tenants()}, "the killed run left its tenant behind"

        next_run = run_pytest(["e2e/test_smoke.py", "-k", "healthy", "--reuse-stack"], tmp_path / "next",
                              env={"E2E_LEDGER_DIR": str(ledger_dir), "E2E_STACK_DIR": lasting_stack["E2E_STACK_DIR"]})
        assert next_run.returncode == 0, next_run
        assert f"reusing the stack of `python -m stack` at {lasting_stack['base_url']}" in next_run.output
        assert f"deleted: {tenant_id}" in next_run.output
        assert tenant_id not in {t["id"] for t in operator.list_tenants()}
    assert ledger_files(ledger_dir) == []
