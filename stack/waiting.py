"""Waiting with a deadline, and the one helper for "nothing happened" assertions.

These are the only places of the suite allowed to pause: page objects and tests (pages/, e2e/) never
sleep; they assert with Playwright's ``expect`` (which waits by itself), poll a journal with
:func:`wait_until`, or prove an absence over a named window with :class:`Settle`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sized
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
S = TypeVar("S", bound=Sized)

#: How often a condition is re-checked. Short enough to be quick, long enough not to hammer a fake.
POLL_INTERVAL_S = 0.05


class WaitTimeout(AssertionError):
    """A condition did not hold before its deadline (an AssertionError, so pytest shows it as a failure)."""


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    message: str = "condition",
    *,
    interval: float = POLL_INTERVAL_S,
) -> T:
    """Calls ``predicate`` until it returns something truthy and returns that value.

    Raises :class:`WaitTimeout` naming ``message`` and the last value seen when ``timeout`` seconds
    pass first. Exceptions from the predicate propagate at once: a broken query is not a slow one.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"timed out after {timeout:g}s waiting for {message}; last value: {value!r}")
        time.sleep(min(interval, remaining))


class SettleViolation(AssertionError):
    """Something appeared during a window in which nothing was supposed to happen."""


class Settle:
    """Proves that nothing new shows up during a named window ("the assistant stays silent").

    An absence can only be observed over time, so this is the single sanctioned wait of the suite:
    its length is one setting (``settle_window_ms`` of the profile), not a number sprinkled over tests.
    ``read`` returns the collection to watch (e.g. ``lambda: twilio.messages(to=customer)``); the window
    fails as soon as it grows.

    ``idle(horizon_s)``, when given, says whether the app has nothing left to do within ``horizon_s``
    seconds (for the suite: no outbox event of the test's tenants due before the window would end). Once
    it holds, one more read decides and the window ends early: whatever the app would still do by the
    window's end has been done, so waiting longer could not see more; while work is pending, it waits,
    up to the whole window.
    """

    def __init__(self, window_s: float, *, interval: float = 0.1,
                 idle: Callable[[float], bool] | None = None) -> None:
        self.window_s = window_s
        self.interval = interval
        self.idle = idle

    def assert_no_new(self, read: Callable[[], S], window_s: float | None = None, *, what: str = "items",
                      at_least_s: float = 0.0) -> S:
        """Takes a baseline now, watches for ``window_s`` and fails if ``read()`` grew. Returns the last read.

        ``at_least_s``: the window does not end early before this, idle or not. For work the app's idle report
        cannot vouch for (a loop of its own that does not go through the outbox, such as the calendar poll).
        """
        baseline = read()
        return self._watch(read, baseline, window_s, what, at_least_s)

    @contextmanager
    def window(self, read: Callable[[], S], window_s: float | None = None, *, what: str = "items") -> Iterator[None]:
        """Baseline before the block (the action under test), then watch ``window_s`` after it::

            with settle.window(lambda: twilio.messages(to=caller), what="SMS to the caller"):
                twilio.inbound_sms(from_=caller, to=tenant.phone_number, body="anyone there?")
        """
        baseline = read()
        yield
        self._watch(read, baseline, window_s, what)

    def _watch(self, read: Callable[[], S], baseline: S, window_s: float | None, what: str,
               at_least_s: float = 0.0) -> S:
        window = self.window_s if window_s is None else window_s
        started = time.monotonic()
        deadline = started + window
        current = baseline
        while True:
            # Idle is asked before the read: work finished between the two is then in what is read.
            idle = self.idle is not None and self.idle(max(0.0, deadline - time.monotonic()))
            current = read()
            if len(current) > len(baseline):
                new = list(current)[len(baseline):] if isinstance(current, list) else current
                raise SettleViolation(
                    f"expected no new {what} during the {window:g}s settle window, "
                    f"but {len(current) - len(baseline)} appeared: {new!r}"
                )
            remaining = deadline - time.monotonic()
            if (idle and time.monotonic() - started >= at_least_s) or remaining <= 0:
                return current
            time.sleep(min(self.interval, remaining))
