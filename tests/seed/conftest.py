"""Fixtures for the suite's own tests: a real stack (app + fakes as subprocesses) and helpers to run
`pytest e2e` in a subprocess, the way a developer or CI would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from seed.factories import TenantFactory
from seed.ledger import RunLedger
from seed.numbers import NumberPlan
from seed.operator import OperatorClient
from seed.run import RunIdentity, new_run_id
from seed.seeder import TenantSeeder
from stack import config as suite_config
from stack.description import Stack
from stack.launcher import StackLauncher

PROJECT_ROOT = suite_config.PROJECT_ROOT


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The app and both fakes as real processes, started with the suite's own launcher."""
    launcher = StackLauncher(suite_config.load().stack, tmp_path_factory.mktemp("stack"), name="unit")
    stack = launcher.start()
    yield stack
    launcher.stop()


@pytest.fixture
def live_operator(live_stack: Stack) -> Iterator[OperatorClient]:
    with OperatorClient(live_stack.base_url, live_stack.operator_token) as client:
        yield client


@pytest.fixture
def run_identity() -> RunIdentity:
    return RunIdentity(run_id=new_run_id(), worker=os.environ.get("PYTEST_XDIST_WORKER", "main"),
                       owner_pid=os.getpid(), host=os.uname().nodename)


@pytest.fixture
def make_seeder(live_stack: Stack, live_operator: OperatorClient, tmp_path: Path, run_identity: RunIdentity):  # type: ignore[no-untyped-def]
    """make_seeder(seed_text="...", numbers=None) -> a TenantSeeder with a ledger in tmp_path; cleans up after."""
    seeders: list[TenantSeeder] = []

    def make(seed_text: str = "tests/seed::seeder", numbers: NumberPlan | None = None,
             run: RunIdentity | None = None, clock_offset_seconds: float = 0.0) -> TenantSeeder:
        who = run or run_identity
        factory = TenantFactory(seed_text, numbers=numbers or NumberPlan(f"{who.run_id}/{who.worker}"),
                                unique_prefix=who.run_id[-6:])
        seeder = TenantSeeder(live_operator, factory=factory, run=who, ledger=RunLedger(tmp_path / "ledger", who),
                              target_id=live_stack.target_id, disposable_target=False, test_name=seed_text,
                              clock_offset_seconds=clock_offset_seconds)
        seeders.append(seeder)
        return seeder

    yield make
    for seeder in seeders:
        seeder.delete_all()


@dataclass(repr=False)
class PytestRun:
    returncode: int
    output: str
    output_dir: Path
    ledger_dir: Path

    def __repr__(self) -> str:  # what an assertion message shows: the end of the run's output
        return f"exit {self.returncode}\n{self.output[-6000:]}"


def run_pytest(args: list[str], tmp_path: Path, *, env: dict[str, str] | None = None, timeout: float = 300) -> PytestRun:
    """`python -m pytest <args>` in the project root, with output and ledger in tmp_path."""
    output_dir, ledger_dir = tmp_path / "test-results", tmp_path / "ledger"
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("E2E_", "PYTEST_XDIST"))}
    child_env.update({"E2E_LEDGER_DIR": str(ledger_dir), **(env or {})})
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "--output", str(output_dir), "-p", "no:cacheprovider"],
        cwd=PROJECT_ROOT, env=child_env, capture_output=True, text=True, timeout=timeout,
    )
    return PytestRun(done.returncode, done.stdout + done.stderr, output_dir, ledger_dir)
