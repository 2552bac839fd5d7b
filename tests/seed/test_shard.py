"""--shard I/N: deterministic, disjoint, complete; balanced by count or by durations."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from e2e.plugins.shard import DurationRecorder, load_durations, parse_shard, split
from tests.seed.conftest import run_pytest

NODEIDS = [f"e2e/test_{m}.py::test_{n}" for m in ("auth", "billing", "booking") for n in range(13)]


def test_parse_shard() -> None:
    assert parse_shard("1/4") == (1, 4)
    for bad in ("0/2", "3/2", "1-2", "a/b", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)


@pytest.mark.parametrize("total", [1, 2, 3, 5, 50])
def test_every_test_lands_in_exactly_one_shard(total: int) -> None:
    shards = split(NODEIDS, total)
    flat = [n for shard in shards for n in shard]
    assert sorted(flat) == sorted(NODEIDS)
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def test_split_does_not_depend_on_collection_order() -> None:
    assert split(NODEIDS, 3) == split(list(reversed(NODEIDS)), 3)


def test_durations_balance_time_not_count() -> None:
    durations = {n: 1.0 for n in NODEIDS}
    durations[NODEIDS[0]] = 30.0  # one slow flow
    shards = split(NODEIDS, 2, durations)
    loads = [sum(durations[n] for n in shard) for shard in shards]
    assert abs(loads[0] - loads[1]) <= 1.0  # 30 + 4x1 against 34x1: as even as it gets
    slow_shard = next(s for s in shards if NODEIDS[0] in s)
    assert len(slow_shard) < len(NODEIDS) / 2
    assert sorted(n for s in shards for n in s) == sorted(NODEIDS)


def test_unknown_tests_count_as_the_average() -> None:
    shards = split(NODEIDS, 3, {NODEIDS[0]: 2.0, NODEIDS[1]: 4.0})
    assert sorted(n for s in shards for n in s) == sorted(NODEIDS)
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def _collected(run_output: str) -> set[str]:
    return {line.strip() for line in run_output.splitlines() if re.match(r"^e2e/test_\w+\.py::", line.strip())}


def _tree_ids(run_output: str) -> set[str]:
    """Node ids from `--collect-only` without -q (a tree of <Module ...> and <Function ...> lines)."""
    ids, module = set(), ""
    for line in run_output.splitlines():
        found = re.match(r"\s*<(Module|Function) (.+)>$", line)
        if found and found.group(1) == "Module":
            module = found.group(2)
        elif found:
            ids.add(f"e2e/{module}::{found.group(2)}")
    return ids


def test_shards_of_the_real_suite_are_disjoint_and_complete(tmp_path: Path) -> None:
    everything = run_pytest(["e2e", "--collect-only", "-q"], tmp_path / "all")
    first = run_pytest(["e2e", "--collect-only", "-q", "--shard", "1/2", "--shard-durations", "none"], tmp_path / "one")
    second = run_pytest(["e2e", "--collect-only", "-q", "--shard", "2/2", "--shard-durations", "none"], tmp_path / "two")
    for run in (everything, first, second):
        assert run.returncode == 0, run
    all_ids, one, two = _collected(everything.output), _collected(first.output), _collected(second.output)
    assert all_ids and one and two
    assert one | two == all_ids and not one & two
    slow = sorted(all_ids)[0]
    durations = tmp_path / "durations.json"
    durations.write_text(json.dumps({slow: 1000.0, **{n: 1.0 for n in sorted(all_ids)[1:]}}))
    timed = run_pytest(["e2e", "--collect-only", "-q", "--shard", "1/2", "--shard-durations", str(durations)],
                       tmp_path / "timed")
    assert timed.returncode == 0, timed
    assert _collected(timed.output) in ({slow}, all_ids - {slow}), "the 1000 s test fills a shard on its own"
    # Without --shard-durations, the committed e2e/durations.json balances the shards by time.
    by_default = [run_pytest(["e2e", "--collect-only", "--shard", f"{i}/2"], tmp_path / f"default{i}") for i in (1, 2)]
    assert all(f"e2e shard: {i}/2 (split by durations from " in run.output and "e2e/durations.json" in run.output
               for i, run in zip((1, 2), by_default, strict=True)), by_default
    default_ids = [_tree_ids(run.output) for run in by_default]
    assert default_ids[0] | default_ids[1] == all_ids and not default_ids[0] & default_ids[1]
    bad = run_pytest(["e2e", "--collect-only", "-q", "--shard", "3/2"], tmp_path / "bad")
    assert bad.returncode == 4 and "need 1 <= I <= N" in bad.output


def _report(nodeid: str, duration: float, outcome: str = "passed") -> Any:
    return SimpleNamespace(nodeid=nodeid, duration=duration, failed=outcome == "failed", skipped=outcome == "skipped")


def test_recorded_durations_merge_into_the_file_and_ignore_failures(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    path.write_text(json.dumps({"t::kept": 3.0, "t::refreshed": 9.0, "t::failed": 2.0}))
    recorder = DurationRecorder(path)
    for phase_seconds in (0.5, 1.0, 0.25):  # setup, call, teardown add up
        recorder.pytest_runtest_logreport(_report("t::refreshed", phase_seconds))
    recorder.pytest_runtest_logreport(_report("t::failed", 30.0, "failed"))
    recorder.pytest_runtest_logreport(_report("t::skipped", 0.01, "skipped"))
    recorder.pytest_runtest_logreport(_report("t::new", 4.0))
    recorder.pytest_sessionfinish(None)
    assert json.loads(path.read_text()) == {"t::failed": 2.0, "t::kept": 3.0, "t::new": 4.0, "t::refreshed": 1.75}


@pytest.mark.parametrize("content", ['{"t::a": "3"}', '{"t::a": -1}', '[1, 2]', '{not json'])
def test_a_malformed_durations_file_is_refused_with_its_name(tmp_path: Path, content: str) -> None:
    path = tmp_path / "durations.json"
    path.write_text(content)
    with pytest.raises(pytest.UsageError, match=r"durations\.json"):
        load_durations(path)
