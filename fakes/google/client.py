"""Control client of the Google Calendar fake (its ``/_fake/google/...`` routes plus the standard ones)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fakes.core import ControlClient


class GoogleFakeClient(ControlClient):
    """`calendar_id` is the Google account's email: its primary calendar, as the app sees it."""

    def add_event(self, calendar_id: str, *, start: datetime, end: datetime, summary: str = "Busy",
                  event_id: str | None = None, free: bool = False, tentative: bool = False,
                  weekly: int = 0) -> dict[str, Any]:
        """An event created in Google Calendar itself (not by the app); notifies watching channels. `free`: shown
        as free ("transparency": "transparent"), as for a reminder that takes no time. `tentative`: an invitation
        the owner answered "Maybe" ("status": "tentative"). `weekly`: repeats every week, that many times in all
        ("recurrence": ["RRULE:FREQ=WEEKLY;COUNT=n"])."""
        body: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat(), "summary": summary,
                                "calendar_id": calendar_id, "free": free, "tentative": tentative, "weekly": weekly}
        if event_id:
            body["id"] = event_id
        return self._call("POST", "/_fake/google/events", json=body)

    def add_all_day_event(self, calendar_id: str, *, first: date, last: date, summary: str = "Busy") -> dict[str, Any]:
        """An all-day event from `first` to `last` (both included; Google stores the day after as the end)."""
        return self._call("POST", "/_fake/google/events", json={
            "calendar_id": calendar_id, "all_day": True, "summary": summary,
            "start": first.isoformat(), "end": (last + timedelta(days=1)).isoformat()})

    def move_event(self, calendar_id: str, event_id: str, *, start: datetime, end: datetime) -> dict[str, Any]:
        return self._call("PATCH", f"/_fake/google/events/{event_id}",
                          json={"start": start.isoformat(), "end": end.isoformat(), "calendar_id": calendar_id})

    def show_as(self, calendar_id: str, event_id: str, *, free: bool) -> dict[str, Any]:
        """The owner switches an event's "Show as" between Free and Busy in Google (notifies watching channels)."""
        return self._call("PATCH", f"/_fake/google/events/{event_id}", json={"free": free, "calendar_id": calendar_id})

    def delete_event(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        return self._call("DELETE", f"/_fake/google/events/{event_id}",
                          params={"calendar_id": calendar_id})

    def events(self, calendar_id: str) -> list[dict[str, Any]]:
        """The calendar's live events; an account's primary calendar id is its email."""
        return self._call("GET", "/_fake/google/events", params={"calendar_id": calendar_id})["events"]

    def drop_notifications(self, count: int = 1) -> None:
        """The next `count` change notifications are never sent (a lost webhook); 0 cancels a pending drop."""
        self._call("POST", "/_fake/google/drop-notifications", json={"count": count})

    def limit_pages(self, calendar_id: str, size: int | None) -> None:
        """The calendar's event lists answer at most `size` events a page (None: as many as maxResults asks)."""
        self._call("POST", "/_fake/google/page-size", json={"calendar_id": calendar_id, "size": size})

    def invalidate_sync_tokens(self) -> None:
        """Every sync token issued so far answers 410 fullSyncRequired."""
        self._call("POST", "/_fake/google/invalidate-sync-tokens", json={})

    def expire_access_tokens(self, account: str | None = None) -> int:
        """Access tokens issued so far (of `account`, or every one) answer 401, as after Google's hour;
        a refresh token gets a new one. Returns how many expired."""
        body = {} if account is None else {"account": account}
        expired: int = self._call("POST", "/_fake/google/expire-access-tokens", json=body)["expired"]
        return expired

    def expire_channels(self, account: str | None = None) -> int:
        """Push channels open so far (on `account`'s calendar, or all) reach their expiration now: never
        notified again, as when a channel's ttl runs out at Google. Returns how many expired."""
        body = {} if account is None else {"account": account}
        expired: int = self._call("POST", "/_fake/google/expire-channels", json=body)["expired"]
        return expired

    def channels(self, calendar_id: str | None = None) -> list[dict[str, Any]]:
        """Open push channels (stopped ones are gone): id, resource_id, calendar_id, expiration (ms), live."""
        params = {} if calendar_id is None else {"calendar_id": calendar_id}
        channels: list[dict[str, Any]] = self._call("GET", "/_fake/google/channels", params=params)["channels"]
        return channels
