"""Small things several plugins need: stash keys, the active profile, where results go."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seed.config import Profile, SuiteConfig

PROFILE_KEY = pytest.StashKey[Profile]()
SUITE_CONFIG_KEY = pytest.StashKey[SuiteConfig]()


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
