"""Cheap checks before any browser starts (the GitLab QA idea): every test id a page object relies on
exists in what the app or the fakes render, and nothing in pages/ or e2e/ waits by sleeping."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_ID_PATTERN = re.compile(r"""data-testid=["']([a-z0-9][a-z0-9-]*)["']""")
# Banners render data-testid="{{ banner.test_id }}"; their ids are set in Python: Banner(test_id="...").
BANNER_ID_PATTERN = re.compile(r"""test_id\s*=\s*["']([a-z0-9][a-z0-9-]*)["']""")


def rendered_test_ids() -> set[str]:
    """Literal data-testid values in app/templates/**, the fakes' HTML (templates or Python-built pages),
    and the test ids of banners the app's domains register."""
    found: set[str] = set()
    sources = [*ROOT.glob("app/templates/**/*.html"), *ROOT.glob("fakes/**/*.html"), *ROOT.glob("fakes/**/*.py")]
    for path in sources:
        found |= set(TEST_ID_PATTERN.findall(path.read_text(encoding="utf-8")))
    for path in ROOT.glob("app/**/*.py"):
        text = path.read_text(encoding="utf-8")
        if "Banner(" in text:
            found |= set(BANNER_ID_PATTERN.findall(text))
    return found


def page_object_test_ids(pages_dir: Path = ROOT / "pages") -> dict[str, list[str]]:
    """Test ids used by page objects: literal arguments of get_by_test_id(...) and constants named *_TEST_ID.

    A get_by_test_id(x) with any other argument is reported as unverifiable, so none slips past.
    """
    used: dict[str, list[str]] = {}
    for path in sorted(pages_dir.glob("**/*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id.endswith("_TEST_ID"):
                        used.setdefault(node.value.value, []).append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_by_test_id":
                arg = node.args[0] if node.args else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    used.setdefault(arg.value, []).append(f"{path.name}:{node.lineno}")
                elif not (isinstance(arg, ast.Name) and (arg.id.endswith("_TEST_ID") or arg.id == "test_id")):
                    used.setdefault("<unverifiable>", []).append(f"{path.name}:{node.lineno}")
    return used


def test_every_test_id_of_the_page_objects_exists() -> None:
    used, rendered = page_object_test_ids(), rendered_test_ids()
    assert used, "no test ids found in pages/: the scan is broken"
    assert "<unverifiable>" not in used, (
        "get_by_test_id() with a computed argument at " + ", ".join(used["<unverifiable>"])
        + ": use a literal or a *_TEST_ID constant so this check can see it")
    missing = {test_id: where for test_id, where in used.items() if test_id not in rendered}
    assert not missing, f"page objects use test ids nothing renders: {missing}"


def test_the_scan_catches_renamed_and_computed_ids(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(
        'GONE_TEST_ID = "renamed-long-ago"\n'
        'def rows(page, n):\n'
        '    return page.get_by_test_id("conversation-row"), page.get_by_test_id(f"row-{n}")\n')
    used = page_object_test_ids(tmp_path)
    assert set(used) == {"renamed-long-ago", "conversation-row", "<unverifiable>"}
    assert "renamed-long-ago" not in rendered_test_ids()


def test_the_scan_sees_the_app_and_the_fakes() -> None:
    rendered = rendered_test_ids()
    assert {"conversation-row", "inbox-empty", "current-user", "error-page"} <= rendered
    assert {"billing-banner", "compliance-banner"} <= rendered


def _waits(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("sleep", "wait_for_timeout"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}()")
        if isinstance(node, ast.ImportFrom) and node.module in ("time", "asyncio") and \
                any(alias.name == "sleep" for alias in node.names):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports sleep")
    return found


@pytest.mark.parametrize("folder", ["pages", "e2e"])
def test_no_sleeping_in_pages_or_e2e(folder: str) -> None:
    offenders = [hit for path in sorted((ROOT / folder).rglob("*.py")) for hit in _waits(path)]
    assert not offenders, ("wait with expect(), wait_until or settle instead of sleeping: " + ", ".join(offenders))
