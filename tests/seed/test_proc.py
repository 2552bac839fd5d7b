"""seed.proc: CPU of a process tree from /proc, and what it used between two snapshots."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from seed.proc import _TICKS, cpu_s_between, process_cpu_s, tree_snapshot

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")

BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\n"
TICK = 1 / _TICKS


def test_a_new_process_counts_whole_and_a_known_one_by_its_growth() -> None:
    assert cpu_s_between({1: 100, 2: 40}, {1: 130, 2: 40, 3: 25}) == pytest.approx((30 + 25) * TICK)


def test_a_pid_used_again_counts_as_new() -> None:
    assert cpu_s_between({7: 500}, {7: 20}) == pytest.approx(20 * TICK)


def test_a_child_reaped_inside_the_tree_is_not_counted_twice() -> None:
    # The child had used 50 ticks at the first snapshot and 60 when it ended; its parent's reaped-children
    # figure grew by those 60: the window saw 10 ticks of it.
    assert cpu_s_between({1: 100, 2: 50}, {1: 160}) == pytest.approx(10 * TICK)


def test_cpu_that_left_the_tree_makes_the_figure_unknown() -> None:
    # A browser killed with its group: its children were reaped by init, the tree lost their 500 ticks.
    assert cpu_s_between({1: 100, 2: 500}, {1: 120}) is None


def test_the_tree_holds_a_burning_child_and_what_a_finished_one_used() -> None:
    me = os.getpid()
    before = tree_snapshot([me])
    assert before is not None and me in before
    child = subprocess.Popen([sys.executable, "-c", BURN.format(seconds=0.6) + "time.sleep(30)"])
    try:
        deadline = time.monotonic() + 20
        while (process_cpu_s(child.pid) or 0) < 0.5 and time.monotonic() < deadline:
            time.sleep(0.05)
        during = tree_snapshot([me])
        assert during is not None and child.pid in during, "a living child belongs to the tree"
        used_while_running = cpu_s_between(before, during)
        assert used_while_running is not None and used_while_running >= 0.5
    finally:
        child.kill()
        child.wait()  # reaped by this process: its CPU moves into our reaped-children figure
    after = tree_snapshot([me])
    assert after is not None and child.pid not in after
    used = cpu_s_between(before, after)
    assert used is not None and used >= 0.5, "a child that ended and was reaped still counts"


def test_a_root_brings_its_descendants_and_overlapping_roots_add_nothing() -> None:
    me, parent = os.getpid(), os.getppid()
    from_parent, both = tree_snapshot([parent]), tree_snapshot([me, parent])
    assert from_parent is not None and both is not None
    assert me in from_parent, "a process's tree holds its children"
    assert both.keys() >= {me, parent}
    assert tree_snapshot([]) is None
    assert tree_snapshot([2**31 - 1]) == {}  # no such process: an empty tree
