"""What every calendar provider's client shares: the errors, sorted by what the caller should do, and one
JSON-over-HTTP call that maps answers onto them (Google and Jobber alike).

`CalendarUnavailable` (5xx, 429, timeouts: try again later, with jitter), `SyncTokenExpired` (410: start a
full sync), `AccessTokenRejected` (401: refresh the token if the provider rotates them), `CalendarRefused`
(anything else: a person must act). Messages are safe to show: they never contain a token.
"""

from __future__ import annotations

from typing import Any

import httpx


class CalendarError(Exception):
    """A provider call failed; the message is safe to show (it never contains a token)."""


class CalendarUnavailable(CalendarError):
    pass


class SyncTokenExpired(CalendarError):
    pass


class CalendarRefused(CalendarError):
    pass


class AccessTokenRejected(CalendarRefused):
    pass


#: One client for every provider call, shared by threads (httpx's Client is thread-safe): its connections
#: are reused, and its TLS context is built once — httpx.request() builds both anew on every call, and loading
#: the CA bundle each time stood out in a profile of the app.
_client = httpx.Client()


def call(provider: str, method: str, url: str, *, timeout: float, **kwargs: Any) -> dict[str, Any]:
    """The JSON object `provider` (a display name, e.g. "Google Calendar") answered, or a CalendarError."""
    try:
        response = _client.request(method, url, timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        raise CalendarUnavailable(f"{provider} did not answer ({type(exc).__name__})") from exc
    if response.status_code == 410:
        raise SyncTokenExpired(f"{provider} asks for a full sync (410)")
    if response.status_code >= 500 or response.status_code == 429:
        raise CalendarUnavailable(f"{provider} is unavailable (HTTP {response.status_code})")
    if response.status_code == 401:
        raise AccessTokenRejected(f"{provider} refused the request (HTTP 401: {_reason(response)})")
    if response.status_code >= 400:
        raise CalendarRefused(f"{provider} refused the request (HTTP {response.status_code}: {_reason(response)})")
    try:
        body = response.json()
    except ValueError as exc:
        raise CalendarUnavailable(f"{provider} answered with something that is not JSON") from exc
    if not isinstance(body, dict):
        raise CalendarUnavailable(f"{provider} answered with JSON that is not an object")
    return body


def _reason(response: httpx.Response) -> str:
    """The provider's own words: Google's {"error": {"message"}}, OAuth's {"error"}, Jobber's {"message"}."""
    try:
        body = response.json()
    except ValueError:
        return "no details"
    if not isinstance(body, dict):
        return "no details"
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code"))
    return str(error or body.get("message") or "no details")
