"""The suite's skip policy: a flow test may skip only for a reason outside the app under test.

A skip that hides a broken feature makes a green run lie, so the one way to skip is
:func:`skip_outside_app` (re-exported by e2e/support.py) with a key of ``OUTSIDE_APP_REASONS``.
Every skip of the run (and every xfail, which hides a failure just as well) is listed at the end of
the terminal summary with its reason; a profile with ``fail_on_unlisted_skips = true`` (the ``ci``
profile) fails the run when any of them did not come through the helper with an allowed key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

import pytest

from e2e.plugins.common import is_controller, profile_of

#: Why a flow test may skip: only what the target does not offer, never what the app fails to do.
OUTSIDE_APP_REASONS = {
    "no_google_fake": "the target has no Google Calendar fake ([stack.google] in the recipe)",
    "no_jobber_fake": "the target has no Jobber fake ([stack.jobber] in the recipe)",
    "no_twilio_fake": "the target has no Twilio fake to drive and read (E2E_TWILIO_FAKE_URL)",
    "no_stripe_fake": "the target has no Stripe fake to drive and read (E2E_STRIPE_FAKE_URL)",
    "not_on_loopback": "the app is not on this machine's loopback, so a test cannot connect from an address of its own",
}
_TAG = re.compile(r"\[outside the app: (?P<key>[a-z_]+)\]")


def skip_outside_app(reason_key: str, detail: str) -> NoReturn:
    """Skips the current test for a reason outside the app under test, named by an allowed key."""
    if reason_key not in OUTSIDE_APP_REASONS:
        raise ValueError(f"{reason_key!r} is not a reason to skip a flow test; allowed: "
                         f"{', '.join(sorted(OUTSIDE_APP_REASONS))}. A feature that does not work must fail.")
    pytest.skip(f"[outside the app: {reason_key}] {detail}")


@dataclass(frozen=True)
class SkipRecord:
    nodeid: str
    reason: str
    allowed: bool


def classify(report: pytest.TestReport) -> SkipRecord | None:
    """A skipped (or xfailed) report as a record; None for any other outcome."""
    if not report.skipped:
        return None
    if hasattr(report, "wasxfail"):
        return SkipRecord(report.nodeid, f"xfail: {report.wasxfail or 'no reason given'}", allowed=False)
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    reason = reason.removeprefix("Skipped: ")
    match = _TAG.search(reason)
    return SkipRecord(report.nodeid, reason, allowed=bool(match and match["key"] in OUTSIDE_APP_REASONS))


class SkipPolicy:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.records: list[SkipRecord] = []

    @property
    def strict(self) -> bool:
        return profile_of(self.config).fail_on_unlisted_skips

    @property
    def unlisted(self) -> list[SkipRecord]:
        return [r for r in self.records if not r.allowed]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = classify(report)
        if record is not None:
            self.records.append(record)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.strict and self.unlisted and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.records:
            return
        terminalreporter.section("skips (every skip of this run)")
        for record in self.records:
            verdict = "allowed" if record.allowed else "NOT ALLOWED"
            terminalreporter.line(f"{verdict}: {record.nodeid}: {record.reason}")
        if self.unlisted:
            keys = ", ".join(sorted(OUTSIDE_APP_REASONS))
            consequence = ("this profile fails the run" if self.strict
                           else "the ci profile fails a run with them")
            terminalreporter.line(
                f"{len(self.unlisted)} skip(s) did not come through e2e.support.skip_outside_app with an allowed "
                f"reason ({keys}): {consequence}.", red=True)


def pytest_configure(config: pytest.Config) -> None:
    if is_controller(config):  # under xdist the controller sees every worker's reports
        config.pluginmanager.register(SkipPolicy(config), "e2e-skip-policy")
