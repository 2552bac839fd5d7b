"""e2e/plugins/pairing.py: under xdist, waiting tests run next to computing ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from e2e.plugins.pairing import (
    BUSY_CORES,
    COMPUTING,
    WAITING,
    PairingScheduling,
    first_queue_of,
    kind_of,
    plan,
)
from e2e.plugins.shard import TestCost
from tests.seed.conftest import PROJECT_ROOT

COSTS = {
    "t::wait_long": TestCost(4.0, 0.3),
    "t::wait_short": TestCost(2.0, 0.4),
    "t::busy_long": TestCost(1.5, 1.3),
    "t::busy_mid": TestCost(1.0, 1.4),
    "t::busy_short": TestCost(0.5, 1.2),
}


def test_a_test_waits_below_the_threshold_and_computes_otherwise() -> None:
    assert kind_of(TestCost(3.0, BUSY_CORES - 0.01)) == WAITING
    assert kind_of(TestCost(3.0, BUSY_CORES)) == COMPUTING
    assert kind_of(TestCost(3.0)) == COMPUTING, "never measured: most tests compute"
    assert kind_of(None) == COMPUTING


def test_plan_splits_by_kind_and_orders_each_queue_longest_first() -> None:
    collection = ["t::busy_short", "t::unknown", "t::wait_short", "t::busy_long", "t::wait_long", "t::busy_mid"]
    queues = plan(collection, COSTS)
    named = {kind: [collection[i] for i in indices] for kind, indices in queues.items()}
    assert named[WAITING] == ["t::wait_long", "t::wait_short"]
    # the unknown test counts as the average of the known ones (1.8 s) and as computing
    assert named[COMPUTING] == ["t::unknown", "t::busy_long", "t::busy_mid", "t::busy_short"]
    tied = plan(["t::b", "t::a"], {"t::a": TestCost(1.0, 1.0), "t::b": TestCost(1.0, 1.0)})
    assert tied[COMPUTING] == [0, 1], "ties keep collection order"


def test_every_other_worker_starts_on_the_waiting_queue() -> None:
    assert [first_queue_of(f"gw{i}", i) for i in range(4)] == [WAITING, COMPUTING, WAITING, COMPUTING]
    assert first_queue_of("worker-a", 1) == COMPUTING, "another naming goes by position"


class FakeNode:
    """What the scheduler uses of xdist's WorkerController."""

    def __init__(self, worker_id: str) -> None:
        self.gateway = SimpleNamespace(id=worker_id)
        self.shutting_down = False
        self.sent: list[int] = []

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


def _started(collection: list[str], costs: dict[str, TestCost],
             workers: int = 2) -> tuple[PairingScheduling, list[FakeNode]]:
    config: Any = SimpleNamespace(getoption=lambda name: None,  # --maxschedchunk unset
                                  getvalue=lambda name: {"tx": [f"{workers}*popen"]}.get(name))
    sched = PairingScheduling(config, None, costs)
    nodes = [FakeNode(f"gw{i}") for i in range(workers)]
    for node in nodes:
        sched.add_node(node)
    for node in nodes:
        sched.add_node_collection(node, collection)
    assert sched.collection_is_completed
    sched.schedule()
    return sched, nodes


def _finish_first(sched: PairingScheduling, node: FakeNode) -> None:
    """The node reports the test it was running as done."""
    sched.mark_test_complete(node, sched.node2pending[node][0])


def test_workers_start_on_opposite_queues_with_two_tests_each() -> None:
    collection = sorted(COSTS)
    _, (gw0, gw1) = _started(collection, COSTS)
    assert [collection[i] for i in gw0.sent] == ["t::wait_long", "t::wait_short"]
    assert [collection[i] for i in gw1.sent] == ["t::busy_long", "t::busy_mid"]
    assert not gw0.shutting_down and not gw1.shutting_down


def test_a_worker_whose_queue_ran_dry_takes_from_the_other_and_everything_runs_once() -> None:
    costs = {**COSTS, **{f"t::busy_{n}": TestCost(0.2, 1.3) for n in range(6)}}
    collection = sorted(costs)
    sched, (gw0, gw1) = _started(collection, costs)
    while sched.has_pending:
        for node in (gw0, gw1):
            if sched.node2pending.get(node):
                _finish_first(sched, node)
                assert len(sched.node2pending[node]) <= 2, "a worker holds its test and the next one, no more"
    handed_out = gw0.sent + gw1.sent
    assert sorted(handed_out) == list(range(len(collection))), "every test exactly once"
    gw0_names = [collection[i] for i in gw0.sent]
    assert gw0_names[:2] == ["t::wait_long", "t::wait_short"]
    assert any(kind_of(costs[name]) == COMPUTING for name in gw0_names[2:]), "then it helped with the other queue"
    assert gw0.shutting_down and gw1.shutting_down and sched.tests_finished


def test_the_shortest_computing_tests_are_kept_for_the_end() -> None:
    """Once the computing tests left take no longer than the shortest waiting test left, a computing worker
    takes waiting tests too: the run ends on short computing tests on both workers, not on one waiting test."""
    costs = {"t::wait_a": TestCost(4.0, 0.3), "t::wait_b": TestCost(3.0, 0.3), "t::wait_c": TestCost(2.0, 0.3),
             "t::busy_a": TestCost(1.0, 1.3), "t::busy_b": TestCost(0.5, 1.3), "t::busy_c": TestCost(0.5, 1.3),
             "t::busy_d": TestCost(0.3, 1.3)}
    collection = sorted(costs)
    sched, (gw0, gw1) = _started(collection, costs)
    named = lambda node: [collection[i] for i in node.sent]  # noqa: E731
    assert named(gw0) == ["t::wait_a", "t::wait_b"]
    # busy_a first (2.3 s of computing left > 2.0 s, the shortest waiting test), then 1.3 s is the reserve
    assert named(gw1) == ["t::busy_a", "t::wait_c"]
    while sched.has_pending:
        for node in (gw0, gw1):
            if sched.node2pending.get(node):
                _finish_first(sched, node)
    handed_out_last = [collection[i] for i in (gw0.sent[2:] + gw1.sent[2:])]
    assert sorted(handed_out_last) == ["t::busy_b", "t::busy_c", "t::busy_d"]


def test_a_run_of_few_tests_gives_every_worker_one_first() -> None:
    collection = ["t::busy_long", "t::busy_mid"]  # both computing: one queue, two workers
    _, (gw0, gw1) = _started(collection, COSTS)
    assert len(gw0.sent) == 1 and len(gw1.sent) == 1
    assert gw0.shutting_down and gw1.shutting_down, "nothing left to hand out"


def test_a_crashed_workers_tests_go_back_first_in_their_queues() -> None:
    collection = sorted(COSTS)
    sched, (gw0, gw1) = _started(collection, COSTS)
    crashed_on = sched.remove_node(gw1)
    assert crashed_on == "t::busy_long"
    # busy_mid was only pending on gw1: it is handed out again, to the worker still running
    _finish_first(sched, gw0)
    assert "t::busy_mid" in [collection[i] for i in gw0.sent[2:]]
    idle = FakeNode("gw9")
    sched.node2pending[idle] = []
    assert sched.remove_node(idle) is None, "a worker that held nothing crashed on nothing"


TINY_SUITE = '''
import json, os, time

def _log(name):
    with open(os.environ["ORDER_LOG"], "a") as log:
        log.write(json.dumps([os.environ["PYTEST_XDIST_WORKER"], name, time.monotonic()]) + "\\n")

def test_wait_a(): _log("wait_a")
def test_wait_b(): _log("wait_b")
def test_busy_a(): _log("busy_a")
def test_busy_b(): _log("busy_b")
def test_busy_c(): _log("busy_c")
def test_busy_d(): _log("busy_d")
'''


def _tiny_xdist_run(tmp_path: Path, durations: Path, order_log: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "test_tiny.py", "-p", "no:cacheprovider", "-p", "e2e.plugins.shard",
         "-p", "e2e.plugins.pairing", "-n", "2", "--shard-durations", str(durations)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "ORDER_LOG": str(order_log)},
        capture_output=True, text=True, timeout=120,
    )


def test_a_real_xdist_run_hands_out_by_kind(tmp_path: Path) -> None:
    (tmp_path / "test_tiny.py").write_text(TINY_SUITE)
    durations = tmp_path / "durations.json"
    durations.write_text(json.dumps({
        "test_tiny.py::test_wait_a": {"seconds": 3.0, "cores": 0.3},
        "test_tiny.py::test_wait_b": {"seconds": 2.0, "cores": 0.2},
        **{f"test_tiny.py::test_busy_{x}": {"seconds": 1.0, "cores": 1.3} for x in "abcd"},
    }))
    order_log = tmp_path / "order.jsonl"
    done = _tiny_xdist_run(tmp_path, durations, order_log)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "waiting tests next to computing ones for xdist" in done.stdout
    ran: dict[str, list[str]] = {}
    for line in order_log.read_text().splitlines():
        worker, name, _ = json.loads(line)
        ran.setdefault(worker, []).append(name)
    assert sorted(n for names in ran.values() for n in names) == sorted(["wait_a", "wait_b", *[f"busy_{x}" for x in "abcd"]])
    assert ran["gw0"][0] == "wait_a" and ran["gw1"][0].startswith("busy_"), ran
    without_cores = tmp_path / "seconds.json"
    without_cores.write_text(json.dumps({k: v["seconds"] for k, v in json.loads(durations.read_text()).items()}))
    plain = _tiny_xdist_run(tmp_path, without_cores, tmp_path / "plain.jsonl")
    assert plain.returncode == 0 and "e2e order: longest first for xdist" in plain.stdout, plain.stdout + plain.stderr


@pytest.mark.parametrize("argv, expected", [
    (["-n", "2"], True), (["-n", "1"], False), (["-n", "2", "--dist", "loadfile"], False), ([], False),
])
def test_the_scheduler_applies_only_to_load_distribution_over_two_workers(
        tmp_path: Path, argv: list[str], expected: bool) -> None:
    durations = tmp_path / "durations.json"
    durations.write_text(json.dumps({"e2e/test_x.py::test_y": {"seconds": 1.0, "cores": 0.3}}))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "e2e", "--collect-only", "-p", "no:cacheprovider",
         "--shard-durations", str(durations), *argv],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith(("E2E_", "PYTEST_XDIST"))},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("waiting tests next to computing ones" in done.stdout) is expected, done.stdout
