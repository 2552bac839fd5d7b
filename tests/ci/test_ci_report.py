"""`make ci-report` merges shard results: run two real pytest shards, merge them, check the counts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import JUnitXml

from scripts import ci_report

SHARD_TESTS = {
    "shard-1": "def test_a():\n    assert True\n\ndef test_b():\n    assert 1 + 1 == 3, 'arithmetic'\n",
    "shard-2": (
        "import pytest\n\ndef test_c():\n    assert True\n\n"
        "@pytest.mark.skip(reason='later')\ndef test_d():\n    pass\n"
    ),
}


def run_shard(tmp_path: Path, name: str, source: str) -> Path:
    folder = tmp_path / f"test-results-{name}"
    folder.mkdir()
    test_file = tmp_path / f"test_{name.replace('-', '_')}.py"
    test_file.write_text(source)
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file),
         f"--junitxml={folder / 'junit.xml'}"],
        cwd=tmp_path, capture_output=True, check=False,
    )
    (folder / "report.html").write_text(f"<html><body>{name}</body></html>")
    return folder


def test_merges_two_real_shards_with_the_right_counts(tmp_path: Path, capsys: object) -> None:
    folders = [run_shard(tmp_path, name, source) for name, source in SHARD_TESTS.items()]
    out = tmp_path / "merged"
    code = ci_report.main([*map(str, folders), "--out", str(out), "--fail-on-failure"])
    assert code == 1  # shard-1 has a failure
    merged = JUnitXml.fromfile(str(out / "junit.xml"))
    assert (merged.tests, merged.failures, merged.skipped) == (4, 1, 1)
    page = (out / "index.html").read_text()
    assert "4 tests" in page and "2 passed" in page and "1 failed" in page and "1 skipped" in page
    assert "arithmetic" in page  # the failure message is shown
    assert (out / "shards" / "test-results-shard-1" / "report.html").exists()


def test_all_green_shards_exit_zero(tmp_path: Path) -> None:
    folder = run_shard(tmp_path, "shard-9", "def test_ok():\n    assert True\n")
    assert ci_report.main([str(folder), "--out", str(tmp_path / "m"), "--fail-on-failure"]) == 0


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    assert ci_report.main([str(tmp_path / "nope"), "--out", str(tmp_path / "m")]) == 2


def test_a_folder_without_junit_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    try:
        ci_report.main([str(tmp_path / "empty"), "--out", str(tmp_path / "m")])
    except SystemExit as exc:
        assert "no junit" in str(exc)
    else:
        raise AssertionError("expected a clear error")


def test_a_shard_that_uploaded_nothing_fails_the_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = run_shard(tmp_path, "shard-1", "def test_ok():\n    assert True\n")
    out = tmp_path / "m"
    assert ci_report.main([str(folder), "--out", str(out), "--fail-on-failure", "--expect-shards", "2"]) == 2
    assert "expected 2 shard folders, got 1" in capsys.readouterr().err
    assert ci_report.main([str(folder), "--out", str(out), "--fail-on-failure", "--expect-shards", "1"]) == 0


def _record(folder: Path, group: int, selected: list[str], suite: list[str]) -> None:
    (folder / "shard.json").write_text(json.dumps({"group": group, "splits": 2, "suite": suite, "selected": selected}))


def test_shards_must_cover_the_suite_exactly_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = run_shard(tmp_path, "shard-1", SHARD_TESTS["shard-1"])
    two = run_shard(tmp_path, "shard-2", SHARD_TESTS["shard-2"])
    suite = ["t.py::a", "t.py::b", "t.py::c", "t.py::d"]
    args = [str(one), str(two), "--out", str(tmp_path / "m")]
    _record(one, 1, ["t.py::a", "t.py::b"], suite)
    _record(two, 2, ["t.py::c", "t.py::d"], suite)
    assert ci_report.main(args) == 0
    assert "each test once" in capsys.readouterr().out
    _record(two, 2, ["t.py::b", "t.py::c"], suite)  # the partition moved between the two shards' runs
    assert ci_report.main(args) == 3
    err = capsys.readouterr().err
    assert "ran in 2 shards (test-results-shard-1, test-results-shard-2): t.py::b" in err
    assert "ran in no shard: t.py::d" in err
    (two / "shard.json").unlink()
    assert ci_report.main(args) == 3
    assert "has no shard.json" in capsys.readouterr().err


def test_a_two_shard_e2e_run_merges_into_one_report_linking_labelled_traces(tmp_path: Path) -> None:
    """Two shards of deliberate e2e failures; the merged folder, moved elsewhere as a downloaded artifact
    would be, links each failure's traces (labelled by context, the failing one marked) and bundle."""
    from html import unescape

    from tests.seed.conftest import run_pytest

    selfcheck = "e2e/selfcheck/test_deliberate_failures.py"
    for shard, test in (("shard-1", "two_contexts"), ("shard-2", "test_assertion_fails")):
        folder = tmp_path / shard
        run = run_pytest([selfcheck, "-k", test, "--junitxml", str(folder / "junit.xml")], folder,
                         env={"E2E_SELF_CHECK": "1"})
        assert run.returncode == 1, run
    assert ci_report.main([str(tmp_path / "shard-1"), str(tmp_path / "shard-2"), "--out", str(tmp_path / "merged")]) == 0
    downloaded = tmp_path / "elsewhere" / "merged"
    shutil.copytree(tmp_path / "merged", downloaded)
    shutil.rmtree(tmp_path / "shard-1")
    shutil.rmtree(tmp_path / "shard-2")
    page = unescape((downloaded / "index.html").read_text())
    links = dict((name, href) for href, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', page))
    assert "trace: customer (failed here)" in links and "trace: owner" in links, links
    assert sum(name == "bundle.json" for name in re.findall(r'<a href="[^"]+">([^<]+)</a>', page)) == 2
    for name, href in links.items():
        if name.startswith("trace") or name == "bundle.json":
            assert (downloaded / href).is_file(), (name, href)
