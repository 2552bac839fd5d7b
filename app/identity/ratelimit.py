"""Rate limit on failed sign-ins per client address, on top of the per-email lockout in identity.service.

The per-email lockout stops guessing one account's password. It does not stop one client trying a
few passwords against many accounts (password spraying), which stays under every email's limit; this
limiter counts failures per client address across all emails in a sliding window
(LOGIN_IP_MAX_FAILURES within LOGIN_IP_WINDOW_SECONDS) and then refuses sign-ins from that address
with 429 until the oldest failure leaves the window. Successful sign-ins do not clear the count, so
an attacker holding one valid account cannot reset it.

Counts live in the app's memory (one limiter per app, on app.state): a restart forgets them and
several app processes count separately, which is acceptable for a throttle; the per-email lockout,
which is in the database, still holds across processes. The client address is the socket peer:
X-Forwarded-For is not trusted, so behind a proxy the proxy's address is limited (run uvicorn with
--proxy-headers and a trusted --forwarded-allow-ips to see real clients).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi import Request

from app.errors import NotAuthenticated, TooManyRequests
from app.settings import Settings

STATE_ATTRIBUTE = "login_rate_limiter"


class FailedLoginLimiter:
    """Sliding-window counter of failures per key; thread-safe (sync routes run in a thread pool)."""

    def __init__(self, *, max_failures: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may try again; 0 when it may try now."""
        with self._lock:
            window = self._current(key)
            if self.max_failures <= 0 or len(window) < self.max_failures:
                return 0.0
            return max(0.0, window[-self.max_failures] + self.window_seconds - self.clock())

    def record_failure(self, key: str) -> None:
        with self._lock:
            window = self._current(key)
            window.append(self.clock())
            self._failures[key] = window

    def _current(self, key: str) -> deque[float]:
        """The key's failures still inside the window (older ones dropped, empty keys forgotten)."""
        window = self._failures.pop(key, deque())
        cutoff = self.clock() - self.window_seconds
        while window and window[0] <= cutoff:
            window.popleft()
        if window:
            self._failures[key] = window
        return window


def limiter_for(request: Request, settings: Settings) -> FailedLoginLimiter:
    """The app's limiter, created on first use (each app, e.g. each test's, has its own counts)."""
    state = request.app.state
    limiter: FailedLoginLimiter | None = getattr(state, STATE_ATTRIBUTE, None)
    if limiter is None:
        limiter = FailedLoginLimiter(max_failures=settings.login_ip_max_failures,
                                     window_seconds=settings.login_ip_window_seconds)
        setattr(state, STATE_ATTRIBUTE, limiter)
    return limiter


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@contextmanager
def guard_login(request: Request, settings: Settings) -> Iterator[None]:
    """Wraps one sign-in attempt: refuses it (429) while the address is limited, counts it if it fails."""
    limiter = limiter_for(request, settings)
    address = client_address(request)
    wait = limiter.retry_after(address)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        raise TooManyRequests(
            "Too many failed sign-in attempts from your network. "
            f"Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
            code="login_rate_limited",
        )
    try:
        yield
    except NotAuthenticated:
        limiter.record_failure(address)
        raise
