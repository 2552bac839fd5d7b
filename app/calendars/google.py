"""Google Calendar API v3 and OAuth 2.0, the calls the app makes (httpx; the base URLs come from settings,
so the stack points them at `python -m fakes google`).

Errors are app/calendars/http.py's, shared with Jobber (re-exported here, where the sync code always found them).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from app.calendars import http
from app.calendars.http import CalendarError, CalendarRefused, CalendarUnavailable, SyncTokenExpired
from app.settings import Settings

__all__ = ["CalendarError", "CalendarRefused", "CalendarUnavailable", "GoogleCalendar", "SyncTokenExpired",
           "authorize_url", "exchange_code"]

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


class GoogleCalendar:
    def __init__(self, *, settings: Settings, access_token: str, calendar_id: str) -> None:
        self.settings = settings
        self.headers = {"Authorization": f"Bearer {access_token}"}
        self.events_url = f"{settings.google_api_base.rstrip('/')}/calendar/v3/calendars/{calendar_id}/events"

    def list_events(self, *, sync_token: str | None, page_token: str | None) -> dict[str, Any]:
        params = {"maxResults": "250", "singleEvents": "true"}
        if sync_token:
            params["syncToken"] = sync_token
        if page_token:
            params["pageToken"] = page_token
        return _call(self.settings, "GET", self.events_url, params=params, headers=self.headers)

    def insert_event(self, body: dict[str, Any]) -> bool:
        """Inserts the event; False when its id already exists (an earlier attempt got through)."""
        try:
            _call(self.settings, "POST", self.events_url, json=body, headers=self.headers)
        except CalendarRefused as exc:
            if "409" in str(exc):
                return False
            raise
        return True

    def watch(self, *, channel_id: str, token: str, address: str) -> dict[str, Any]:
        return _call(self.settings, "POST", self.events_url + "/watch", headers=self.headers,
                     json={"id": channel_id, "type": "web_hook", "address": address, "token": token})


def _call(settings: Settings, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    return http.call("Google Calendar", method, url, timeout=settings.google_http_timeout_seconds, **kwargs)
