"""Combines the app's coverage from a flow-suite run and writes the reports (`make e2e-coverage`).

Reads the data files every measured process wrote (test-results/coverage/data/, [tool.coverage.run]),
combines them, and writes under test-results/coverage/: html/ (with the tests that reached each line),
coverage.json (coverage.py's JSON report, with contexts), flows.json and flows.md (which app modules
each flow marker exercises, from the per-test contexts e2e/plugins/coverage.py sets). Exits 2 when the
total is under [tool.coverage.report] fail_under, like `coverage report --fail-under`.

    python -m scripts.e2e_coverage [--out test-results/coverage]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import coverage
from coverage.exceptions import NoDataError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
UNLABELLED = "(start-up)"  # lines run before any test switched the context (imports, app start), or on a shared stack


def flows_of(context: str) -> list[str]:
    """`auth,smoke|e2e/test_auth.py::test_x` -> ["auth", "smoke"]; "" (no test yet) -> [UNLABELLED]."""
    markers, sep, _ = context.partition("|")
    if not sep:
        return [UNLABELLED]
    return [m for m in markers.split(",") if m] or ["(unmarked)"]


def per_flow(cov: coverage.Coverage, report: dict[str, Any]) -> dict[str, dict[str, object]]:
    """For each flow marker: the tests seen, and per app module the lines it reached (and of how many).

    `report` is coverage.py's JSON report: its files (what [run] omit leaves) and their statement counts.
    """
    data = cov.get_data()
    reached: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    tests: dict[str, set[str]] = defaultdict(set)
    statements = {module: info["summary"]["num_statements"] for module, info in report["files"].items()}
    for filename in sorted(data.measured_files()):
        module = str(Path(filename).resolve().relative_to(PROJECT_ROOT))
        if module not in statements:
            continue
        executable = set(report["files"][module]["executed_lines"]) | set(report["files"][module]["missing_lines"])
        for lineno, contexts in data.contexts_by_lineno(filename).items():
            if lineno not in executable:
                continue
            for context in contexts:
                for flow in flows_of(context):
                    reached[flow][module].add(lineno)
                    if "|" in context:
                        tests[flow].add(context.partition("|")[2])
    total_statements = sum(statements.values())
    summary: dict[str, dict[str, object]] = {}
    for flow in sorted(reached):
        modules = reached[flow]
        lines = sum(len(v) for v in modules.values())
        summary[flow] = {
            "tests": len(tests[flow]),
            "lines": lines,
            "percent_of_app": round(100 * lines / total_statements, 1) if total_statements else 0.0,
            "modules": {m: {"lines": len(v), "statements": statements[m]} for m, v in sorted(modules.items())},
        }
    return summary


def write_markdown(summary: dict[str, dict[str, object]], total: float, path: Path) -> None:
    out = [f"# App coverage per flow (total {total:.1f} %)", "",
           "Lines of app/ each flow marker reaches (a test with several markers counts for each).", ""]
    for flow, info in summary.items():
        out.append(f"## {flow}: {info['lines']} lines ({info['percent_of_app']} % of app/), {info['tests']} tests")
        modules = info["modules"]
        assert isinstance(modules, dict)
        out.extend(f"- {m}: {v['lines']}/{v['statements']}" for m, v in modules.items())
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "test-results" / "coverage")
    args = parser.parse_args(argv)
    cov = coverage.Coverage(config_file=str(PROJECT_ROOT / "pyproject.toml"))
    combined = Path(str(cov.get_option("run:data_file")))
    try:
        cov.combine(strict=True)  # each process's data file, next to [run] data_file
        cov.save()
    except NoDataError:
        if not combined.exists():  # a second call reports on what the first combined
            print("e2e-coverage: no coverage data: did the run start with COVERAGE_PROCESS_START?", file=sys.stderr)
            return 1
        cov.load()
    args.out.mkdir(parents=True, exist_ok=True)
    total = cov.report(file=sys.stdout)
    cov.html_report(directory=str(args.out / "html"))
    cov.json_report(outfile=str(args.out / "coverage.json"))
    summary = per_flow(cov, json.loads((args.out / "coverage.json").read_text(encoding="utf-8")))
    (args.out / "flows.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    write_markdown(summary, total, args.out / "flows.md")
    floor = float(cov.get_option("report:fail_under") or 0)  # type: ignore[arg-type]
    print(f"e2e-coverage: {total:.1f} % of app/ lines (floor {floor:g} %); reports in {args.out}")
    for flow, info in summary.items():
        print(f"  {flow:<12} {info['lines']:>5} lines  {info['tests']:>3} tests")
    if total < floor:
        print(f"e2e-coverage FAILED: {total:.2f} % is under the floor of {floor:g} % (pyproject.toml "
              "[tool.coverage.report] fail_under)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
