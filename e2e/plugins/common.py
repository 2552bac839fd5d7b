"""Small things several plugins need: stash keys, the active profile, where results go, and the run's
handoff: what the run's controller decides once (the run's id, the browser, a shared stack...) as
JSON-serialisable values, which reach every xdist worker in its ``workerinput`` (never through
environment variables)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

from seed.run import RUN_ID_ENV, RunIdentity, new_run_id
from stack.config import Profile, SuiteConfig

PROFILE_KEY = pytest.StashKey[Profile]()
SUITE_CONFIG_KEY = pytest.StashKey[SuiteConfig]()
HANDOFF_KEY = pytest.StashKey[dict[str, Any]]()
HANDOFF_INPUT = "e2e_handoff"  # its key in an xdist worker's workerinput
#: The processes of the stack that serves this worker alone (none for a shared or external one), for
#: e2e/plugins/coverage.py to signal.
STACK_PIDS = pytest.StashKey[tuple[int, ...]]()


def profile_of(config: pytest.Config) -> Profile:
    return config.stash[PROFILE_KEY]


def suite_config_of(config: pytest.Config) -> SuiteConfig:
    return config.stash[SUITE_CONFIG_KEY]


def is_controller(config: pytest.Config) -> bool:
    """True in the process that owns the run: xdist's controller, or the only process without xdist."""
    return not hasattr(config, "workerinput")


def worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def output_dir(config: pytest.Config) -> Path:
    """pytest-playwright's --output (default test-results/), absolute, against the invocation directory."""
    return Path(config.invocation_params.dir, config.getoption("--output")).resolve()


def given_on_command_line(config: pytest.Config, *flags: str) -> bool:
    """Whether the user set one of these flags (command line, PYTEST_ADDOPTS or ini addopts)."""
    import shlex

    args = [*config.invocation_params.args, *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
            *config.getini("addopts")]
    return any(arg == flag or arg.startswith(flag + "=") for arg in args for flag in flags)


def handoff(config: pytest.Config) -> dict[str, Any]:
    """The run's handoff: in the controller, filled by the plugins' pytest_configure; in a worker, read only."""
    if not is_controller(config):
        return config.workerinput[HANDOFF_INPUT]  # type: ignore[attr-defined]
    if HANDOFF_KEY not in config.stash:
        config.stash[HANDOFF_KEY] = {"run_id": os.environ.get(RUN_ID_ENV) or new_run_id(), "run_pid": os.getpid()}
    return config.stash[HANDOFF_KEY]


def run_of(config: pytest.Config) -> RunIdentity:
    """Who is seeding: this run (the id the controller chose, or E2E_RUN_ID) and this worker."""
    given = handoff(config)
    return RunIdentity(run_id=given["run_id"], worker=worker_id(), owner_pid=given["run_pid"], host=socket.gethostname())
