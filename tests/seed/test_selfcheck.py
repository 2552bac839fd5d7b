"""The suite's failure machinery, proven by running deliberately misbehaving e2e tests in a subprocess
(e2e/selfcheck/, collected only with E2E_SELF_CHECK=1): a failure leaves a trace, a bundle and a
printed show-trace line; page errors and app 5xx fail a test that otherwise passes; a leaked tenant
fails the run; the ledger keeps what leaked, and the sweeper settles it once the stack is gone."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
import zipfile
from html import unescape
from pathlib import Path

import pytest

from seed.ledger import fold, ledger_files, read_events
from seed.sweeper import sweep
from tests.seed.conftest import PytestRun, run_pytest

SELFCHECK = "e2e/selfcheck/test_deliberate_failures.py"


def outcomes(junit: Path) -> dict[str, str]:
    found = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        outcome = "failed" if case.find("failure") is not None or case.find("error") is not None else "passed"
        found[case.get("name", "")] = outcome
    return found


@pytest.fixture(scope="module", params=["serial", "xdist"])
def selfcheck_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> PytestRun:
    tmp = tmp_path_factory.mktemp(f"selfcheck-{request.param}")
    workers = ["-n", "2"] if request.param == "xdist" else []
    return run_pytest([SELFCHECK, *workers, "--junitxml", str(tmp / "junit.xml"), "--html", str(tmp / "report.html")], tmp,
                      env={"E2E_SELF_CHECK": "1"})


def test_misbehaving_tests_fail_and_the_leak_fails_the_run(selfcheck_run: PytestRun) -> None:
    assert selfcheck_run.returncode == 1, selfcheck_run
    results = outcomes(selfcheck_run.output_dir.parent / "junit.xml")
    assert results == {
        "test_assertion_fails[chromium]": "failed",
        "test_uncaught_page_error_fails[chromium]": "failed",
        "test_app_5xx_seen_by_the_browser_fails[chromium]": "failed",
        "test_app_5xx_in_the_app_log_fails": "failed",
        "test_fails_in_the_second_of_two_contexts[chromium]": "failed",
        "test_leaks_a_tenant": "passed",
    }, selfcheck_run
    out = selfcheck_run.output
    assert "uncaught page error: Error: selfcheck: uncaught page error" in out
    assert re.search(r"app answered 503 to the browser: GET http://127\.0\.0\.1:\d+/inbox", out)
    assert "app log: POST /webhooks/twilio/sms -> 500" in out
    assert "e2e leak check FAILED" in out and "survived its test" in out


def test_a_failure_leaves_trace_bundle_and_show_trace_line(selfcheck_run: PytestRun) -> None:
    folders = list(selfcheck_run.output_dir.glob("*test-assertion-fails*"))
    assert len(folders) == 1, list(selfcheck_run.output_dir.iterdir())
    trace, bundle_path = folders[0] / "trace.zip", folders[0] / "bundle.json"
    assert trace.stat().st_size > 1000 and bundle_path.exists()
    assert re.search(rf"owner +\S*\.venv/bin/playwright show-trace {re.escape(str(trace))}\n", selfcheck_run.output)
    assert f"bundle: {bundle_path}" in selfcheck_run.output

    bundle = json.loads(bundle_path.read_text())
    assert bundle["outcome"]["call"] == "failed" and "deliberate failure" in bundle["error"]
    tenant = bundle["tenants"][0]
    assert tenant["owner"]["email"] and tenant["phone_number"].startswith("+1")
    assert bundle["artifacts"]["traces"] == [str(trace)]
    # Both fakes' journals, filtered to this tenant: its number's provisioning, the missed call's
    # webhook to the app and the first SMS the app sent back.
    twilio = bundle["twilio"]["requests"]
    assert twilio and all(tenant["phone_number"] in json.dumps(entry) for entry in twilio)
    assert any(e["direction"] == "outbound" and e["url"].endswith("/webhooks/twilio/voice-status") for e in twilio)
    assert "requests" in bundle["stripe"]
    # The app's log lines for this tenant during the test.
    assert bundle["app_log"] and all(e.get("tenant_id") in (tenant["id"], None) for e in bundle["app_log"])
    assert any(e.get("tenant_id") == tenant["id"] for e in bundle["app_log"])


def test_tests_without_a_browser_still_get_a_bundle(selfcheck_run: PytestRun) -> None:
    folder = next(selfcheck_run.output_dir.glob("*test-app-5xx-in-the-app-log-fails*"))
    bundle = json.loads((folder / "bundle.json").read_text())
    assert bundle["artifacts"]["traces"] == []
    assert any(e.get("status") == 500 for e in bundle["app_log"])


def test_teardown_deleted_every_tenant_but_the_leaked_one(selfcheck_run: PytestRun) -> None:
    files = ledger_files(selfcheck_run.ledger_dir)
    assert len(files) == 1, "the leak keeps the run's ledger"
    tenants = fold(read_events(files[0]))
    open_ = [t for t in tenants if not t.settled]
    assert len(open_) == 1 and open_[0].name.endswith("test_leaks_a_tenant") and open_[0].state == "created"
    assert all(t.state == "deleted" for t in tenants if t is not open_[0])
    # That run is over and its stack (and database) are gone: the sweeper settles the entry.
    report = sweep(ledger_dir=selfcheck_run.ledger_dir, operator=None)
    assert report.settled and ledger_files(selfcheck_run.ledger_dir) == []


def test_two_contexts_traces_are_labelled_and_the_failing_one_marked(selfcheck_run: PytestRun) -> None:
    folder = next(selfcheck_run.output_dir.glob("*test-fails-in-the-second-of-two-contexts*"))
    lines = {line.split()[0]: line for line in selfcheck_run.output.splitlines()
             if "show-trace" in line and folder.name in line}
    assert set(lines) == {"owner", "customer"}, selfcheck_run.output
    assert "failed here" in lines["customer"] and "failed here" not in lines["owner"]
    assert "to_be_visible" in lines["customer"] and "selfcheck: a heading that is not there" in lines["customer"]
    customer_trace = lines["customer"].split("show-trace ")[1].split()[0]
    assert Path(customer_trace).exists() and Path(customer_trace).parent == folder


def test_the_html_report_is_complete_and_links_each_failures_evidence(selfcheck_run: PytestRun) -> None:
    report_path = selfcheck_run.output_dir.parent / "report.html"
    html = unescape(report_path.read_text())
    assert "assets/" not in html and "<style" in html  # self-contained: styled wherever it is opened
    # Every test has finished: the report's data says so (the "still running" banner is hidden by its CSS).
    assert 'summary__reload__button hidden' in html
    assert "Trace: customer (failed here)" in html and "Trace: owner" in html
    links = set(re.findall(r'"content": "([^"]+(?:bundle\.json|\.zip))"', html))
    assert any(link.endswith("bundle.json") for link in links), links
    for link in links:
        assert (report_path.parent / link).exists(), link  # relative, so it works once downloaded


def trace_groups(trace: Path) -> list[tuple[str, str | None]]:
    """(group name, parent call id) of every tracing.group in a trace zip, in order."""
    groups = []
    with zipfile.ZipFile(trace) as archive:
        for member in (m for m in archive.namelist() if m.endswith(".trace")):
            for line in archive.read(member).decode().splitlines():
                event = json.loads(line)
                if event.get("type") == "before" and event.get("method") == "tracingGroup":
                    groups.append((event["title"], event.get("parentId")))
    return groups


def test_page_object_actions_are_named_steps_in_the_trace_and_the_report(selfcheck_run: PytestRun) -> None:
    folder = next(selfcheck_run.output_dir.glob("*test-fails-in-the-second-of-two-contexts*"))
    owner_line = next(line for line in selfcheck_run.output.splitlines()
                      if line.split()[:1] == ["owner"] and folder.name in line)
    groups = trace_groups(Path(owner_line.split("show-trace ")[1].split()[0]))
    assert [name for name, _ in groups] == ["goto", "expect loaded"]
    assert groups[0][1] is None and groups[1][1] is not None  # "expect loaded" runs inside "goto"
    assert "page-object steps" in selfcheck_run.output and "goto\n  expect loaded" in selfcheck_run.output
