"""Every app page a flow arrives on is scanned with axe-core (the axe-playwright-python package).

The scan runs when a page object proves it is loaded (``pages.base.on_page_loaded``), once per distinct
page state in the run (xdist workers claim a state with a file in the run's claims folder). A state is
the URL path (ids and tokens aside), the page object's class and the ``data-state`` values shown (plan,
conversation and compliance badges), so a billing page seen as "none" and later as "active" is scanned
twice, an inbox revisited unchanged once. Only the app's own pages are scanned (the Stripe fake's hosted
checkout stands in for Stripe's page, which the app does not ship).

Impact ``serious`` / ``critical`` fails the test at that moment, naming rule, elements and page.
``moderate`` / ``minor`` findings are kept: they go into the failure bundle (``a11y_findings``) and into
the test's report as an "a11y" section (terminal with -rA, the HTML report's log).

Rules the app cannot meet go in ALLOWED_RULES with the reason; nothing else is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from e2e.plugins.common import handoff, is_controller
from pages.base import BasePage, on_page_loaded
from stack.description import Stack

FAILING_IMPACTS = ("serious", "critical")
#: WCAG 2.1 A/AA plus axe's best practices (landmarks, heading order, one <h1>...).
AXE_OPTIONS: dict[str, Any] = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
}
#: rule id -> why the app cannot meet it. Empty: every rule applies.
ALLOWED_RULES: dict[str, str] = {}
STATE_FINGERPRINT_JS = "() => [...document.querySelectorAll('[data-state]')].map(e => e.dataset.state).join(',')"

#: A state is the same page (ids and tokens in its path aside), shown by the same page object with the same
#: badges. Its markup comes from one template, so one scan per state and run judges it; scanning every
#: revisit in every test cost more than the flows themselves.
StateKey = tuple[str, str, str]


class ScanClaims:
    """The page states already scanned in this run, shared by its xdist workers: the first to claim a
    state (creating its file, which only one process can) scans it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def claim(self, key: StateKey) -> bool:
        name = hashlib.sha256("\x00".join(key).encode()).hexdigest()[:32]
        try:
            os.close(os.open(self.folder / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        return True


def claims_folder(config: pytest.Config) -> Path:
    given = handoff(config)  # run id and the controller's pid: no other run shares the folder
    return Path(tempfile.gettempdir()) / f"nmc-a11y-{given['run_id']}-{given['run_pid']}"


_ID_SEGMENT = re.compile(r"^(?:[0-9a-f]{16,}|\d+|[A-Za-z0-9_-]{20,})$")


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now.

    On Chromium axe is injected and run through a CDP session: Playwright's trace records every
    page.evaluate with its arguments and result, and axe's ~600 KB of source plus its report in every
    trace of every test was a fifth of what the suite's tracing cost. Elsewhere (Firefox, WebKit) through
    page.evaluate, as axe-playwright-python does.
    """
    if page.context.browser is None or page.context.browser.browser_type.name != "chromium":
        return list(_AXE.run(page, options=AXE_OPTIONS).response["violations"])
    session = page.context.new_cdp_session(page)
    try:
        for expression in (_AXE.axe_script,
                           f"axe.run(document, {json.dumps(AXE_OPTIONS)}).then(r => JSON.stringify(r.violations))"):
            answer = session.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                       "returnByValue": True})
            if "exceptionDetails" in answer:
                raise RuntimeError(f"axe-core failed on {page.url}: {answer['exceptionDetails']}")
    finally:
        session.detach()
    violations: list[dict[str, Any]] = json.loads(answer["result"]["value"])
    return violations


def page_shape(url: str) -> str:
    """The URL's path with ids and tokens replaced: /conversations/<id>, /book/<token>."""
    return "/".join("<id>" if _ID_SEGMENT.match(part) else part for part in urlsplit(url).path.split("/"))


A11Y_KEY = pytest.StashKey["A11yScans"]()
CLAIMS_KEY = pytest.StashKey[ScanClaims]()
SCAN_PROPERTY = "a11y_scans"  # [scans, seconds] of one test, summed in the run's summary
_AXE = Axe()  # holds axe.min.js, read once per process


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--no-a11y", action="store_true", default=False,
                     help="skip the axe-core scan on page arrival (to measure its cost; never in CI)")


def pytest_configure(config: pytest.Config) -> None:
    if is_controller(config):
        config.pluginmanager.register(ScanTotals(), "a11y-scan-totals")
    config.stash[CLAIMS_KEY] = ScanClaims(claims_folder(config))


def pytest_unconfigure(config: pytest.Config) -> None:
    if is_controller(config) and CLAIMS_KEY in config.stash:
        shutil.rmtree(config.stash[CLAIMS_KEY].folder, ignore_errors=True)


class ScanTotals:
    """In the controller: what the scans cost in this run (each test reports its own)."""

    def __init__(self) -> None:
        self.scans, self.seconds = 0, 0.0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            for name, value in report.user_properties:
                if name == SCAN_PROPERTY and isinstance(value, list):
                    self.scans += int(value[0])
                    self.seconds += float(value[1])

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.scans:
            terminalreporter.write_line(f"a11y: {self.scans} axe scans, {self.seconds:.1f}s of test time")


@dataclass
class A11yScans:
    """One test's scans: what was scanned, and the findings that did not fail it."""

    base_url: str
    claims: ScanClaims
    scanned: set[StateKey] = field(default_factory=set)
    findings: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def check(self, page_object: BasePage) -> None:
        page = page_object.page
        if not page.url.startswith(self.base_url):
            return
        key = (page_shape(page.url), type(page_object).__name__, page.evaluate(STATE_FINGERPRINT_JS))
        if not self.claims.claim(key):
            return
        self.scanned.add(key)
        started = time.perf_counter()
        violations = run_axe(page)
        self.seconds += time.perf_counter() - started
        where = f"{type(page_object).__name__} at {page.url}"
        failing = []
        for violation in violations:
            if violation["id"] in ALLOWED_RULES:
                continue
            if violation.get("impact") in FAILING_IMPACTS:
                failing.append(violation)
            else:
                self.findings.append(summarise(violation, where))
        if failing:
            raise AssertionError(f"accessibility: {len(failing)} serious/critical axe violation(s) on {where}\n"
                                 + "\n".join(describe(v) for v in failing))

    def report_text(self) -> str:
        return "\n".join(f"{f['impact']}: {f['rule']} on {f['page']}: {f['help']} -> {', '.join(f['targets'])}"
                         for f in self.findings)


def summarise(violation: dict[str, Any], where: str) -> dict[str, Any]:
    return {"rule": violation["id"], "impact": violation.get("impact"), "help": violation["help"], "page": where,
            "targets": [", ".join(map(str, node["target"])) for node in violation["nodes"]],
            "help_url": violation.get("helpUrl")}


def describe(violation: dict[str, Any]) -> str:
    lines = [f"  [{violation.get('impact')}] {violation['id']}: {violation['help']} ({violation.get('helpUrl')})"]
    for node in violation["nodes"][:5]:
        lines.append(f"    element {', '.join(map(str, node['target']))}: {node['html'][:160]}")
        if node.get("failureSummary"):
            lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    if len(violation["nodes"]) > 5:
        lines.append(f"    ... and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)


@pytest.fixture(autouse=True)
def _a11y_scans(request: pytest.FixtureRequest, stack: Stack) -> Iterator[A11yScans | None]:
    if request.config.getoption("--no-a11y"):
        yield None
        return
    scans = A11yScans(base_url=stack.base_url, claims=request.config.stash[CLAIMS_KEY])
    request.node.stash[A11Y_KEY] = scans
    undo = on_page_loaded(scans.check)
    try:
        yield scans
    finally:
        undo()
        request.node.user_properties.append((SCAN_PROPERTY, [len(scans.scanned), round(scans.seconds, 3)]))
        if scans.findings:
            request.node.add_report_section("teardown", "a11y (moderate/minor, not failing)", scans.report_text())


def findings_of(item: pytest.Item) -> list[dict[str, Any]]:
    scans = item.stash.get(A11Y_KEY, None)
    return list(scans.findings) if scans else []
