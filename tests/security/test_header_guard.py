"""The e2e guard checks security headers (issue 23): e2e/selfcheck/test_security_headers_guard.py is run in a
subprocess; the flow whose page lost its CSP fails with a clear message, the unchanged flow passes."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from tests.seed.conftest import run_pytest

pytestmark = pytest.mark.security

SELFCHECK = "e2e/selfcheck/test_security_headers_guard.py"


def test_a_flow_fails_when_its_page_loses_a_security_header(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    run = run_pytest([SELFCHECK, "--junitxml", str(junit)], tmp_path, env={"E2E_SELF_CHECK": "1"})
    outcomes = {case.get("name"): "failed" if case.find("failure") is not None or case.find("error") is not None
                else "passed" for case in ElementTree.parse(junit).getroot().iter("testcase")}
    assert outcomes == {"test_a_page_without_its_csp_fails[chromium]": "failed",
                        "test_a_page_with_its_headers_passes[chromium]": "passed"}, run
    assert "security header missing:" in run.output and "/inbox (200): no Content-Security-Policy" in run.output, run
