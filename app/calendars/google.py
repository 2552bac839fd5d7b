"""Google Calendar API v3 and OAuth 2.0, the calls the app makes (httpx; the base URLs come from settings,
so the stack points them at `python -m fakes google`).

Errors are app/calendars/http.py's, shared with Jobber (re-exported here, where the sync code always found
them). A 401 (`AccessTokenRejected`: the access token's hour is over, or it was revoked) is answered by
refreshing the token once and repeating the call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from app.calendars import http
from app.calendars.http import (
    AccessTokenRejected,
    CalendarError,
    CalendarRefused,
    CalendarUnavailable,
    SyncTokenExpired,
)
from app.settings import Settings

__all__ = ["AccessTokenRejected", "CalendarError", "CalendarRefused", "CalendarUnavailable", "GoogleCalendar",
           "SyncTokenExpired", "authorize_url", "exchange_code", "refresh_access_token"]

SCOPE = "https://www.googleapis.com/auth/calendar.events"


def authorize_url(*, settings: Settings, redirect_uri: str, state: str, login_hint: str = "") -> str:
    query = {"client_id": settings.google_client_id, "redirect_uri": redirect_uri, "response_type": "code",
             "scope": SCOPE, "access_type": "offline", "prompt": "consent", "state": state, "login_hint": login_hint}
    return f"{settings.google_oauth_base.rstrip('/')}/o/oauth2/auth?{urlencode(query)}"


def exchange_code(*, settings: Settings, code: str, redirect_uri: str) -> dict[str, Any]:
    """The token response ({access_token, refresh_token, ...}) for an authorization code."""
    return _call(settings, "POST", settings.google_token_url, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": settings.google_client_id, "client_secret": settings.google_client_secret})


def refresh_access_token(*, settings: Settings, refresh_token: str) -> str:
    """A new access token for a refresh token (Google's access tokens last an hour)."""
    tokens = _call(settings, "POST", settings.google_token_url, data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": settings.google_client_id, "client_secret": settings.google_client_secret})
    token = tokens.get("access_token")
    if not isinstance(token, str) or not token:
        raise CalendarRefused("Google refreshed the connection without an access token")
    return token


class GoogleCalendar:
    """One calendar's API calls. `refresh` returns a new access token; it is asked for once per call that
    Google answers 401, and the call is repeated with that token."""

    def __init__(self, *, settings: Settings, access_token: str, calendar_id: str,
                 refresh: Callable[[], str] | None = None) -> None:
        self.settings = settings
        self.headers = {"Authorization": f"Bearer {access_token}"}
        self.refresh = refresh
        self.events_url = f"{settings.google_api_base.rstrip('/')}/calendar/v3/calendars/{calendar_id}/events"

    def _api(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return _call(self.settings, method, url, headers=self.headers, **kwargs)
        except AccessTokenRejected:
            if self.refresh is None:
                raise
        self.headers = {"Authorization": f"Bearer {self.refresh()}"}
        return _call(self.settings, method, url, headers=self.headers, **kwargs)

    def list_events(self, *, sync_token: str | None, page_token: str | None) -> dict[str, Any]:
        params = {"maxResults": "250", "singleEvents": "true"}
        if sync_token:
            params["syncToken"] = sync_token
        if page_token:
            params["pageToken"] = page_token
        return self._api("GET", self.events_url, params=params)

    def insert_event(self, body: dict[str, Any]) -> bool:
        """Inserts the event; False when its id already exists (an earlier attempt got through)."""
        try:
            self._api("POST", self.events_url, json=body)
        except CalendarRefused as exc:
            if "409" in str(exc):
                return False
            raise
        return True

    def watch(self, *, channel_id: str, token: str, address: str) -> dict[str, Any]:
        """Opens a push channel; Google's answer has its `resourceId` and `expiration` (Unix ms)."""
        return self._api("POST", self.events_url + "/watch",
                         json={"id": channel_id, "type": "web_hook", "address": address, "token": token})

    def stop_channel(self, *, channel_id: str, resource_id: str) -> None:
        self._api("POST", f"{self.settings.google_api_base.rstrip('/')}/calendar/v3/channels/stop",
                  json={"id": channel_id, "resourceId": resource_id})


def _call(settings: Settings, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    return http.call("Google Calendar", method, url, timeout=settings.google_http_timeout_seconds, **kwargs)
