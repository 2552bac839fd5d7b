"""Known vulnerabilities of the pinned dependencies: `pip-audit` over constraints.txt, read so that an audit
that could not run says so instead of passing quietly.

    python -m scripts.pip_audit_check [--requirements constraints.txt]

Exits 1 when a pinned version has a known vulnerability. When the vulnerability service cannot be reached
(offline, or a registry mirror that answers no package pages), pip-audit itself exits 0 with every package
"not found": that is reported as SKIPPED, with the reason, and exits 0 (`make test` must run offline too).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def audit(requirements: Path) -> tuple[int, dict[str, Any] | None, str]:
    """pip-audit's exit code, its JSON report (None when it wrote none) and its stderr."""
    done = subprocess.run(  # nosec B603  # a fixed argument list, no shell
        [sys.executable, "-m", "pip_audit", "--requirement", str(requirements), "--no-deps", "--disable-pip",
         "--progress-spinner", "off", "--format", "json"],
        capture_output=True, text=True, timeout=600, check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        report = None
    return done.returncode, report if isinstance(report, dict) else None, done.stderr


def verdict(returncode: int, report: dict[str, Any] | None, stderr: str) -> tuple[int, str]:
    """(exit code, message) for a pip-audit run."""
    if report is None:
        last = (stderr.strip().splitlines() or ["no output"])[-1]
        return 0, f"pip-audit SKIPPED: it could not run to the end ({last[:300]})"
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    if vulnerable:
        lines = [f"  {d['name']} {d.get('version', '')}: " + ", ".join(
            f"{v.get('id')} (fixed in {', '.join(v.get('fix_versions') or ['-'])})" for v in d["vulns"])
            for d in vulnerable]
        return 1, "pip-audit: known vulnerabilities in constraints.txt:\n" + "\n".join(lines)
    if dependencies and len(skipped) == len(dependencies):
        return 0, (f"pip-audit SKIPPED: none of the {len(dependencies)} pinned packages could be audited "
                   f"(vulnerability service unreachable?): {skipped[0]['skip_reason']}")
    if returncode != 0:
        return returncode, f"pip-audit failed (exit {returncode}): {stderr.strip()[-500:]}"
    note = f"; {len(skipped)} could not be audited: {', '.join(d['name'] for d in skipped)}" if skipped else ""
    return 0, f"pip-audit: no known vulnerabilities in {len(dependencies) - len(skipped)} pinned packages{note}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requirements", type=Path, default=PROJECT_ROOT / "constraints.txt")
    args = parser.parse_args(argv)
    code, message = verdict(*audit(args.requirements))
    print(message)
    return code


if __name__ == "__main__":
    sys.exit(main())
