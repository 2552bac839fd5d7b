"""The e2e guard checks security headers (issue 23): e2e/selfcheck/test_security_headers_guard.py is run in a
subprocess; the flow whose page lost its CSP fails with a clear message, the unchanged flow passes. It also
refuses a page the app served with a 2xx other than 200."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import SimpleNamespace

import pytest

from e2e.plugins.guards import TestObservations
from stack.applog import AppLog
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


def test_a_page_served_with_a_2xx_other_than_200_is_a_problem(tmp_path: Path) -> None:
    base = "http://127.0.0.1:9"
    observed = TestObservations(stack=SimpleNamespace(base_url=base, shared=False), log=AppLog(None),  # type: ignore[arg-type]
                                log_mark=0, output_path=str(tmp_path))

    def answer(url: str, status: int, kind: str = "document") -> None:
        request = SimpleNamespace(method="GET", resource_type=kind)
        observed._on_response(SimpleNamespace(url=url, status=status, request=request,  # type: ignore[arg-type]
                                              headers={"content-security-policy": "default-src 'self'; base-uri 'none'; "
                                                       "frame-ancestors 'none'", "x-content-type-options": "nosniff",
                                                       "referrer-policy": "no-referrer", "x-frame-options": "DENY",
                                                       "cache-control": "no-store"}))

    answer(f"{base}/inbox", 200)
    answer(f"{base}/book/t/held", 303)
    answer(f"{base}/book/t", 410)
    answer(f"{base}/api/v1/holds", 201, kind="fetch")  # an API call, not a page
    answer("http://127.0.0.1:8/checkout", 201)  # another site's page (a fake's): not the app's to answer for
    assert observed.problems(set()) == []
    answer(f"{base}/book/t/booked", 201)
    assert observed.problems(set()) == [f"a page came with a status other than 200: GET {base}/book/t/booked -> 201"]


def test_an_api_answer_a_page_may_keep_is_a_problem(tmp_path: Path) -> None:
    base = "http://127.0.0.1:9"
    observed = TestObservations(stack=SimpleNamespace(base_url=base, shared=False), log=AppLog(None),  # type: ignore[arg-type]
                                log_mark=0, output_path=str(tmp_path))
    request = SimpleNamespace(method="GET", resource_type="fetch")
    for cache in ("no-store", "private, max-age=60"):
        observed._on_response(SimpleNamespace(url=f"{base}/api/v1/conversations", status=200,  # type: ignore[arg-type]
                                              request=request, headers={"cache-control": cache}))
    observed._on_response(SimpleNamespace(url=f"{base}/static/app.js", status=200,  # type: ignore[arg-type]
                                          request=request, headers={"cache-control": "max-age=3600"}))
    assert observed.problems(set()) == [
        f"security header missing: {base}/api/v1/conversations (200): API answer without Cache-Control: no-store"]
