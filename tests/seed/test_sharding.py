"""Shards through pytest-split on the committed e2e/durations.json: disjoint, complete, counted, recorded."""

from __future__ import annotations

import json
import re
from pathlib import Path

from scripts import ci_report
from tests.seed.conftest import run_pytest


def _collected(run_output: str) -> set[str]:
    return {line.strip() for line in run_output.splitlines() if re.match(r"^e2e/test_\w+\.py::", line.strip())}


def test_group_1_then_group_2_runs_every_test_exactly_once(tmp_path: Path) -> None:
    everything = run_pytest(["e2e", "--collect-only", "-q"], tmp_path / "all")
    shards = [run_pytest(["e2e", "--collect-only", "-q", "--splits", "2", "--group", str(i)], tmp_path / f"test-results-{i}")
              for i in (1, 2)]
    for run in (everything, *shards):
        assert run.returncode == 0, run
    all_ids, (one, two) = _collected(everything.output), [_collected(run.output) for run in shards]
    assert all_ids and one and two
    assert one | two == all_ids and not one & two
    for i, (run, ids) in enumerate(zip(shards, (one, two), strict=True), start=1):
        assert f"e2e shard {i}/2: {len(ids)} of {len(all_ids)} tests (pytest-split, durations from " in run.output
        record = json.loads((run.output_dir / "shard.json").read_text())
        assert set(record["selected"]) == ids and set(record["suite"]) == all_ids
    assert ci_report.coverage_problems([run.output_dir for run in shards]) == []


def test_the_committed_durations_balance_the_shards(tmp_path: Path) -> None:
    """The slowest test fills a shard of its own when it takes longer than all the others together."""
    everything = _collected(run_pytest(["e2e", "--collect-only", "-q"], tmp_path / "all").output)
    slow = sorted(everything)[0]
    durations = tmp_path / "durations.json"
    durations.write_text(json.dumps({slow: 1000.0, **{n: 1.0 for n in sorted(everything)[1:]}}))
    timed = run_pytest(["e2e", "--collect-only", "-q", "--splits", "2", "--group", "1", "--durations-path", str(durations)],
                       tmp_path / "timed")
    assert timed.returncode == 0, timed
    assert _collected(timed.output) in ({slow}, everything - {slow}), "the 1000 s test fills a shard on its own"


def test_only_make_durations_rewrites_the_durations_file() -> None:
    import subprocess

    def recipe(target: str) -> str:
        return subprocess.run(["make", "-n", target], cwd=Path(__file__).parents[2], capture_output=True, text=True,
                              check=True, env={"PATH": "/usr/bin:/bin", "CI": ""}).stdout

    assert "--store-durations" not in recipe("e2e")
    assert "--store-durations" in recipe("durations") and " -n 0 " in recipe("durations")
