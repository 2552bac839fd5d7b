"""The flow suite's wiring. Fixtures for flow authors (details in docs/suite.md and each plugin):

stack, twilio, stripe, seeder, tenant (+ @pytest.mark.tenant(...)), owner_page, tech_page,
customer_context, customer_page, customer_phone, app_api, settle, wait_until — and pytest-playwright's
page/context/browser, whose launch, contexts and timeouts are adjusted below.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

pytest.register_assert_rewrite("e2e.plugins")  # imported below, before pytest would load them itself

from collections.abc import Callable  # noqa: E402

from playwright.sync_api import Browser, BrowserContext  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from pytest_playwright.pytest_playwright import CreateContextCallback  # noqa: E402

from e2e.plugins import browser as browser_plugin  # noqa: E402
from e2e.plugins import traces  # noqa: E402
from e2e.plugins.common import profile_of  # noqa: E402
from e2e.plugins.guards import TestObservations  # noqa: E402
from stack.description import Stack  # noqa: E402

pytest_plugins = [
    "e2e.plugins.profile",
    "e2e.plugins.browser",
    "e2e.plugins.stack",
    "e2e.plugins.tenants",
    "e2e.plugins.guards",
    "e2e.plugins.bundles",
    "e2e.plugins.traces",
    "e2e.plugins.a11y",
    "e2e.plugins.snapshots",
    "e2e.plugins.sharding",
    "e2e.plugins.skips",
    "e2e.plugins.coverage",
]

# Tests of the suite itself (a deliberate failure, a leak...): run only by tests/seed/ in a subprocess.
collect_ignore = [] if os.environ.get("E2E_SELF_CHECK") == "1" else ["selfcheck"]


@pytest.fixture(scope="session")
def base_url(stack: Stack) -> str:
    """Relative URLs in page.goto() resolve against the app."""
    return stack.base_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], pytestconfig: pytest.Config,
                             browser_name: str) -> dict[str, Any]:
    return browser_plugin.launch_args(browser_plugin.browser_choice(pytestconfig), browser_type_launch_args,
                                      browser_name)


@pytest.fixture(scope="session")
def launch_browser(launch_browser: Callable[..., Browser], connect_options: dict[str, Any] | None
                   ) -> Callable[..., Browser]:
    """pytest-playwright's launcher, with the fix named when a remote server has no browser to launch."""
    if connect_options is None:
        return launch_browser

    def launch(**kwargs: Any) -> Browser:
        try:
            return launch_browser(**kwargs)
        except PlaywrightError as exc:
            hint = browser_plugin.explain_remote_failure(exc)
            if hint is None:
                raise
            raise PlaywrightError(f"{exc}\n\n{hint}") from exc

    return launch


@pytest.fixture(scope="session")
def connect_options(browser_type_launch_args: dict[str, Any], pytestconfig: pytest.Config) -> dict[str, Any] | None:
    return browser_plugin.connect_options(browser_plugin.browser_choice(pytestconfig), browser_type_launch_args)


@pytest.fixture(scope="session")
def browser(browser: Browser, pytestconfig: pytest.Config) -> Browser:
    browser_plugin.report_connected(pytestconfig, browser)
    return browser


@pytest.fixture
def new_context(new_context: CreateContextCallback, pytestconfig: pytest.Config, request: pytest.FixtureRequest,
                _e2e_observer: TestObservations) -> CreateContextCallback:
    """Every context gets the profile's timeouts and is watched for page errors and app 5xx; its trace has
    the screencast only when the profile says so (trace_screenshots)."""
    profile = profile_of(pytestconfig)
    traced = pytestconfig.getoption("--tracing") in ("on", "retain-on-failure")

    def make(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        if traced and not profile.trace_screenshots:
            traces.without_screencast(context, request.node.nodeid)
        context.set_default_timeout(profile.action_timeout_ms)
        context.set_default_navigation_timeout(profile.navigation_timeout_ms)
        _e2e_observer.watch(context)
        traces.watch(request.node, context)
        return context

    return make  # type: ignore[return-value]
