"""``--shard I/N``: run the I-th of N disjoint, deterministic slices of the collected tests.

Without timings, tests are ordered by a stable hash of their node id and dealt round-robin, so every
shard gets the same number of tests (±1) and a test's shard does not depend on collection order.
With a durations file (``--shard-durations PATH``; by default ``e2e/durations.json`` when it exists,
``--shard-durations none`` to ignore it), the longest tests are placed first, each on the shard with the
least total time so far (LPT); tests missing from the file count as the average. Both are pure functions
of the node ids (and the file), so every machine — and every xdist worker — computes the same split.

The file is JSON ``{node_id: {"seconds": S, "cores": C}}`` as ``--store-durations PATH`` writes it
(``{node_id: seconds}`` is read too): S is what the test itself takes, C the CPU it kept busy meanwhile
(CPU seconds of the worker, the Playwright driver and browser under it and the stack serving it, over S).
Under xdist, e2e/plugins/pairing.py hands tests out by both.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from e2e.plugins.common import STACK_PIDS, is_controller
from seed.proc import cpu_s_between, tree_snapshot

DEFAULT_DURATIONS = Path(__file__).resolve().parents[1] / "durations.json"
#: user_properties key: seconds of a test's setup spent building fixtures it shares with other tests.
SHARED_SETUP = "shared_fixture_setup_s"
#: user_properties key (on the teardown report): CPU seconds the test used, less its shared fixtures' setup.
TEST_CPU = "test_cpu_s"


@dataclass(frozen=True)
class TestCost:
    """What one test costs: how long it takes on its own, and how many cores it keeps busy meanwhile
    (None when it was never measured, e.g. a file of bare seconds)."""

    __test__ = False  # not a pytest test class, whatever its name

    seconds: float
    cores: float | None = None

    def to_json(self) -> dict[str, float]:
        return {"seconds": round(self.seconds, 2)} | ({} if self.cores is None else {"cores": round(self.cores, 2)})


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


def load_costs(path: Path) -> dict[str, TestCost]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise pytest.UsageError(f"--shard-durations {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise pytest.UsageError(f"--shard-durations {path}: expected a JSON object {{node_id: {{seconds, cores}}}}")
    costs = {}
    for nodeid, value in data.items():
        cost = _cost_of(value)
        if cost is None:
            raise pytest.UsageError(f"--shard-durations {path}: {nodeid!r} has {value!r}; expected seconds or "
                                    '{"seconds": S, "cores": C} with numbers >= 0')
        costs[str(nodeid)] = cost
    return costs


def _cost_of(value: Any) -> TestCost | None:
    def number(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool) and v >= 0

    if number(value):
        return TestCost(float(value))
    if isinstance(value, dict) and number(value.get("seconds")) and set(value) <= {"seconds", "cores"} \
            and (value.get("cores") is None or number(value["cores"])):
        cores = value.get("cores")
        return TestCost(float(value["seconds"]), None if cores is None else float(cores))
    return None


def load_durations(path: Path) -> dict[str, float]:
    return {nodeid: cost.seconds for nodeid, cost in load_costs(path).items()}


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
    if store:
        config.pluginmanager.register(CostMeter(config), "e2e-cost-meter")
        if is_controller(config):
            workers = getattr(config.option, "numprocesses", None) or 0
            one_worker = getattr(config.option, "dist", "no") == "no" or (isinstance(workers, int) and workers <= 1)
            config.pluginmanager.register(DurationRecorder(Path(store), replace_cores=one_worker), "e2e-durations")


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
    return lines  # the xdist hand-out order is e2e/plugins/pairing.py's line


class CostMeter:
    """Measures how much of each test's time went into fixtures wider than the test (the stack, the
    browser, a module's tenant) and puts it on the reports, so the durations file holds what the test
    itself costs. Without it the first test of every worker carried the stack's start (~3.5 s), stayed
    "longest" and ran first again. Only the outermost such fixture is timed: one that asks for another
    inside its body (getfixturevalue) would otherwise count it twice.

    It also meters the CPU the test kept busy — this process and everything under it (the Playwright
    driver, the browser, a stack it started itself) plus the processes of a stack that serves this
    worker alone (``STACK_PIDS``) — less what the shared fixtures used, and puts it on the teardown
    report. The processes are the ones known when the test starts: a worker's first test, during which
    its stack becomes known, is charged without the stack's share.
    Runs where the tests run: on each xdist worker; the reports carry the figures to the controller.
    """

    def __init__(self, config: pytest.Config | None = None) -> None:
        self.config = config
        self.depth = 0
        self.seconds = 0.0
        self.shared_cpu = 0.0
        self.roots: tuple[int, ...] = ()
        self.cpu_at_start: dict[int, int] | None = None

    def _cpu(self) -> dict[int, int] | None:
        return tree_snapshot(self.roots) if self.roots else None

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any]) -> Any:
        if fixturedef.scope == "function":
            return (yield)
        self.depth += 1
        outermost = self.depth == 1
        started, cpu_before = time.perf_counter(), self._cpu() if outermost else None
        try:
            return (yield)
        finally:
            self.depth -= 1
            if outermost:
                self.seconds += time.perf_counter() - started
                cpu_after = self._cpu()
                used = cpu_s_between(cpu_before, cpu_after) if cpu_before is not None and cpu_after is not None \
                    else None
                if used is None:
                    self.cpu_at_start = None  # this test's CPU cannot be told apart: report none
                else:
                    self.shared_cpu += used

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        self.seconds, self.shared_cpu = 0.0, 0.0
        stack_pids = self.config.stash.get(STACK_PIDS, ()) if self.config is not None else ()
        self.roots = (os.getpid(), *stack_pids)
        self.cpu_at_start = self._cpu()
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        # A shared fixture may also be built in the call (request.getfixturevalue): each report carries
        # what its own phase spent on them.
        if self.seconds:
            report.user_properties.append((SHARED_SETUP, round(self.seconds, 3)))
            self.seconds = 0.0
        if call.when == "teardown" and self.cpu_at_start is not None:
            cpu_now = self._cpu()
            used = cpu_s_between(self.cpu_at_start, cpu_now) if cpu_now is not None else None
            if used is not None:
                report.user_properties.append((TEST_CPU, round(max(0.0, used - self.shared_cpu), 3)))
        return report


class DurationRecorder:
    """Keeps the durations file current: tests that passed this run get their new time, every other entry
    stays as it was (a sharded or ``-k`` run refreshes only its own tests). Failed and skipped tests are
    left alone: a timeout's duration says nothing about how long the test takes.

    Cores are a test's own demand: only a run with one worker (``-n 0``) replaces them. Next to another
    worker a test's time stretches while its CPU stays, so it reads as waiting more than it does (a
    1.4-core test read 0.6-1.0 under ``-n 2``); such a run only fills in tests that have no figure yet.
    A test timed without its CPU (no /proc) keeps the cores it had."""

    def __init__(self, path: Path, *, replace_cores: bool = True) -> None:
        self.path = path
        self.replace_cores = replace_cores
        self.durations: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.unusable: set[str] = set()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(getattr(report, "user_properties", ()))
        own = max(0.0, report.duration - float(properties.get(SHARED_SETUP, 0.0)))
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + own
        if TEST_CPU in properties:
            self.cpu[report.nodeid] = self.cpu.get(report.nodeid, 0.0) + float(properties[TEST_CPU])
        if report.failed or report.skipped:
            self.unusable.add(report.nodeid)

    def pytest_sessionfinish(self, session: Any) -> None:
        measured = {k: v for k, v in self.durations.items() if k not in self.unusable}
        if not measured:
            return
        merged = load_costs(self.path) if self.path.exists() else {}
        for nodeid, seconds in measured.items():
            earlier = merged.get(nodeid)
            kept = earlier.cores if earlier else None
            cpu = self.cpu.get(nodeid)
            measured_cores = cpu / seconds if cpu is not None and seconds > 0 else None
            use_measured = measured_cores is not None and (self.replace_cores or kept is None)
            merged[nodeid] = TestCost(seconds, measured_cores if use_measured else kept)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({k: v.to_json() for k, v in sorted(merged.items())}, indent=1) + "\n",
                             encoding="utf-8")
