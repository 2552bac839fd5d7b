"""Runs the e2e suite N times in parallel and reports, per test, how often it passed and failed.

    python -m scripts.flake_check [--runs 10] [--workers 2] [-- extra pytest args]

Every test is repeated --runs times (pytest-repeat) and the repetitions are spread over --workers
xdist workers, so the suite really runs concurrently with itself — the conditions that expose shared
state and timing assumptions. A test that both passed and failed is flaky; one that always failed is
broken. Writes test-results/flake-check/{junit.xml,report.json} and exits 1 if any test was not green
every time. The bar is zero flaky tests: fix causes, do not add retries.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite

REPEAT_SUFFIX = re.compile(r"(\[|-)\d+-\d+\]$")


def base_test_id(classname: str, name: str) -> str:
    """`test_x[sqlite-3-10]` -> `test_x[sqlite]`; `test_x[3-10]` -> `test_x`."""
    match = REPEAT_SUFFIX.search(name)
    if match:
        name = name[: match.start()] + ("]" if match.group(1) == "-" else "")
    return f"{classname}::{name}"


def tally(junit: Path) -> dict[str, dict[str, int]]:
    xml = JUnitXml.fromfile(str(junit))
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"passed": 0, "failed": 0, "skipped": 0})
    for suite in suites:
        for case in suite:
            key = base_test_id(case.classname or "", case.name or "")
            if any(isinstance(r, Failure | Error) for r in case.result):
                counts[key]["failed"] += 1
            elif any(isinstance(r, Skipped) for r in case.result):
                counts[key]["skipped"] += 1
            else:
                counts[key]["passed"] += 1
    return dict(counts)


def verdicts(counts: dict[str, dict[str, int]]) -> dict[str, str]:
    result = {}
    for test, c in counts.items():
        if c["failed"] and c["passed"]:
            result[test] = "flaky"
        elif c["failed"]:
            result[test] = "broken"
        else:
            result[test] = "stable"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.flake_check", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--workers", default="2")
    parser.add_argument("--out", type=Path, default=Path("test-results/flake-check"))
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    args.out.mkdir(parents=True, exist_ok=True)
    junit = args.out / "junit.xml"
    command = [sys.executable, "-m", "pytest", "e2e", "-p", "no:randomly", f"--count={args.runs}",
               "--repeat-scope=function", "-n", str(args.workers), f"--junitxml={junit}", "-q", *args.pytest_args]
    print("flake-check:", " ".join(command), flush=True)
    subprocess.run(command, check=False)
    if not junit.exists():
        print("flake-check: the suite produced no junit report", file=sys.stderr)
        return 2
    counts = tally(junit)
    kinds = verdicts(counts)
    report = {"runs": args.runs, "tests": {t: {**counts[t], "verdict": kinds[t]} for t in sorted(counts)}}
    (args.out / "report.json").write_text(json.dumps(report, indent=2))
    width = max((len(t) for t in counts), default=10)
    print(f"\n{'test':<{width}}  passed  failed  verdict")
    for test in sorted(counts):
        c = counts[test]
        print(f"{test:<{width}}  {c['passed']:>6}  {c['failed']:>6}  {kinds[test]}")
    flaky = sorted(t for t, v in kinds.items() if v == "flaky")
    broken = sorted(t for t, v in kinds.items() if v == "broken")
    print(f"\nflake-check: {len(counts)} tests x {args.runs} runs; {len(flaky)} flaky, {len(broken)} always failing")
    return 1 if flaky or broken else 0


if __name__ == "__main__":
    sys.exit(main())
