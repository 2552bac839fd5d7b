"""Merges the junit XML and artifacts of several e2e shards into one report.

    python -m scripts.ci_report --out test-results/merged test-results-shard-1 test-results-shard-2 ...

Writes `<out>/junit.xml` (every shard's test cases in one file, counts recomputed) and `<out>/index.html`
(one page: totals, every test with its outcome and duration, failure messages, and links to each failed
test's trace, bundle and screenshot found in the shard folders, plus each shard's own HTML report).
Prints a closing line `N passed, N failed, N skipped` and, with --fail-on-failure, exits 1 when any test
failed or errored — that is how the CI's final job fails when a shard failed. The shards' `shard.json`
(e2e/plugins/sharding.py) must add up to the whole suite, each test in exactly one shard; otherwise the
merge fails (exit 3) naming the tests missed or run twice. The GitHub workflow and `make ci-report`
both call this module.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite


@dataclass
class CaseResult:
    shard: str
    classname: str
    name: str
    outcome: str  # passed | failed | error | skipped
    seconds: float
    message: str = ""
    artifacts: list[Path] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # "<test folder>/<trace file>" -> "owner", "customer (failed here)"

    @property
    def nodeid(self) -> str:
        return f"{self.classname}::{self.name}" if self.classname else self.name


def junit_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.xml") if p.name.startswith("junit"))


def outcome_of(case: TestCase) -> tuple[str, str]:
    for result in case.result:
        if isinstance(result, Failure):
            return "failed", result.message or (result.text or "")
        if isinstance(result, Error):
            return "error", result.message or (result.text or "")
        if isinstance(result, Skipped):
            return "skipped", result.message or ""
    return "passed", ""


def trace_labels(case: TestCase) -> dict[str, str]:
    """Which context each trace of a test recorded, from the e2e_trace properties the suite writes to JUnit."""
    labels = {}
    for item in case._elem.iter("property"):  # junitparser has no typed access to a case's properties
        if item.get("name") == "e2e_trace":
            trace = json.loads(item.get("value") or "{}")
            path = Path(trace.get("path", ""))
            labels[f"{path.parent.name}/{path.name}"] = trace.get("label", "") + (
                " (failed here)" if trace.get("failed") else "")
    return labels


def link_name(result: CaseResult, path: Path) -> str:
    label = result.labels.get(f"{path.parent.name}/{path.name}")
    return f"trace: {label}" if label else path.name


def artifact_index(folder: Path) -> dict[str, list[Path]]:
    """Files under a shard folder grouped by the test-output directory they sit in."""
    found: dict[str, list[Path]] = {}
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in {".zip", ".json", ".png", ".webm"} and path.parent != folder:
            found.setdefault(path.parent.name, []).append(path)
    return found


def slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def collect(folders: list[Path]) -> tuple[JUnitXml, list[CaseResult]]:
    merged = JUnitXml()
    results: list[CaseResult] = []
    for folder in folders:
        files = junit_files(folder)
        if not files:
            raise SystemExit(f"ci_report: no junit*.xml under {folder}")
        artifacts = artifact_index(folder)
        for file in files:
            xml = JUnitXml.fromfile(str(file))
            suites = [xml] if isinstance(xml, TestSuite) else list(xml)
            for suite in suites:
                suite.name = f"{folder.name}:{suite.name}"
                merged.add_testsuite(suite)
                for case in suite:
                    outcome, message = outcome_of(case)
                    # pytest-playwright names a test's folder after its node id (module path with ".py",
                    # truncated when long): the test's own name is the part both sides share.
                    key = slug(case.name or "")[-40:]
                    files_for_case = [p for d, ps in artifacts.items() if key and slug(d).endswith(key) for p in ps]
                    results.append(CaseResult(folder.name, case.classname or "", case.name or "", outcome,
                                              float(case.time or 0), message, files_for_case,
                                              trace_labels(case)))
    merged.update_statistics()
    return merged, results


def coverage_problems(folders: list[Path]) -> list[str]:
    """What is wrong with the shards' partition of the suite, from each folder's shard.json ([] when fine).
    Folders without one (a suite that was not sharded) are only checked when another folder has one."""
    records = {folder: folder / "shard.json" for folder in folders}
    present = {folder: json.loads(path.read_text(encoding="utf-8")) for folder, path in records.items() if path.exists()}
    if not present:
        return []
    problems = [f"{folder} has no shard.json" for folder in folders if folder not in present]
    suites = {tuple(sorted(record["suite"])) for record in present.values()}
    if len(suites) > 1:
        problems.append("the shards collected different suites (different commits or options?)")
    suite = set(next(iter(suites)))
    seen: dict[str, list[str]] = {}
    for folder, record in present.items():
        for nodeid in record["selected"]:
            seen.setdefault(nodeid, []).append(folder.name)
    problems += [f"ran in {len(where)} shards ({', '.join(where)}): {nodeid}"
                 for nodeid, where in sorted(seen.items()) if len(where) > 1]
    problems += [f"ran in no shard: {nodeid}" for nodeid in sorted(suite - set(seen))]
    return problems


def write_html(out: Path, results: list[CaseResult], shard_reports: list[Path]) -> None:
    counts = {k: sum(r.outcome == k for r in results) for k in ("passed", "failed", "error", "skipped")}
    rows = []
    for r in sorted(results, key=lambda r: (r.outcome == "passed", r.nodeid)):
        links = " ".join(
            f'<a href="{html.escape(os.path.relpath(p, out))}">{html.escape(link_name(r, p))}</a>' for p in r.artifacts
        )
        message = f"<pre>{html.escape(r.message[:4000])}</pre>" if r.message else ""
        rows.append(
            f'<tr class="{r.outcome}"><td>{html.escape(r.nodeid)}{message}</td><td>{r.outcome}</td>'
            f"<td>{r.seconds:.2f}s</td><td>{html.escape(r.shard)}</td><td>{links}</td></tr>"
        )
    shard_links = "".join(
        f'<li><a href="{html.escape(os.path.relpath(p, out))}">{html.escape(str(p))}</a></li>' for p in shard_reports
    )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>E2E report</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#1c2430}} table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #d9e0e8;padding:.4rem .6rem;text-align:left;vertical-align:top}}
tr.failed td,tr.error td{{background:#fde8e6}} tr.skipped td{{color:#5d6b7e}} pre{{white-space:pre-wrap;font-size:.8rem}}
.totals span{{margin-right:1.5rem;font-weight:600}}
</style></head><body>
<h1>End-to-end report</h1>
<p class="totals"><span>{len(results)} tests</span><span>{counts["passed"]} passed</span>
<span>{counts["failed"]} failed</span><span>{counts["error"]} errors</span><span>{counts["skipped"]} skipped</span></p>
<h2>Shard reports</h2><ul>{shard_links or "<li>none</li>"}</ul>
<h2>Tests</h2>
<table><thead><tr><th>test</th><th>outcome</th><th>time</th><th>shard</th><th>artifacts</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></body></html>"""
    (out / "index.html").write_text(page, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.ci_report", description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="shard result folders (test-results*)")
    parser.add_argument("--out", type=Path, default=Path("test-results/merged"))
    parser.add_argument("--fail-on-failure", action="store_true")
    parser.add_argument("--expect-shards", type=int, default=None, metavar="N",
                        help="fail unless exactly N shard folders arrived (a shard that crashed uploads nothing)")
    args = parser.parse_args(argv)
    folders = [f for f in args.folders if f.resolve() != args.out.resolve()]
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        print(f"ci_report: not a folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.expect_shards is not None and len(folders) != args.expect_shards:
        print(f"ci_report: expected {args.expect_shards} shard folders, got {len(folders)}: "
              f"{', '.join(str(f) for f in folders) or 'none'}", file=sys.stderr)
        return 2
    problems = coverage_problems(folders)
    if problems:
        print("ci_report: the shards do not cover the suite exactly once:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 3
    merged, results = collect(folders)
    args.out.mkdir(parents=True, exist_ok=True)
    merged.write(str(args.out / "junit.xml"))
    shard_reports = []
    for folder in folders:
        for report in sorted(folder.rglob("*.html")):
            if args.out.resolve() in report.resolve().parents:
                continue
            target = args.out / "shards" / folder.name / report.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(report, target)
            shard_reports.append(target)
    # The failures' evidence is copied beside the report, so its links work wherever the folder is unzipped.
    for result in results:
        if result.outcome in ("failed", "error"):
            copies = []
            for path in result.artifacts:
                target = args.out / "artifacts" / result.shard / path.parent.name / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
                copies.append(target)
            result.artifacts = copies
    write_html(args.out, results, shard_reports)
    failed = sum(r.outcome in ("failed", "error") for r in results)
    skipped = sum(r.outcome == "skipped" for r in results)
    passed = sum(r.outcome == "passed" for r in results)
    print(f"merged {len(folders)} shard(s) into {args.out}/junit.xml and {args.out}/index.html"
          + ("; together they ran the whole suite, each test once" if any((f / "shard.json").exists() for f in folders)
             else ""))
    print(f"totals: passed={passed} failed={failed} skipped={skipped}")
    return 1 if args.fail_on_failure and failed else 0


if __name__ == "__main__":
    sys.exit(main())
