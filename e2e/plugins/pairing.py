"""Under xdist: run the tests that mostly wait next to the tests that mostly compute.

About a quarter of the flow tests spend most of their time waiting (settle windows, the pages' polls, the
outbox) and keep 0.2-0.7 of a core busy; the rest keep 1.0-1.5 cores busy (browser, renderer, driver and
app at once). Two computing tests at once ask for ~2.8 of this machine's 2 cores and each took
x1.2-2.6 its serial time; one of each fits. xdist's own hand-out, from one queue longest first, runs the long
waiting tests side by side (the cores idle) and the short computing ones side by side at the end (they
contend).

With CPU figures in the durations file (``cores``, written by ``--store-durations``), this scheduler keeps
two queues, each longest first: waiting tests and computing tests. Every other worker (gw0, gw2, ...)
takes from the waiting queue first, the others from the computing queue first; a worker whose queue is
empty takes from the other one. The computing workers keep the shortest computing tests for the end: once
what is left of them would no longer outlast the last waiting test, they take waiting tests too, so both
workers end on sub-second tests instead of one waiting for the other's last 2-4 s waiting test (xdist's
run ends with the last test; a simulation over e2e/durations.json: ~1.1 s apart on average before, ~0).

A worker gets its next test when it starts one (an xdist worker must know the test after the one it
runs), so at most two are pending per worker, and the choice is made as late as xdist allows. Without
CPU figures, xdist's load scheduling runs as usual (in the order e2e/plugins/shard.py gives the
collection: longest first).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler.load import LoadScheduling

from e2e.plugins.shard import TestCost, durations_file, load_costs

#: Cores a test keeps busy on average above which it "computes"; below it mostly waits. Measured on this
#: suite, serially: waiting flows 0.2-0.75, the others 0.9-1.5 (under -n 2 the others read 0.6-1.4: their
#: time stretches while the other worker runs; only one-worker runs replace the figures).
BUSY_CORES = 0.8
WAITING, COMPUTING = "waiting", "computing"
#: The test a worker runs and the one it runs next: the fewest an xdist worker can be given.
PENDING_PER_WORKER = 2


def kind_of(cost: TestCost | None) -> str:
    """A test without a CPU figure counts as computing: most tests are."""
    return WAITING if cost is not None and cost.cores is not None and cost.cores < BUSY_CORES else COMPUTING


def plan(collection: Sequence[str], costs: Mapping[str, TestCost]) -> dict[str, list[int]]:
    """Indices into ``collection`` by kind, each list longest first (tests the file does not know count as
    the average; ties keep collection order)."""
    known = [costs[nodeid].seconds for nodeid in collection if nodeid in costs]
    average = sum(known) / len(known) if known else 0.0
    queues: dict[str, list[int]] = {WAITING: [], COMPUTING: []}
    for index, nodeid in enumerate(collection):
        queues[kind_of(costs.get(nodeid))].append(index)
    for indices in queues.values():
        indices.sort(key=lambda i: (-(costs[collection[i]].seconds if collection[i] in costs else average), i))
    return queues


def first_queue_of(worker_id: str, position: int) -> str:
    """gw0, gw2, ... start with the waiting tests; gw1, gw3, ... with the computing ones. A worker whose id
    has no number (another xdist naming) goes by its position among the workers."""
    found = re.fullmatch(r"gw(\d+)", worker_id)
    number = int(found.group(1)) if found else position
    return WAITING if number % 2 == 0 else COMPUTING


def costs_with_cores(config: pytest.Config) -> dict[str, TestCost] | None:
    """The durations file's figures when it has cores for at least one test; None otherwise."""
    path: Path | None = durations_file(config)
    if path is None or not path.exists():
        return None
    costs = load_costs(path)
    return costs if any(cost.cores is not None for cost in costs.values()) else None


def applies(config: pytest.Config) -> bool:
    """xdist distributes this run with its load scheduling to two or more workers, and there are cores."""
    workers = getattr(config.option, "numprocesses", None)
    return (getattr(config.option, "dist", "no") == "load" and isinstance(workers, int) and workers >= 2
            and costs_with_cores(config) is not None)


def pytest_report_header(config: pytest.Config) -> list[str]:
    path = durations_file(config)
    if not path or (getattr(config.option, "numprocesses", None) or 0) in (0, 1):
        return []
    if not applies(config):
        return [f"e2e order: longest first for xdist, by {path}"]
    queues = plan(sorted(costs_with_cores(config) or {}), costs_with_cores(config) or {})
    return [f"e2e order: waiting tests next to computing ones for xdist (of the tests in {path}: "
            f"{len(queues[WAITING])} waiting, {len(queues[COMPUTING])} computing at {BUSY_CORES} cores)"]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if not applies(config):
        return None  # xdist's own
    return PairingScheduling(config, log, costs_with_cores(config) or {})


class PairingScheduling(LoadScheduling):
    """xdist's load scheduling (collections checked, crashed workers' tests handed out again, shutdown when
    nothing is left) with the hand-out above instead of chunks from one queue."""

    collection: list[str] | None  # set by schedule(), as in LoadScheduling

    def __init__(self, config: pytest.Config, log: Any, costs: Mapping[str, TestCost]) -> None:
        super().__init__(config, log)
        self.costs = costs
        self.queues: dict[str, list[int]] = {WAITING: [], COMPUTING: []}

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is not None:  # a worker that joined later (xdist restarted a crashed one)
            for node in self.nodes:
                self.check_schedule(node)
            return
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(next(iter(self.node2collection.values())))
        if not self.collection:
            return
        self.queues = plan(self.collection, self.costs)
        self.pending[:] = [index for queue in self.queues.values() for index in queue]
        # One test to each worker before a second to any: a run of fewer tests than 2 x workers uses them all.
        for _ in range(PENDING_PER_WORKER):
            for node in self.nodes:
                if self.pending and len(self.node2pending[node]) < PENDING_PER_WORKER:
                    self._send_next(node)
        for node in self.nodes:
            self.check_schedule(node)

    def check_schedule(self, node: Any, duration: float = 0) -> None:
        if node.shutting_down or self.collection is None:
            return
        while len(self.node2pending[node]) < PENDING_PER_WORKER and self.pending:
            self._send_next(node)
        if not self.pending:
            node.shutdown()  # it runs what it holds, then ends

    def _send_next(self, node: Any) -> None:
        index = self._next_for(node)
        self.pending.remove(index)
        self.node2pending[node].append(index)
        node.send_runtest_some([index])

    def _next_for(self, node: Any) -> int:
        first = first_queue_of(str(node.gateway.id), self.nodes.index(node))
        if first == COMPUTING and self._computing_left_is_the_end_reserve():
            first = WAITING
        for kind in (first, COMPUTING if first == WAITING else WAITING):
            if self.queues[kind]:
                return self.queues[kind].pop(0)
        raise AssertionError("pending tests outside both queues")

    def _computing_left_is_the_end_reserve(self) -> bool:
        """True once the computing tests still queued take no longer than the shortest waiting test still
        queued (the one likely to run last): they are kept to even out the workers' ends."""
        waiting = self.queues[WAITING]
        if not waiting:
            return False
        computing_left = sum(self._seconds(index) for index in self.queues[COMPUTING])
        return computing_left <= self._seconds(waiting[-1])

    def _seconds(self, index: int) -> float:
        assert self.collection is not None
        cost = self.costs.get(self.collection[index])
        return cost.seconds if cost is not None else 0.0

    def _requeue(self, indices: Sequence[int]) -> None:
        """Tests to hand out again (a crashed worker's, a test xdist re-queues): first in their queues."""
        assert self.collection is not None
        for index in reversed(indices):
            self.queues[kind_of(self.costs.get(self.collection[index]))].insert(0, index)
            self.pending.insert(0, index)

    def mark_test_pending(self, item: str) -> None:
        assert self.collection is not None
        self._requeue([self.collection.index(item)])
        for node in self.nodes:
            self.check_schedule(node)

    def remove_node(self, node: Any) -> str | None:
        pending = self.node2pending.pop(node)
        if not pending:
            return None
        assert self.collection is not None
        crashed = self.collection[pending.pop(0)]
        self._requeue(pending)
        for other in self.nodes:
            self.check_schedule(other)
        return crashed
