"""`make e2e-coverage`'s per-test labels: a measured child process switches its coverage context when the
test process asks (stack/coverage_contexts.py + e2e/plugins/coverage.py), its data lands in the child's own
file, and scripts/e2e_coverage.py attributes each line to the flow markers of the tests that ran it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import coverage

from e2e.plugins.coverage import switch_contexts
from scripts.e2e_coverage import UNLABELLED, flows_of
from stack.coverage_contexts import ready_path
from stack.waiting import wait_until

# A child that runs one function per line it reads, so the test decides what runs under which label.
CHILD = textwrap.dedent('''
    import sys
    def first():
        return 1
    def second():
        return 2
    print("started", flush=True)
    for line in sys.stdin:
        {"first": first, "second": second}[line.strip()]()
        print("done", flush=True)
''')


def test_a_measured_child_labels_its_lines_with_the_test_that_ran_them(tmp_path: Path) -> None:
    script, contexts = tmp_path / "child.py", tmp_path / "contexts"
    script.write_text(CHILD)
    config = tmp_path / ".coveragerc"
    config.write_text(f"[run]\nparallel = true\ndata_file = {tmp_path / '.coverage'}\nsigterm = true\n"
                      "plugins = stack.coverage_contexts\n")
    env = {**os.environ, "COVERAGE_PROCESS_START": str(config), "NMC_COVERAGE_CONTEXTS": str(contexts)}
    child = subprocess.Popen([sys.executable, str(script)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, cwd=tmp_path)
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "started"
        wait_until(lambda: ready_path(contexts, child.pid).exists(), timeout=10, message="the child's ready file")
        for label, call in (("auth|e2e/test_a.py::test_one", "first"), ("booking,smoke|e2e/test_b.py::test_two", "second")):
            switch_contexts(contexts, (child.pid, 999_999_999), label)  # a pid that never announced itself: left alone
            child.stdin.write(call + "\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "done"
    finally:
        child.send_signal(signal.SIGTERM)  # as the stack stops its processes: coverage saves first
        child.wait(timeout=30)

    cov = coverage.Coverage(config_file=str(config), data_file=str(tmp_path / ".coverage"))
    cov.combine(data_paths=[str(tmp_path)], strict=True)
    by_line = cov.get_data().contexts_by_lineno(str(script))
    source = CHILD.splitlines()
    label_of = {source[n - 1].strip(): set(labels) for n, labels in by_line.items()}
    assert label_of["return 1"] == {"auth|e2e/test_a.py::test_one"}
    assert label_of["return 2"] == {"booking,smoke|e2e/test_b.py::test_two"}
    assert label_of['print("started", flush=True)'] == {""}  # before any switch


def test_a_label_counts_for_each_of_its_flows() -> None:
    assert flows_of("booking,smoke|e2e/test_b.py::test_two") == ["booking", "smoke"]
    assert flows_of("|e2e/test_c.py::test_unmarked") == ["(unmarked)"]
    assert flows_of("") == [UNLABELLED]
