"""The Google Calendar fake: the slice of Calendar API v3 and OAuth 2.0 the app uses, on :mod:`fakes.core`.

Provider routes (what ``google-api-python-client`` calls when pointed here):

* ``GET  /calendar/v3/calendars/{calendarId}/events`` — list; a full sync pages with ``pageToken`` and ends
  with ``nextSyncToken``; ``syncToken`` lists only what changed since (cancelled events included), and a
  token from before the last invalidation is ``410 fullSyncRequired``, as Google does. A recurring event is
  listed as it is stored (its first occurrence's times and a ``recurrence`` rule) unless ``singleEvents=true``
  asks for its occurrences, each an event of its own (``recurringEventId``, ``originalStartTime``).
* ``POST /calendar/v3/calendars/{calendarId}/events`` — insert; a client-given ``id`` that exists is
  ``409 duplicate`` (what makes the app's retries idempotent).
* ``POST /calendar/v3/calendars/{calendarId}/events/watch`` — a push channel: a ``sync`` notification at
  once, then ``exists`` after every change, with ``X-Goog-Channel-ID`` / ``-Token`` / ``-Resource-State``.
* ``POST /calendar/v3/channels/stop``; ``GET /o/oauth2/auth`` (consent page) and ``POST /token``.

Calls need ``Authorization: Bearer <an access token this fake issued>`` (401 otherwise). Each consent names
a Google account (an email; the app's ``login_hint`` fills it in), and ``primary`` is that account's own
calendar, whose id is the email, as at Google. So tenants sharing one fake never see each other's events.

Control (``/_fake/google/...``): add / move / delete an external event, drop the next push notifications,
invalidate sync tokens, expire access tokens (refresh tokens still work), list a calendar's events, answer a
calendar's lists in pages smaller than ``maxResults`` asks (Google may, so the app must follow ``nextPageToken``).
Failing or slowing the next calls is the core's faults.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any

from fakes.core import FakeApp, HttpError, Request, Response, Webhook, control_error
from fakes.core.consent import answer_consent
from fakes.core.journal import iso_now
from fakes.core.validate import optional_bool, optional_int, optional_str, require_str

PAGE_SIZE = 250
CALENDAR = "https://www.googleapis.com/auth/calendar"
#: Scopes that let a token list or watch a calendar's events, and those that let it write them.
READ_SCOPES = frozenset({CALENDAR, CALENDAR + ".readonly", CALENDAR + ".events", CALENDAR + ".events.readonly"})
WRITE_SCOPES = frozenset({CALENDAR, CALENDAR + ".events"})
DEFAULT_CHANNEL_TTL_S = 604800  # a channel's life when `params.ttl` is not given (Google's default: a week)
MAX_CHANNEL_TTL_S = 30 * 86400


def google_error(status: int, reason: str, message: str) -> HttpError:
    """Google's JSON error shape (what googleapiclient.errors.HttpError parses)."""
    return HttpError(status, {"error": {"code": status, "message": message,
                                        "errors": [{"domain": "global", "reason": reason, "message": message}]}})


@dataclass
class Channel:
    id: str
    resource_id: str
    address: str
    token: str
    calendar_id: str
    expires_ms: int  # Unix time in ms, as Google's `expiration`; an expired channel is never notified again
    message_number: int = 0

    def live(self) -> bool:
        return _now_ms() < self.expires_ms


@dataclass
class Calendar:
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: event id -> sequence number of its last change; sync tokens are sequence numbers.
    changed_at: dict[str, int] = field(default_factory=dict)
    #: At most this many events per page, whatever maxResults asks: Google may answer with fewer events than
    #: maxResults (even none) while more remain, so a client must follow nextPageToken. None: maxResults.
    page_size: int | None = None


class GoogleCalendarFake(FakeApp):
    name = "google"

    def __init__(self, *, client_id: str = "nmc-test-client", client_secret: str = "nmc-test-secret") -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.reset_state()
        r = self.router
        r.add("GET", r"/calendar/v3/calendars/(?P<calendar>[^/]+)/events", self.list_events)
        r.add("POST", r"/calendar/v3/calendars/(?P<calendar>[^/]+)/events", self.insert_event)
        r.add("POST", r"/calendar/v3/calendars/(?P<calendar>[^/]+)/events/watch", self.watch)
        r.add("POST", r"/calendar/v3/channels/stop", self.stop_channel)
        r.add("GET", r"/o/oauth2/auth", self.consent_page)
        r.add("POST", r"/o/oauth2/approve", self.approve)
        r.add("POST", r"/token", self.token)
        r.add("POST", r"/_fake/google/events", self.control_add)
        r.add("PATCH", r"/_fake/google/events/(?P<id>[^/]+)", self.control_move)
        r.add("DELETE", r"/_fake/google/events/(?P<id>[^/]+)", self.control_delete)
        r.add("GET", r"/_fake/google/events", self.control_list)
        r.add("POST", r"/_fake/google/drop-notifications", self.control_drop)
        r.add("POST", r"/_fake/google/page-size", self.control_page_size)
        r.add("POST", r"/_fake/google/invalidate-sync-tokens", self.control_invalidate)
        r.add("POST", r"/_fake/google/expire-access-tokens", self.control_expire_tokens)
        r.add("POST", r"/_fake/google/expire-channels", self.control_expire_channels)
        r.add("GET", r"/_fake/google/channels", self.control_channels)

    # -- state -------------------------------------------------------------------------------------
    def reset_state(self) -> None:
        self.calendars: dict[str, Calendar] = {}
        self.seq = 0
        self.oldest_valid_token = 0
        # authorization code -> (redirect_uri, account email, whether it earns a refresh token)
        self.codes: dict[str, tuple[str, str, bool, str]] = {}  # ... and the scopes granted, space-separated
        self.offline_granted: set[str] = set()  # accounts that already gave this client offline access
        self.access_tokens: dict[str, str] = {}  # token -> account email
        self.refresh_tokens: dict[str, str] = {}
        self.scopes: dict[str, frozenset[str]] = {}  # access or refresh token -> the scopes the consent granted
        self.channels: dict[str, Channel] = {}
        self.drop_notifications = 0
        self.dropped: list[str] = []

    def control_info(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "channels": len(self.channels), "dropped_notifications": len(self.dropped)}

    def default_fault_body(self, code: int) -> Any:
        return {"error": {"code": code, "message": f"injected fault: HTTP {code}",
                          "errors": [{"domain": "global", "reason": "backendError"}]}}

    def not_found(self, request: Request) -> Response:
        raise google_error(404, "notFound", f"Not Found: {request.method} {request.path}")

    def _calendar(self, calendar_id: str) -> Calendar:
        return self.calendars.setdefault(calendar_id, Calendar())

    def _authorize(self, request: Request) -> str:
        """The calendar the request's path names, "primary" resolved to the token's account."""
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
        account = self.access_tokens.get(token)
        if account is None:
            raise google_error(401, "authError", "Invalid Credentials")
        # As at Google: reading needs one of the calendar scopes, writing one that allows it.
        needed = READ_SCOPES if request.method == "GET" or request.path.endswith("/watch") else WRITE_SCOPES
        if not self.scopes.get(token, frozenset()) & needed:
            raise google_error(403, "insufficientPermissions", "Request had insufficient authentication scopes.")
        calendar = request.path_params.get("calendar", "primary")
        return account if calendar == "primary" else calendar

    def _changed(self, calendar_id: str, event: dict[str, Any]) -> None:
        """Records a change (caller holds the lock) and notifies the calendar's channels."""
        self.seq += 1
        calendar = self._calendar(calendar_id)
        event["updated"] = iso_now()
        calendar.events[event["id"]] = event
        calendar.changed_at[event["id"]] = self.seq
        for channel in self.channels.values():
            if channel.calendar_id == calendar_id and channel.live():
                self._notify(channel, "exists")

    def _notify(self, channel: Channel, state: str) -> None:
        channel.message_number += 1
        headers = {"X-Goog-Channel-ID": channel.id, "X-Goog-Channel-Token": channel.token,
                   "X-Goog-Resource-ID": channel.resource_id, "X-Goog-Resource-State": state,
                   "X-Goog-Resource-URI": f"https://www.googleapis.com/calendar/v3/calendars/{channel.calendar_id}/events",
                   "X-Goog-Message-Number": str(channel.message_number), "Content-Length": "0"}
        hook = Webhook(url=channel.address, body=b"", headers=headers, kind=f"calendar.{state}")
        if state == "exists" and self.drop_notifications > 0:
            self.drop_notifications -= 1
            self.dropped.append(hook.delivery_id)  # never sent: what a lost notification looks like to the app
            return
        self.webhooks.deliver_async(hook)

    # -- Calendar API ----------------------------------------------------------------------------
    def list_events(self, request: Request) -> Response:
        calendar_id = self._authorize(request)
        query = request.query
        max_results = _int_param(query.get("maxResults"), "maxResults", PAGE_SIZE, 1, 2500)
        with self.lock:
            calendar = self._calendar(calendar_id)
            sync_token, page_token = query.get("syncToken"), query.get("pageToken")
            since = 0
            if sync_token is not None:
                since = _token_seq(sync_token, "syncToken")
                if since < self.oldest_valid_token or since > self.seq:
                    raise google_error(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
            ordered = sorted(calendar.events.values(), key=lambda e: calendar.changed_at[e["id"]])
            if sync_token is None:
                ordered = [e for e in ordered if e["status"] != "cancelled"]  # a full sync omits deleted events
            else:
                ordered = [e for e in ordered if calendar.changed_at[e["id"]] > since]
            if query.get("singleEvents") == "true":
                ordered = [instance for event in ordered for instance in _occurrences(event)]
            start = _token_seq(page_token, "pageToken") if page_token else 0
            max_results = min(max_results, calendar.page_size or max_results)
            page = ordered[start:start + max_results]
            body: dict[str, Any] = {"kind": "calendar#events", "summary": calendar_id,
                                    "updated": iso_now(), "items": page}
            if start + max_results < len(ordered):
                body["nextPageToken"] = f"p{start + max_results}"
            else:
                body["nextSyncToken"] = f"s{self.seq}"
        return Response.json(body)

    def insert_event(self, request: Request) -> Response:
        calendar_id = self._authorize(request)
        data = request.json_object()
        start, end = _when(data, "start"), _when(data, "end")
        if end <= start:
            raise google_error(400, "timeRangeEmpty", "The specified time range is empty.")
        event_id = optional_str(data, "id") or uuid.uuid4().hex
        if not (5 <= len(event_id) <= 1024) or any(c not in "0123456789abcdefghijklmnopqrstuv" for c in event_id):
            raise google_error(400, "invalid", "Invalid resource id value.")
        with self.lock:
            calendar = self._calendar(calendar_id)
            if event_id in calendar.events:
                raise google_error(409, "duplicate", "The requested identifier already exists.")
            event = {"kind": "calendar#event", "id": event_id, "status": "confirmed",
                     "summary": data.get("summary", ""), "description": data.get("description", ""),
                     "start": data["start"], "end": data["end"], "created": iso_now()}
            self._changed(calendar_id, event)
        return Response.json(event)

    def watch(self, request: Request) -> Response:
        calendar_id = self._authorize(request)
        data = request.json_object()
        if data.get("type") not in ("web_hook", "webhook"):
            raise google_error(400, "invalid", "Invalid channel type: use web_hook.")
        address = require_str(data, "address")
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise google_error(400, "invalid", "params must be an object.")
        ttl = params.get("ttl")
        ttl_s = _int_param(None if ttl is None else str(ttl), "params.ttl", DEFAULT_CHANNEL_TTL_S, 1, MAX_CHANNEL_TTL_S)
        channel = Channel(id=require_str(data, "id"), resource_id="res" + uuid.uuid4().hex[:16], address=address,
                          token=optional_str(data, "token") or "", calendar_id=calendar_id,
                          expires_ms=_now_ms() + ttl_s * 1000)
        with self.lock:
            if channel.id in self.channels:
                raise google_error(400, "channelIdNotUnique", "Channel id not unique.")
            self.channels[channel.id] = channel
            self._notify(channel, "sync")
        return Response.json({"kind": "api#channel", "id": channel.id, "resourceId": channel.resource_id,
                              "resourceUri": f"https://www.googleapis.com/calendar/v3/calendars/{channel.calendar_id}/events",
                              "token": channel.token, "expiration": str(channel.expires_ms)})

    def stop_channel(self, request: Request) -> Response:
        self._authorize(request)
        data = request.json_object()
        with self.lock:
            self.channels.pop(require_str(data, "id"), None)
        return Response.empty(204)

    # -- OAuth 2.0 (authorization code) ------------------------------------------------------------
    def consent_page(self, request: Request) -> Response:
        query = request.query
        if query.get("client_id") != self.client_id:
            return Response.html("<h1>Error 401: invalid_client</h1><p>The OAuth client was not found.</p>", 401)
        redirect_uri, state = query.get("redirect_uri") or "", query.get("state") or ""
        if not redirect_uri.startswith(("http://", "https://")) or query.get("response_type") != "code":
            return Response.html("<h1>Error 400: invalid_request</h1><p>redirect_uri and response_type=code "
                                 "are required.</p>", 400)
        if not query.get("scope"):
            return Response.html("<h1>Error 400: invalid_request</h1><p>Missing required parameter: scope</p>", 400)
        fields = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                         for k, v in (("redirect_uri", redirect_uri), ("state", state),
                                      ("access_type", query.get("access_type") or "online"),
                                      ("prompt", query.get("prompt") or ""), ("scope", query.get("scope") or "")))
        email = escape(query.get("login_hint") or "")
        return Response.html(
            "<!doctype html><title>Sign in - Google Accounts</title><h1>NeverMissCall wants to access your Google "
            "Calendar</h1><form method=post action=/o/oauth2/approve>" + fields +
            f'<label>Google account <input type="email" name="email" value="{email}" required></label> '
            '<button name=decision value=allow>Allow</button> '
            '<button name=decision value=deny formnovalidate>Cancel</button></form>')

    def approve(self, request: Request) -> Response:
        # As at Google: only a consent asked for with access_type=offline gets a refresh token, and only the
        # account's first one, unless the consent screen was asked for again (prompt=consent): an app that
        # leaves it out gets no refresh token when an account that connected before connects again.
        form = request.form()
        offline, prompted = form.get("access_type") == "offline", "consent" in (form.get("prompt") or "").split()
        scope = form.get("scope") or ""

        def grant(redirect_uri: str, email: str) -> str:
            code = "4/" + secrets.token_urlsafe(16)
            with self.lock:
                self.codes[code] = (redirect_uri, email, offline and (prompted or email not in self.offline_granted),
                                    scope)
                if offline:
                    self.offline_granted.add(email)
            return code

        return answer_consent(request, account_kind="Google account", grant=grant)

    def token(self, request: Request) -> Response:
        form = request.form()
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response.json({"error": "invalid_client"}, 401)
        with self.lock:
            body: dict[str, Any] = {"expires_in": 3599, "token_type": "Bearer"}
            if form.get("grant_type") == "authorization_code":
                redirect_uri, email, offline, scope = self.codes.pop(form.get("code") or "", ("", "", False, ""))
                if not email or redirect_uri != form.get("redirect_uri"):
                    return Response.json({"error": "invalid_grant", "error_description": "Bad code or redirect_uri"}, 400)
                if offline:
                    body["refresh_token"] = "1//" + secrets.token_urlsafe(24)
                    self.refresh_tokens[body["refresh_token"]] = email
                    self.scopes[body["refresh_token"]] = frozenset(scope.split())
            elif form.get("grant_type") == "refresh_token":
                email = self.refresh_tokens.get(form.get("refresh_token") or "", "")
                scope = " ".join(sorted(self.scopes.get(form.get("refresh_token") or "", frozenset())))
                if not email:
                    return Response.json({"error": "invalid_grant", "error_description": "Token has been revoked"}, 400)
            else:
                return Response.json({"error": "unsupported_grant_type"}, 400)
            body["access_token"] = "ya29." + secrets.token_urlsafe(24)
            self.access_tokens[body["access_token"]] = email
            self.scopes[body["access_token"]] = frozenset(scope.split())
            body["scope"] = scope
        return Response.json(body)

    # -- control -----------------------------------------------------------------------------------
    def control_add(self, request: Request) -> Response:
        data = request.json_object()
        calendar_id = require_str(data, "calendar_id")
        if data.get("all_day") is True:  # Google's all-day events: dates, the end day excluded
            first, after = _control_date(data, "start"), _control_date(data, "end")
            if after <= first:
                raise control_error(422, "'end' must be a day after 'start' (the end day is excluded)")
            start_field: dict[str, str] = {"date": first.isoformat()}
            end_field = {"date": after.isoformat()}
        else:
            start, end = _control_time(data, "start"), _control_time(data, "end")
            if end <= start:
                raise control_error(422, "'end' must be after 'start'")
            start_field, end_field = {"dateTime": start.isoformat()}, {"dateTime": end.isoformat()}
        event = {"kind": "calendar#event", "id": optional_str(data, "id") or uuid.uuid4().hex,
                 "status": "confirmed", "summary": optional_str(data, "summary") or "Busy",
                 "start": start_field, "end": end_field, "created": iso_now()}
        if optional_bool(data, "free", False):  # "Show as: Free": Google writes it, and omits it for "Busy"
            event["transparency"] = "transparent"
        if optional_bool(data, "tentative", False):  # an invitation answered "Maybe": still busy in Google's free/busy
            event["status"] = "tentative"
        weeks = optional_int(data, "weekly", 0, minimum=0, maximum=52)
        if weeks:
            if "dateTime" not in start_field:
                raise control_error(422, "'weekly' is for timed events")
            event["recurrence"] = [f"RRULE:FREQ=WEEKLY;COUNT={weeks}"]
        with self.lock:
            if event["id"] in self._calendar(calendar_id).events:
                raise control_error(409, f"event {event['id']} exists", "duplicate")
            self._changed(calendar_id, event)
        return Response.json(event, 201)

    def _existing(self, request: Request, calendar_id: str) -> dict[str, Any]:
        event = self._calendar(calendar_id).events.get(request.path_params["id"])
        if event is None or event["status"] == "cancelled":
            raise control_error(404, f"no event {request.path_params['id']} in {calendar_id}", "not_found")
        return event

    def control_move(self, request: Request) -> Response:
        """Moves an event (`start` and `end`) and/or shows it as free or busy (`free`), as the owner does in Google."""
        data = request.json_object()
        calendar_id = require_str(data, "calendar_id")
        moving, free = "start" in data or "end" in data, data.get("free")
        if not moving and free is None:
            raise control_error(422, "give 'start' and 'end' (a move), 'free' (show as free or busy), or both")
        if moving:
            start, end = _control_time(data, "start"), _control_time(data, "end")
            if end <= start:
                raise control_error(422, "'end' must be after 'start'")
        with self.lock:
            event = dict(self._existing(request, calendar_id))
            if moving:
                event["start"], event["end"] = {"dateTime": start.isoformat()}, {"dateTime": end.isoformat()}
            if optional_bool(data, "free", False):
                event["transparency"] = "transparent"
            elif free is not None:
                event.pop("transparency", None)  # Google leaves it out for "Busy"
            self._changed(calendar_id, event)
        return Response.json(event)

    def control_delete(self, request: Request) -> Response:
        calendar_id = _required_query(request, "calendar_id")
        with self.lock:
            event = {**self._existing(request, calendar_id), "status": "cancelled"}
            self._changed(calendar_id, event)
        return Response.json(event)

    def control_list(self, request: Request) -> Response:
        with self.lock:
            calendar = self._calendar(_required_query(request, "calendar_id"))
            return Response.json({"events": [e for e in calendar.events.values() if e["status"] != "cancelled"]})

    def control_drop(self, request: Request) -> Response:
        count = optional_int(request.json_object(), "count", default=1, minimum=0, maximum=1000)
        with self.lock:
            self.drop_notifications = count
        return Response.json({"dropping": count})

    def control_page_size(self, request: Request) -> Response:
        data = request.json_object()
        calendar_id = require_str(data, "calendar_id")
        size = None if data.get("size") is None else optional_int(data, "size", default=1, minimum=1, maximum=2500)
        with self.lock:
            self._calendar(calendar_id).page_size = size
        return Response.json({"calendar_id": calendar_id, "page_size": size})

    def control_invalidate(self, request: Request) -> Response:
        with self.lock:
            self.oldest_valid_token = self.seq + 1
        return Response.json({"oldest_valid_token": self.oldest_valid_token})

    def control_expire_channels(self, request: Request) -> Response:
        """The push channels open so far (of one account's calendar, or all) reach their expiration now:
        listed still, never notified again, as at Google when a channel's ttl runs out."""
        account = optional_str(request.json_object(), "account")
        with self.lock:
            expired = [c for c in self.channels.values()
                       if c.live() and (account is None or c.calendar_id == account.lower())]
            for channel in expired:
                channel.expires_ms = _now_ms()
        return Response.json({"expired": len(expired)})

    def control_channels(self, request: Request) -> Response:
        account = request.query.get("calendar_id")
        with self.lock:
            return Response.json({"channels": [
                {"id": c.id, "resource_id": c.resource_id, "calendar_id": c.calendar_id, "address": c.address,
                 "expiration": str(c.expires_ms), "live": c.live()}
                for c in self.channels.values() if account is None or c.calendar_id == account]})

    def control_expire_tokens(self, request: Request) -> Response:
        """The access tokens issued so far (of one account, or all) answer 401 from now on, as Google's do
        after their hour; refresh tokens keep working, so a client that refreshes carries on."""
        account = optional_str(request.json_object(), "account")
        with self.lock:
            expired = [t for t, email in self.access_tokens.items() if account is None or email == account.lower()]
            for token in expired:
                del self.access_tokens[token]
        return Response.json({"expired": len(expired)})


def _now_ms() -> int:
    return int(time.time() * 1000)


def _required_query(request: Request, key: str) -> str:
    value = request.query.get(key)
    if not value:
        raise control_error(422, f"query parameter '{key}' is required (the account's email)")
    return value


def _occurrences(event: dict[str, Any]) -> list[dict[str, Any]]:
    """A weekly event's occurrences as ``singleEvents=true`` lists them (the same wall-clock time and offset each
    week: the fake's rules are FREQ=WEEKLY;COUNT=n on timed events); any other event as it is."""
    rule = next(iter(event.get("recurrence") or []), "")
    if not rule.startswith("RRULE:FREQ=WEEKLY;COUNT="):
        return [event]
    first, last = datetime.fromisoformat(event["start"]["dateTime"]), datetime.fromisoformat(event["end"]["dateTime"])
    occurrences = []
    for week in range(int(rule.rsplit("=", 1)[1])):
        start, end = first + timedelta(weeks=week), last + timedelta(weeks=week)
        instance = {k: v for k, v in event.items() if k != "recurrence"}
        occurrences.append({**instance, "id": f"{event['id']}_{start.astimezone(UTC):%Y%m%dT%H%M%SZ}",
                            "recurringEventId": event["id"], "originalStartTime": {"dateTime": start.isoformat()},
                            "start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()}})
    return occurrences


def _int_param(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise google_error(400, "invalid", f"Invalid value for {name}: {raw!r}")
    return int(raw)


def _token_seq(token: str | None, name: str) -> int:
    """Sync tokens are "s<sequence>", page tokens "p<offset>"; anything else is refused like Google does."""
    prefix = "s" if name == "syncToken" else "p"
    if not token or token[0] != prefix or not token[1:].isdigit():
        if name == "syncToken":
            raise google_error(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
        raise google_error(400, "invalid", f"Invalid {name}.")
    return int(token[1:])


def _when(data: dict[str, Any], key: str) -> datetime:
    value = data.get(key)
    raw = value.get("dateTime") if isinstance(value, dict) else None
    try:
        parsed = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise google_error(400, "required", f"Missing or invalid {key}.dateTime (RFC 3339 with an offset).")
    return parsed


def _control_date(data: dict[str, Any], key: str) -> date:
    raw = require_str(data, key)
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise control_error(422, f"'{key}' of an all-day event is not a date (YYYY-MM-DD): {raw!r}") from exc


def _control_time(data: dict[str, Any], key: str) -> datetime:
    raw = require_str(data, key)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise control_error(422, f"'{key}' is not an ISO 8601 date-time: {raw!r}") from exc
    if parsed.tzinfo is None:
        raise control_error(422, f"'{key}' needs a UTC offset, e.g. 2030-01-07T15:00:00Z")
    return parsed

