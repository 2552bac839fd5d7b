"""flake_check's bookkeeping: repetitions fold back into one test id, and verdicts are right."""

from __future__ import annotations

from pathlib import Path

from scripts.flake_check import base_test_id, tally, verdicts

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="6">
<testcase classname="e2e.test_a" name="test_ok[1-3]" time="0.1"/>
<testcase classname="e2e.test_a" name="test_ok[2-3]" time="0.1"/>
<testcase classname="e2e.test_a" name="test_flaky[sqlite-1-2]" time="0.1"/>
<testcase classname="e2e.test_a" name="test_flaky[sqlite-2-2]" time="0.1"><failure message="boom"/></testcase>
<testcase classname="e2e.test_a" name="test_broken[1-1]" time="0.1"><error message="setup"/></testcase>
<testcase classname="e2e.test_a" name="test_skip[1-1]" time="0.1"><skipped message="later"/></testcase>
</testsuite></testsuites>
"""


def test_repeat_suffix_is_folded() -> None:
    assert base_test_id("m", "test_x[3-10]") == "m::test_x"
    assert base_test_id("m", "test_x[sqlite-3-10]") == "m::test_x[sqlite]"
    assert base_test_id("m", "test_x") == "m::test_x"


def test_tally_and_verdicts(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    counts = tally(junit)
    assert counts["e2e.test_a::test_ok"] == {"passed": 2, "failed": 0, "skipped": 0}
    assert counts["e2e.test_a::test_flaky[sqlite]"] == {"passed": 1, "failed": 1, "skipped": 0}
    kinds = verdicts(counts)
    assert kinds["e2e.test_a::test_ok"] == "stable"
    assert kinds["e2e.test_a::test_flaky[sqlite]"] == "flaky"
    assert kinds["e2e.test_a::test_broken"] == "broken"
    assert kinds["e2e.test_a::test_skip"] == "stable"
