"""``--shard I/N``: run the I-th of N disjoint, deterministic slices of the collected tests.

Without timings, tests are ordered by a stable hash of their node id and dealt round-robin, so every
shard gets the same number of tests (±1) and a test's shard does not depend on collection order.
With a durations file (``--shard-durations PATH``; by default ``e2e/durations.json`` when it exists,
``--shard-durations none`` to ignore it), the longest tests are placed first, each on the shard with the
least total time so far (LPT); tests missing from the file count as the average. Both are pure functions
of the node ids (and the file), so every machine — and every xdist worker — computes the same split.

The file is JSON ``{node_id: seconds}`` as ``--store-durations PATH`` writes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from e2e.plugins.common import is_controller

DEFAULT_DURATIONS = Path(__file__).resolve().parents[1] / "durations.json"
def parse_shard(text: str) -> tuple[int, int]:
    """ "2/4" -> (2, 4); 1 <= I <= N."""
    try:
        index_text, total_text = text.split("/")
        index, total = int(index_text), int(total_text)
    except ValueError:
        raise ValueError(f"--shard must look like I/N (e.g. 1/4), not {text!r}") from None
    if total < 1 or not 1 <= index <= total:
        raise ValueError(f"--shard {text}: need 1 <= I <= N")
    return index, total


def stable_key(nodeid: str) -> str:
    return hashlib.sha256(nodeid.encode()).hexdigest()


def split(nodeids: Iterable[str], total: int, durations: Mapping[str, float] | None = None) -> list[list[str]]:
    """All N shards (index 0 = shard 1); every node id lands in exactly one."""
    ids = sorted(set(nodeids), key=stable_key)
    shards: list[list[str]] = [[] for _ in range(total)]
    if not durations:
        for position, nodeid in enumerate(ids):
            shards[position % total].append(nodeid)
        return shards
    known = [durations[n] for n in ids if n in durations]
    average = sum(known) / len(known) if known else 1.0
    weight = {n: float(durations.get(n, average)) for n in ids}
    loads = [0.0] * total
    for nodeid in sorted(ids, key=lambda n: (-weight[n], stable_key(n))):
        lightest = min(range(total), key=lambda i: (loads[i], i))
        shards[lightest].append(nodeid)
        loads[lightest] += weight[nodeid]
    return shards


def load_durations(path: Path) -> dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise pytest.UsageError(f"--shard-durations {path}: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, int | float) and v >= 0 for v in data.values()):
        raise pytest.UsageError(f"--shard-durations {path}: expected a JSON object {{node_id: seconds}}")
    return {str(k): float(v) for k, v in data.items()}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("e2e")
    group.addoption("--shard", default=None, metavar="I/N", help="run only the I-th of N deterministic slices")
    group.addoption("--shard-durations", default=None, metavar="PATH",
                    help="JSON {node_id: seconds}: balance shards by time instead of by count "
                         "(default e2e/durations.json when it exists; 'none' splits by hash)")
    group.addoption("--store-durations", default=None, metavar="PATH",
                    help="write each test's duration (setup+call+teardown, less the setup of fixtures it "
                         "shares with other tests) as JSON for --shard-durations")


def pytest_configure(config: pytest.Config) -> None:
    shard = config.getoption("--shard")
    if shard:
        try:
            parse_shard(shard)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from exc
    store = config.getoption("--store-durations")
    if store and is_controller(config):
        config.pluginmanager.register(DurationRecorder(Path(store)), "e2e-durations")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard = config.getoption("--shard")
    distributing = hasattr(config, "workerinput")  # an xdist worker: its collection order is the hand-out order
    if not (shard or distributing):
        return
    durations_path = durations_file(config)
    durations = load_durations(durations_path) if durations_path else None
    if shard:
        index, total = parse_shard(shard)
        chosen = set(split((item.nodeid for item in items), total, durations)[index - 1])
        deselected = [item for item in items if item.nodeid not in chosen]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if item.nodeid in chosen]
    if durations and distributing:
        items[:] = longest_first(items, durations)


def longest_first(items: list[pytest.Item], durations: Mapping[str, float]) -> list[pytest.Item]:
    """Under xdist, the order every worker collects in is the order tests are handed out. Longest first
    (tests the file does not know count as the average; ties keep collection order) means the run ends
    on short tests, so workers finish together instead of one waiting out another's 4-second flow.
    Every test seeds its own tenant, so the order is free; each worker computes the same one."""
    known = [durations[item.nodeid] for item in items if item.nodeid in durations]
    average = sum(known) / len(known) if known else 0.0
    return sorted(items, key=lambda item: -durations.get(item.nodeid, average))


def durations_file(config: pytest.Config) -> Path | None:
    given = config.getoption("--shard-durations")
    if given:
        return None if given.lower() == "none" else Path(given)
    return DEFAULT_DURATIONS if DEFAULT_DURATIONS.exists() else None


def pytest_report_header(config: pytest.Config) -> list[str]:
    shard = config.getoption("--shard")
    path = durations_file(config)
    lines = []
    if shard:
        by = f"durations from {path}" if path else "hash"
        lines.append(f"e2e shard: {shard} (split by {by})")
    return lines


class DurationRecorder:
    """Keeps the durations file current: tests that passed this run get their new time, every other entry
    stays as it was (a sharded or ``-k`` run refreshes only its own tests). Failed and skipped tests are
    left alone: a timeout's duration says nothing about how long the test takes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.durations: dict[str, float] = {}
        self.unusable: set[str] = set()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        if report.failed or report.skipped:
            self.unusable.add(report.nodeid)

    def pytest_sessionfinish(self, session: Any) -> None:
        measured = {k: round(v, 2) for k, v in self.durations.items() if k not in self.unusable}
        if not measured:
            return
        merged = load_durations(self.path) if self.path.exists() else {}
        merged.update(measured)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n", encoding="utf-8")
