"""Medians of repeated benchmark runs, figure by figure (issue 8 asks for medians of repeated runs).

    .venv/bin/python -m bench.median run1.json run2.json run3.json [--out bench/results/median.json]

Prints one line per target with every run's value and their median; --out writes the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from statistics import median
from typing import Any

from bench.__main__ import TARGETS, check_targets


def figure(result: dict[str, Any], key: str, field: str) -> float | None:
    section = result.get(key)
    value = section.get(field) if field and isinstance(section, dict) else (None if field else section)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def medians(results: list[dict[str, Any]]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    merged: dict[str, Any] = {}
    for name, (key, field, _op, _target) in TARGETS.items():
        values = [v for v in (figure(r, key, field) for r in results) if v is not None]
        table[name] = {"runs": values, "median": round(median(values), 2) if values else None}
        if field:
            merged.setdefault(key, {})[field] = table[name]["median"]
        else:
            merged[key] = table[name]["median"]
    checks = check_targets(merged)
    return {name: {**row, "target": checks[name]["target"], "met": checks[name]["met"]} for name, row in table.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.median", description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    table = medians([json.loads(path.read_text(encoding="utf-8")) for path in args.runs])
    for name, row in table.items():
        runs = ", ".join(f"{v:g}" for v in row["runs"]) or "-"
        print(f"{name:24} median {row['median']!s:>9}  target {row['target']:>8}  met {row['met']!s:5}  runs: {runs}")
    if args.out:
        args.out.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
