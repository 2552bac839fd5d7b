"""wait_until and Settle: the only waiting the suite does."""

from __future__ import annotations

import itertools
import time

import pytest

from stack.waiting import Settle, SettleViolation, WaitTimeout, wait_until


def test_wait_until_returns_the_first_truthy_value() -> None:
    counter = itertools.count()
    assert wait_until(lambda: next(counter) >= 3 and "ready", timeout=5, interval=0.01) == "ready"


def test_wait_until_names_what_it_waited_for() -> None:
    started = time.monotonic()
    with pytest.raises(WaitTimeout, match=r"timed out after 0.2s waiting for the first SMS; last value: \[\]"):
        wait_until(lambda: [], timeout=0.2, message="the first SMS", interval=0.01)
    assert time.monotonic() - started < 1.0


def test_wait_until_does_not_swallow_errors() -> None:
    def broken() -> bool:
        raise KeyError("journal shape changed")

    with pytest.raises(KeyError):
        wait_until(broken, timeout=5)


def test_settle_passes_when_nothing_new_appears() -> None:
    seen = ["existing"]
    started = time.monotonic()
    assert Settle(0.3, interval=0.02).assert_no_new(lambda: list(seen)) == ["existing"]
    assert time.monotonic() - started >= 0.3


def test_settle_fails_as_soon_as_something_appears() -> None:
    appeared_at = time.monotonic() + 0.1
    settle = Settle(5.0, interval=0.02)
    started = time.monotonic()
    with pytest.raises(SettleViolation, match="1 appeared: \\['auto reply'\\]"):
        settle.assert_no_new(lambda: ["auto reply"] if time.monotonic() > appeared_at else [], what="SMS")
    assert time.monotonic() - started < 2.0


def test_settle_window_takes_the_baseline_before_the_action() -> None:
    journal: list[str] = []
    with pytest.raises(SettleViolation), Settle(0.2, interval=0.02).window(lambda: list(journal)):
        journal.append("reply caused by the action")
    with Settle(0.2, interval=0.02).window(lambda: list(journal)):
        pass  # nothing new this time


def test_settle_ends_early_once_the_app_is_idle_and_reads_once_more() -> None:
    horizons: list[float] = []

    def idle(horizon_s: float) -> bool:
        horizons.append(horizon_s)
        return len(horizons) >= 3  # busy twice, then idle

    started = time.monotonic()
    assert Settle(5.0, interval=0.02, idle=idle).assert_no_new(lambda: ["x"]) == ["x"]
    assert time.monotonic() - started < 1.0
    assert len(horizons) == 3 and 4.5 < horizons[-1] <= 5.0  # asked about the rest of the window


def test_settle_still_fails_on_what_the_app_did_before_it_went_idle() -> None:
    journal: list[str] = []

    def idle(horizon_s: float) -> bool:
        journal.append("reply sent by the last piece of work")  # done just before the app reports idle
        return True

    with pytest.raises(SettleViolation, match="reply sent by the last piece of work"):
        Settle(5.0, interval=0.02, idle=idle).assert_no_new(lambda: list(journal))


def test_settle_watches_the_whole_window_while_the_app_is_busy() -> None:
    started = time.monotonic()
    Settle(0.3, interval=0.02, idle=lambda horizon_s: False).assert_no_new(lambda: [])
    assert time.monotonic() - started >= 0.3


def test_settle_watches_at_least_what_it_is_told_even_when_the_app_says_idle() -> None:
    # A loop of the app's own (the calendar poll) reads again after a while, whatever the idle report says.
    started = time.monotonic()

    def read() -> list[str]:
        return ["read by the poll"] if time.monotonic() - started > 0.15 else []

    with pytest.raises(SettleViolation, match="read by the poll"):
        Settle(5.0, interval=0.02, idle=lambda horizon_s: True).assert_no_new(read, at_least_s=0.3)
    started = time.monotonic()
    Settle(5.0, interval=0.02, idle=lambda horizon_s: True).assert_no_new(lambda: [], at_least_s=0.3)
    assert 0.3 <= time.monotonic() - started < 1.0
