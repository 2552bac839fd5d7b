"""Which tests this run executes, and in which order.

Shards are pytest-split's (``--splits N --group I``), balanced by the committed ``e2e/durations.json``
(``least_duration`` unless ``--splitting-algorithm`` says otherwise). The file changes only when
``make durations`` refreshes it (``--store-durations``), so every shard of a CI run — and a local
``--group 1`` then ``--group 2`` — splits the same way.

A sharded run prints how many tests it got and writes ``shard.json`` to the output directory (the
whole suite's node ids and this shard's), which ``make ci-report`` checks: the shards' union must be
the whole suite, each test in one shard. Under xdist every worker collects the tests longest first by
the same file, which is the order they are handed out: the run ends on short tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from e2e.plugins.common import given_on_command_line, is_controller, output_dir

DURATIONS = Path(__file__).resolve().parents[1] / "durations.json"
_SHARD = pytest.StashKey[dict[str, Any]]()


@pytest.hookimpl(tryfirst=True)  # before pytest-split reads the durations file in its own pytest_configure
def pytest_configure(config: pytest.Config) -> None:
    if not given_on_command_line(config, "--durations-path"):
        config.option.durations_path = str(DURATIONS)
    if not given_on_command_line(config, "--splitting-algorithm"):
        config.option.splitting_algorithm = "least_duration"


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Any:
    suite = [item.nodeid for item in items]
    result = yield  # pytest-split deselects what other shards run
    if config.option.splits:
        record = {"group": config.option.group, "splits": config.option.splits, "suite": suite,
                  "selected": [item.nodeid for item in items]}
        config.stash[_SHARD] = record
        if hasattr(config, "workeroutput"):
            config.workeroutput["e2e_shard"] = record
    if hasattr(config, "workerinput"):
        durations = _durations(config)
        average = sum(durations.values()) / len(durations) if durations else 0.0
        items.sort(key=lambda item: -durations.get(item.nodeid, average))  # stable: ties keep collection order
    return result


def _durations(config: pytest.Config) -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(Path(config.option.durations_path).read_text()).items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    record = (getattr(node, "workeroutput", None) or {}).get("e2e_shard")
    if record is not None:
        node.config.stash[_SHARD] = record  # every worker collects the same tests


def pytest_sessionfinish(session: pytest.Session) -> None:
    record = session.config.stash.get(_SHARD, None)
    if record is not None and is_controller(session.config):
        path = output_dir(session.config) / "shard.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1), encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    record = config.stash.get(_SHARD, None)
    if record is not None:
        terminalreporter.write_line(f"e2e shard {record['group']}/{record['splits']}: {len(record['selected'])} of "
                                    f"{len(record['suite'])} tests (pytest-split, durations from "
                                    f"{config.option.durations_path})")
