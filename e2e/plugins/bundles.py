"""Failure bundles, the end-of-run summary, and the leak check's verdict.

For each failed test, ``bundle.json`` lands next to its trace (test-results/<test>/): the tenant
handles, the fakes' journals filtered to those tenants (the fakes' ``contains=`` filter: the
tenant's phone number at Twilio, its id at Stripe, its owner's email at Google and at Jobber, with its
Jobber account id), the app's log
lines for those tenants during the test, and the page errors / 5xx seen. The summary at the end prints, per failed test, the
``playwright show-trace`` command for each trace and the bundle's path.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from e2e.plugins.a11y import findings_of
from e2e.plugins.browser import CONNECTED_KEY
from e2e.plugins.common import is_controller, run_of, worker_id
from e2e.plugins.guards import OBSERVATIONS_KEY, TestObservations, tenant_ids_of
from e2e.plugins.stack import STACK_TIMINGS
from e2e.plugins.tenants import LEAKS_KEY, SEEDER_KEY
from e2e.plugins.traces import TRACE_PROPERTY
from fakes.google.client import GoogleFakeClient
from fakes.jobber.client import JobberFakeClient
from fakes.stripe.client import StripeFakeClient
from fakes.twilio.client import TwilioFakeClient

REPORTS_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()
BUNDLE_PROPERTY = "e2e_bundle"
JOURNAL_TIMEOUT_S = 5.0  # a hung fake must not hang the run while it is already reporting a failure


def _failed_so_far(item: pytest.Item) -> bool:
    return any(report.failed for report in item.stash.get(REPORTS_KEY, {}).values())


@pytest.fixture(autouse=True)
def _e2e_bundle(request: pytest.FixtureRequest, _e2e_observer: TestObservations) -> Iterator[None]:
    """Set up right after the observer, so torn down right before it: after the test's pages and
    tenants, while the stack (session scope) still runs — the moment to ask the fakes for a failure's
    journals."""
    yield
    if _failed_so_far(request.node):
        _e2e_observer.bundle = collect(request.node, _e2e_observer)


def collect(item: pytest.Item, observations: TestObservations) -> dict[str, Any]:
    stack = observations.stack
    seeder = item.stash.get(SEEDER_KEY, None)
    tenants = list(seeder.created) if seeder else []
    tenant_ids = tenant_ids_of(item)
    bundle: dict[str, Any] = {
        "test": item.nodeid,
        "collected_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": {"run_id": run_of(item.config).run_id, "worker": worker_id()},
        "stack": {"base_url": stack.base_url, "twilio_url": stack.twilio_url, "stripe_url": stack.stripe_url,
                  "other_fakes": stack.fakes,
                  "app_log_file": str(stack.app_log_file) if stack.app_log_file else None},
        "tenants": [t.to_dict() for t in tenants],
        "page_errors": observations.page_errors,
        "app_5xx_seen_by_browser": observations.browser_server_errors,
        "twilio": {"requests": []},
        "stripe": {"requests": []},
        "google": {"requests": []},
        "jobber": {"requests": []},
        "app_log": observations.log_entries(tenant_ids),
        "a11y_findings": findings_of(item),  # moderate/minor axe findings (serious ones failed the test)
        "notes": [],
    }
    if stack.twilio_url:
        try:
            with TwilioFakeClient(stack.twilio_url, timeout=JOURNAL_TIMEOUT_S) as twilio:
                bundle["twilio"]["requests"] = _journal(twilio.requests, [t.phone_number for t in tenants])
        except Exception as exc:
            bundle["notes"].append(f"Twilio journal unavailable: {exc!r}")
    if stack.stripe_url:
        try:
            with StripeFakeClient(stack.stripe_url, timeout=JOURNAL_TIMEOUT_S) as stripe:
                bundle["stripe"]["requests"] = _journal(stripe.requests, [t.id for t in tenants])
        except Exception as exc:
            bundle["notes"].append(f"Stripe journal unavailable: {exc!r}")
    google_url = stack.fakes.get("google")
    if google_url:
        try:
            # A tenant's Google calendar is its owner's email (control calls and consent carry it).
            with GoogleFakeClient(google_url, timeout=JOURNAL_TIMEOUT_S) as google:
                bundle["google"]["requests"] = _journal(google.requests, [t.owner.email for t in tenants])
        except Exception as exc:
            bundle["notes"].append(f"Google journal unavailable: {exc!r}")
    jobber_url = stack.fakes.get("jobber")
    if jobber_url:
        try:
            # A tenant's Jobber account is its owner's email (consent and control calls carry it); its webhooks
            # name the account's id instead.
            jobber = JobberFakeClient(jobber_url, timeout=JOURNAL_TIMEOUT_S)
            try:
                emails = [t.owner.email for t in tenants]
                needles = emails + [i for i in (jobber.account_id(e) for e in emails) if i]
                bundle["jobber"]["requests"] = _journal(jobber.requests, needles)
            finally:
                jobber.close()
        except Exception as exc:
            bundle["notes"].append(f"Jobber journal unavailable: {exc!r}")
    if not stack.app_log_file:
        bundle["notes"].append("app log not readable from here (set E2E_APP_LOG_FILE for an external target)")
    return bundle


def _journal(fetch: Any, needles: list[str]) -> list[dict[str, Any]]:
    """Journal entries mentioning any needle, each once, in journal order."""
    entries: dict[int, dict[str, Any]] = {}
    for needle in needles:
        if needle:
            for entry in fetch(contains=needle):
                entries[entry["id"]] = entry
    return [entries[key] for key in sorted(entries)]


def _artifacts(folder: Path) -> dict[str, list[str]]:
    if not folder.is_dir():
        return {"traces": [], "screenshots": [], "videos": []}
    return {
        "traces": sorted(str(p) for p in folder.glob("trace*.zip")),
        "screenshots": sorted(str(p) for p in folder.glob("*.png")),
        "videos": sorted(str(p) for p in folder.glob("*.webm")),
    }


def _relative(path: Path, config: pytest.Config) -> str:
    try:
        return str(path.relative_to(config.invocation_params.dir))
    except ValueError:
        return str(path)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # A plain wrapper: its code after `yield` runs after pytest-playwright's (trylast) one, so the
    # trace has been moved into the test's folder by then.
    report: pytest.TestReport = yield
    item.stash.setdefault(REPORTS_KEY, {})[report.when] = report
    if report.when == "teardown" and _failed_so_far(item):
        observations = item.stash.get(OBSERVATIONS_KEY, None)
        if observations is not None:
            _write_bundle(item, report, observations)
    return report


def _write_bundle(item: pytest.Item, report: pytest.TestReport, observations: TestObservations) -> None:
    folder = Path(observations.output_path)
    bundle = observations.bundle or collect_offline(item, observations)
    reports = item.stash.get(REPORTS_KEY, {})
    bundle["outcome"] = {when: r.outcome for when, r in reports.items()}
    bundle["error"] = "\n\n".join(r.longreprtext[-6000:] for r in reports.values() if r.failed)
    bundle["artifacts"] = _artifacts(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bundle.json"
    path.write_text(json.dumps(bundle, indent=2, default=str), encoding="utf-8")
    report.user_properties.append((BUNDLE_PROPERTY, _relative(path, item.config)))
    html = item.config.pluginmanager.getplugin("html")
    if html is not None and getattr(item.config.option, "htmlpath", None):
        report_dir = (item.config.invocation_params.dir / item.config.option.htmlpath).parent
        link = Path(os.path.relpath(path, report_dir)).as_posix()
        report.extras = [*getattr(report, "extras", []), html.extras.url(link, name="bundle.json")]  # type: ignore[attr-defined]


def collect_offline(item: pytest.Item, observations: TestObservations) -> dict[str, Any]:
    """A test that failed only in teardown: its bundle is written without asking the fakes again."""
    seeder = item.stash.get(SEEDER_KEY, None)
    return {"test": item.nodeid, "tenants": [t.to_dict() for t in (seeder.created if seeder else [])],
            "page_errors": observations.page_errors, "app_5xx_seen_by_browser": observations.browser_server_errors,
            "app_log": observations.log_entries(tenant_ids_of(item)), "a11y_findings": findings_of(item),
            "notes": ["failed during teardown: fake journals were not collected"]}


# -- the controller's view: summary and verdict ------------------------------------------------------------
TRACE_KINDS = {"playwright_trace": "traces", "playwright_screenshot": "screenshots",
               "playwright_video": "videos", BUNDLE_PROPERTY: "bundles"}


def pytest_configure(config: pytest.Config) -> None:
    if is_controller(config):
        config.pluginmanager.register(RunSummary(config), "e2e-run-summary")


class RunSummary:
    """Lives in the controller: sees every report (xdist forwards them) and each worker's final output."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.failures: dict[str, dict[str, list[str]]] = {}
        self.traces: dict[str, list[dict[str, Any]]] = {}  # nodeid -> labelled traces, passed tests too
        self.leaks: list[dict[str, Any]] = []
        self.stack_timings: list[dict[str, float]] = []
        self.browsers: set[str] = set()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failures.setdefault(report.nodeid, {kind: [] for kind in TRACE_KINDS.values()})
        if report.when == "teardown":
            labelled = [json.loads(str(value)) for name, value in report.user_properties if name == TRACE_PROPERTY]
            if labelled:
                self.traces[report.nodeid] = labelled
        if report.when == "teardown" and report.nodeid in self.failures:
            for name, value in report.user_properties:
                if name in TRACE_KINDS:
                    self.failures[report.nodeid][TRACE_KINDS[name]].append(str(value))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", None) or {}
        self.leaks.extend(output.get("e2e_leaks", []))
        if output.get("e2e_stack_timings"):
            self.stack_timings.append(output["e2e_stack_timings"])
        if output.get("e2e_browser"):
            self.browsers.add(output["e2e_browser"])

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if LEAKS_KEY in self.config.stash:  # without xdist, the only worker is this process
            own_leaks = self.config.stash[LEAKS_KEY]
            self.leaks.extend(own_leaks)
        if CONNECTED_KEY in self.config.stash:
            self.browsers.add(self.config.stash[CONNECTED_KEY])
        if STACK_TIMINGS in self.config.stash:
            own_timings = self.config.stash[STACK_TIMINGS]
            self.stack_timings.extend(own_timings)
        if self.leaks and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        write = terminalreporter.write_line
        for line in sorted(self.browsers):
            write(line)
        if self.stack_timings:
            write("e2e stack start: " + ", ".join(
                f"{t['total_s']:.1f}s (fakes ready {t['fakes_s']:.1f}s, app boot {t['app_s']:.1f}s)"
                for t in self.stack_timings))
        if self.failures:
            terminalreporter.section("e2e failure artifacts")
            for nodeid, found in self.failures.items():
                write(nodeid, bold=True)
                self._write_traces(write, nodeid, found["traces"])
                for bundle in found["bundles"]:
                    write(f"  bundle: {bundle}")
                for other in found["screenshots"] + found["videos"]:
                    write(f"  artifact: {other}")
                if not found["traces"]:
                    write("  (no trace: the test opened no browser context, or tracing is off)")
        kept = {nodeid: traces for nodeid, traces in self.traces.items() if nodeid not in self.failures}
        if kept:  # --tracing on (the debug profile): passing tests keep their traces too
            terminalreporter.section("e2e traces of passed tests")
            for nodeid in kept:
                write(nodeid)
                self._write_traces(write, nodeid, [])
        if self.leaks:
            terminalreporter.section("e2e leak check FAILED", red=True)
            for leak in self.leaks:
                write(f"  tenant {leak['id']} ({leak['name']}) survived its test; labels {leak['labels']}", red=True)
            write("  `python -m seed sweep` removes them from a lasting target; fix the teardown that skipped them.")

    def _write_traces(self, write: Any, nodeid: str, unlabelled: list[str]) -> None:
        """One line per trace: its context, a show-trace command that runs as printed, and a mark on the
        trace whose actions include the failure."""
        show = _relative(Path(sys.executable).parent / "playwright", self.config)
        labelled = self.traces.get(nodeid) or [{"path": path, "label": "", "failed": None} for path in unlabelled]
        width = max(len(trace["label"]) for trace in labelled) if labelled else 0
        for trace in labelled:
            mark = f"   <- failed here: {trace['failed']}" if trace["failed"] else ""
            write(f"  {trace['label']:<{width}}  {show} show-trace {trace['path']}{mark}")
