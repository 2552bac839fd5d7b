"""Every test is watched: an uncaught JavaScript error on a page or a 5xx from the app fails it.

Browser side: each context the suite creates reports ``weberror`` (uncaught page errors) and every
response of the app's origin with status >= 500. Server side: the app's JSON log (LOG_FILE) lines
written during the test that record a 5xx or an unhandled exception — tagged with one of the test's
tenants, or untagged when the stack belongs to this worker alone (then nobody else wrote them).
Provider side: what Twilio's debugger would log about the app's answers to the webhooks it posted for the
test's numbers (``fakes.twilio.alerts``: a non-2xx answer, TwiML not declared or not parsed as XML).
The check runs right after the test body, so the failure is the test's own (trace kept, bundle written).

A test that provokes server errors on purpose says so: ``@pytest.mark.allow_app_errors("why")``, and
names them when it can (``only=r"POST /compliance -> 502"``, a regular expression searched in each problem):
then every other problem still fails it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Response, WebError

from e2e.plugins.security_headers import problems as header_problems
from e2e.plugins.tenants import SEEDER_KEY
from fakes.twilio.client import TwilioFakeClient
from stack.applog import AppLog, is_server_error
from stack.description import Stack

OBSERVATIONS_KEY = pytest.StashKey["TestObservations"]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_app_errors(reason, only=None): this test provokes app 5xx / page errors "
                            "on purpose (only: a regex; problems it does not match still fail the test)")


@dataclass
class TestObservations:
    """What happened during one test, beyond its own assertions."""

    __test__ = False  # not a test class, whatever its name says

    stack: Stack
    log: AppLog
    log_mark: int
    output_path: str
    page_errors: list[str] = field(default_factory=list)
    browser_server_errors: list[dict[str, Any]] = field(default_factory=list)
    twilio: TwilioFakeClient | None = None
    missing_headers: list[str] = field(default_factory=list)  # security headers, e2e/plugins/security_headers.py
    odd_pages: list[str] = field(default_factory=list)  # pages that came with a 2xx other than 200
    bundle: dict[str, Any] | None = None  # filled on failure, while the stack still runs

    def watch(self, context: BrowserContext) -> None:
        context.on("weberror", self._on_web_error)
        context.on("response", self._on_response)

    def _on_web_error(self, error: WebError) -> None:
        where = error.page.url if error.page else "unknown page"
        self.page_errors.append(f"{error.error.name}: {error.error.message} (on {where})")

    def _on_response(self, response: Response) -> None:
        if response.status >= 500 and response.url.startswith(self.stack.base_url):
            self.browser_server_errors.append(
                {"status": response.status, "method": response.request.method, "url": response.url})
        # A page is 200 (or a redirect, or an error page): 201 "created" or 204 "no content" with a page says what
        # did not happen, and the browser shows it all the same.
        if (200 < response.status < 300 and response.request.resource_type == "document"
                and response.url.startswith(self.stack.base_url)):
            self.odd_pages.append(f"{response.request.method} {response.url} -> {response.status}")
        self.missing_headers += header_problems(response, self.stack.base_url)

    def log_entries(self, tenant_ids: set[str]) -> list[dict[str, Any]]:
        """The app's log lines of this test: its tenants', plus untagged ones on a stack of our own."""
        entries = self.log.entries_since(self.log_mark)
        own_stack = not self.stack.shared
        return [e for e in entries if e.get("tenant_id") in tenant_ids or (own_stack and not e.get("tenant_id"))]

    def twilio_alerts(self, numbers: set[str]) -> list[str]:
        if self.twilio is None:
            return []
        return [f"Twilio alert {a['error_code']} on {a['request_method']} {a['request_url']} ({a['resource_sid']}): "
                f"{a['alert_text']}" for number in sorted(numbers) for a in self.twilio.alerts(contains=number)]

    def problems(self, tenant_ids: set[str], numbers: set[str] | None = None) -> list[str]:
        found = [f"uncaught page error: {message}" for message in self.page_errors]
        found += [f"app answered {e['status']} to the browser: {e['method']} {e['url']}" for e in self.browser_server_errors]
        found += [f"security header missing: {problem}" for problem in self.missing_headers]
        found += [f"a page came with a status other than 200: {page}" for page in self.odd_pages]
        for entry in self.log_entries(tenant_ids):
            if is_server_error(entry):
                what = f"{entry.get('method', '')} {entry.get('path', '')} -> {entry.get('status')}".strip()
                detail = entry.get("exc", "").splitlines()[-1:] if entry.get("exc") else []
                found.append(f"app log: {entry.get('message', what)} {' '.join(detail)}".rstrip())
        return found + self.twilio_alerts(numbers or set())


def tenant_ids_of(item: pytest.Item) -> set[str]:
    seeder = item.stash.get(SEEDER_KEY, None)
    return {t.id for t in seeder.created} if seeder else set()


def numbers_of(item: pytest.Item) -> set[str]:
    seeder = item.stash.get(SEEDER_KEY, None)
    return {t.phone_number for t in seeder.created} if seeder else set()


@pytest.fixture(autouse=True)
def _e2e_observer(request: pytest.FixtureRequest, stack: Stack, output_path: str,
                  _twilio_control: TwilioFakeClient | None) -> Iterator[TestObservations]:
    # Autouse and requested first, so it is torn down last (e2e/plugins/bundles.py collects a failure
    # bundle just before: after the pages closed and tenants went away, while the stack still runs).
    log = AppLog(stack.app_log_file)
    observations = TestObservations(stack=stack, log=log, log_mark=log.mark(), output_path=output_path,
                                    twilio=_twilio_control)
    request.node.stash[OBSERVATIONS_KEY] = observations
    yield observations


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield  # a test that already failed keeps its own error
    observations = item.stash.get(OBSERVATIONS_KEY, None)
    allowed = item.get_closest_marker("allow_app_errors")
    if observations is None or (allowed is not None and allowed.kwargs.get("only") is None):
        return result
    problems = observations.problems(tenant_ids_of(item), numbers_of(item))
    if allowed is not None:
        problems = [problem for problem in problems if not re.search(allowed.kwargs["only"], problem)]
    if problems:
        raise AssertionError("the test passed its own checks, but during it:\n  " + "\n  ".join(problems))
    return result
