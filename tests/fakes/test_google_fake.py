"""The Google Calendar fake, checked with Google's official client (google-api-python-client) pointed at it:
OAuth code exchange, full sync with paging and a sync token, incremental sync (changes and deletions),
410 fullSyncRequired after invalidation, idempotent inserts (409 duplicate), push channels (real sockets),
and clear errors for bad input."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from googleapiclient.errors import HttpError

from fakes.core import FakeControlError
from fakes.google import RunningGoogle, running_google
from tests.fakes.conftest import WebhookReceiver

T0 = datetime(2030, 1, 7, 15, 0, tzinfo=UTC)
REDIRECT = "http://127.0.0.1:9/calendar/google/callback"
EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events"  # what the app asks for
ACCOUNT = "olive@example.test"  # "primary" is this account's calendar


@pytest.fixture
def google() -> Iterator[RunningGoogle]:
    with running_google() as fake:
        yield fake


def access_token(google: RunningGoogle, account: str = "") -> str:
    return tokens_of(google, account)["access_token"]


def tokens_of(google: RunningGoogle, account: str = "") -> dict[str, str]:
    tokens = consent_tokens(google, account, access_type="offline", prompt="consent")
    assert tokens["refresh_token"].startswith("1//")
    return {"access_token": str(tokens["access_token"]), "refresh_token": str(tokens["refresh_token"])}


def consent_tokens(google: RunningGoogle, account: str = "", *, access_type: str, prompt: str = "",
                   scope: str = EVENTS_SCOPE) -> dict[str, Any]:
    """The token answer for a consent asked for with this access_type (Google: "offline" gets a refresh token),
    prompt ("consent": a refresh token even for an account that gave one before) and scope."""
    account = account or ACCOUNT
    consent = httpx.get(google.base_url + "/o/oauth2/auth", params={
        "client_id": "nmc-test-client", "redirect_uri": REDIRECT, "response_type": "code", "state": "s1",
        "login_hint": account, "access_type": access_type, "prompt": prompt, "scope": scope})
    assert consent.status_code == 200 and "Allow" in consent.text and account in consent.text
    # Carried to Allow, as Google does.
    for name, value in (("access_type", access_type), ("prompt", prompt), ("scope", scope)):
        assert f'name="{name}" value="{value}"' in consent.text, name
    approved = httpx.post(google.base_url + "/o/oauth2/approve", data={
        "redirect_uri": REDIRECT, "state": "s1", "email": account, "decision": "allow", "access_type": access_type,
        "prompt": prompt, "scope": scope})
    query = httpx.URL(approved.headers["location"]).params
    assert query["state"] == "s1"
    tokens = httpx.post(google.base_url + "/token", data={
        "grant_type": "authorization_code", "code": query["code"], "redirect_uri": REDIRECT,
        "client_id": "nmc-test-client", "client_secret": "nmc-test-secret"}).json()
    assert isinstance(tokens, dict) and tokens["access_token"], tokens
    return tokens


def test_a_token_reads_and_writes_only_as_far_as_its_scope_allows(google: RunningGoogle) -> None:
    readonly = consent_tokens(google, "viewer@example.test", access_type="offline", scope=EVENTS_SCOPE.replace(
        "calendar.events", "calendar.readonly"))
    assert readonly["scope"] == "https://www.googleapis.com/auth/calendar.readonly"
    service = google.api_client(readonly["access_token"]).events()
    assert service.list(calendarId="primary").execute()["items"] == []
    with pytest.raises(HttpError) as refused:
        service.insert(calendarId="primary", body=event_body("nmcscope1", 1)).execute()
    assert refused.value.resp.status == 403 and "insufficientPermissions" in refused.value.content.decode()
    # A refreshed token keeps the consent's scope.
    refreshed = httpx.post(google.base_url + "/token", data={
        "grant_type": "refresh_token", "refresh_token": readonly["refresh_token"],
        "client_id": "nmc-test-client", "client_secret": "nmc-test-secret"}).json()
    assert refreshed["scope"] == readonly["scope"]
    # The events scope (the app's) writes; a consent asked for without any scope is refused by Google's page.
    writer = google.api_client(access_token(google, "writer@example.test")).events()
    assert writer.insert(calendarId="primary", body=event_body("nmcscope2", 1)).execute()["id"] == "nmcscope2"
    no_scope = httpx.get(google.base_url + "/o/oauth2/auth", params={
        "client_id": "nmc-test-client", "redirect_uri": REDIRECT, "response_type": "code", "state": "s1"})
    assert no_scope.status_code == 400 and "scope" in no_scope.text


def test_only_an_offline_consent_gets_a_refresh_token(google: RunningGoogle) -> None:
    assert "refresh_token" not in consent_tokens(google, access_type="online")
    assert consent_tokens(google, access_type="offline")["refresh_token"].startswith("1//")


def test_an_account_gets_a_second_refresh_token_only_when_asked_to_consent_again(google: RunningGoogle) -> None:
    account = "again@example.test"
    first = consent_tokens(google, account, access_type="offline")["refresh_token"]
    assert "refresh_token" not in consent_tokens(google, account, access_type="offline")
    assert "refresh_token" not in consent_tokens(google, account, access_type="offline", prompt="select_account")
    second = consent_tokens(google, account, access_type="offline", prompt="select_account consent")
    assert second["refresh_token"].startswith("1//") and second["refresh_token"] != first
    # Another account's first offline consent gets one without being prompted.
    assert consent_tokens(google, "other@example.test", access_type="offline")["refresh_token"].startswith("1//")


def event_body(event_id: str, hour: int) -> dict[str, Any]:
    start = T0 + timedelta(hours=hour)
    return {"id": event_id, "summary": "Job", "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()}}


def test_full_then_incremental_sync_with_the_official_client(google: RunningGoogle) -> None:
    service = google.api_client(access_token(google))
    for hour in range(3):
        google.control.add_event(ACCOUNT, start=T0 + timedelta(hours=hour), end=T0 + timedelta(hours=hour, minutes=30))
    first = service.events().list(calendarId="primary", maxResults=2).execute()
    assert len(first["items"]) == 2 and "nextSyncToken" not in first
    rest = service.events().list(calendarId="primary", maxResults=2, pageToken=first["nextPageToken"]).execute()
    assert len(rest["items"]) == 1 and "nextPageToken" not in rest
    gone = first["items"][0]["id"]
    google.control.delete_event(ACCOUNT, gone)
    added = service.events().insert(calendarId="primary", body=event_body("nmcabc123", 5)).execute()
    changes = service.events().list(calendarId="primary", syncToken=rest["nextSyncToken"]).execute()
    assert [(e["id"], e["status"]) for e in changes["items"]] == [(gone, "cancelled"), (added["id"], "confirmed")]
    unchanged = service.events().list(calendarId="primary", syncToken=changes["nextSyncToken"]).execute()
    assert unchanged["items"] == []


def test_a_calendar_can_answer_smaller_pages_than_max_results_asks(google: RunningGoogle) -> None:
    service = google.api_client(access_token(google))
    for hour in range(3):
        google.control.add_event(ACCOUNT, start=T0 + timedelta(hours=hour), end=T0 + timedelta(hours=hour, minutes=30))
    google.control.limit_pages(ACCOUNT, 1)
    pages, token = [], None
    while True:  # what the official client's list_next does
        page = service.events().list(calendarId="primary", maxResults=250, pageToken=token).execute()
        pages.append(len(page["items"]))
        token = page.get("nextPageToken")
        if token is None:
            break
    assert pages == [1, 1, 1] and "nextSyncToken" in page
    google.control.limit_pages(ACCOUNT, None)
    assert len(service.events().list(calendarId="primary").execute()["items"]) == 3
    other = google.api_client(access_token(google, "other@example.test"))  # another account's calendar: unlimited
    google.control.add_event("other@example.test", start=T0, end=T0 + timedelta(hours=1))
    google.control.add_event("other@example.test", start=T0, end=T0 + timedelta(hours=1))
    google.control.limit_pages(ACCOUNT, 1)
    assert len(other.events().list(calendarId="primary").execute()["items"]) == 2
    for size in (0, "2", True):
        with pytest.raises(FakeControlError) as refused:
            google.control._call("POST", "/_fake/google/page-size", json={"calendar_id": ACCOUNT, "size": size})
        assert refused.value.status == 422 and "size" in str(refused.value)
    with pytest.raises(FakeControlError) as nameless:
        google.control._call("POST", "/_fake/google/page-size", json={"size": 1})
    assert nameless.value.status == 422 and "calendar_id" in str(nameless.value)


def test_each_account_has_its_own_primary_calendar(google: RunningGoogle) -> None:
    mine, theirs = google.api_client(access_token(google)), google.api_client(access_token(google, "other@example.test"))
    google.control.add_event(ACCOUNT, start=T0, end=T0 + timedelta(hours=1), summary="Mine")
    assert [e["summary"] for e in mine.events().list(calendarId="primary").execute()["items"]] == ["Mine"]
    assert theirs.events().list(calendarId="primary").execute()["items"] == []


def test_an_event_shown_as_free_is_transparent_and_a_busy_one_says_nothing(google: RunningGoogle) -> None:
    google.control.add_event(ACCOUNT, start=T0, end=T0 + timedelta(hours=1), summary="Reminder", free=True)
    google.control.add_event(ACCOUNT, start=T0, end=T0 + timedelta(hours=1), summary="Meeting")
    events = google.api_client(access_token(google)).events().list(calendarId="primary").execute()["items"]
    assert {e["summary"]: e.get("transparency") for e in events} == {"Reminder": "transparent", "Meeting": None}
    with pytest.raises(FakeControlError) as refused:
        google.control._call("POST", "/_fake/google/events", json={
            "calendar_id": ACCOUNT, "start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat(), "free": "yes"})
    assert refused.value.status == 422 and "free" in str(refused.value)


def test_an_event_switched_to_free_and_back_is_listed_as_changed(google: RunningGoogle) -> None:
    event = google.control.add_event(ACCOUNT, start=T0, end=T0 + timedelta(hours=1), summary="Gym")
    service = google.api_client(access_token(google)).events()
    token = service.list(calendarId="primary").execute()["nextSyncToken"]
    assert google.control.show_as(ACCOUNT, event["id"], free=True)["transparency"] == "transparent"
    changed = service.list(calendarId="primary", syncToken=token).execute()
    assert [(e["id"], e.get("transparency")) for e in changed["items"]] == [(event["id"], "transparent")]
    busy = google.control.show_as(ACCOUNT, event["id"], free=False)
    assert "transparency" not in busy and busy["start"] == event["start"]
    with pytest.raises(FakeControlError) as nothing:
        google.control._call("PATCH", f"/_fake/google/events/{event['id']}", json={"calendar_id": ACCOUNT})
    assert nothing.value.status == 422


def test_an_invitation_answered_maybe_is_tentative(google: RunningGoogle) -> None:
    google.control.add_event(ACCOUNT, start=T0, end=T0 + timedelta(hours=1), summary="Maybe", tentative=True)
    google.control.add_event(ACCOUNT, start=T0, end=T0 + timedelta(hours=1), summary="Yes")
    events = google.api_client(access_token(google)).events().list(calendarId="primary").execute()["items"]
    assert {e["summary"]: e["status"] for e in events} == {"Maybe": "tentative", "Yes": "confirmed"}


def test_a_weekly_event_is_listed_once_or_as_its_occurrences_with_single_events(google: RunningGoogle) -> None:
    weekly = google.control.add_event(ACCOUNT, start=T0, end=T0 + timedelta(hours=1), summary="Standup", weekly=3)
    assert weekly["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=3"]
    events = google.api_client(access_token(google)).events()
    (stored,) = events.list(calendarId="primary").execute()["items"]
    assert (stored["id"], stored["start"]["dateTime"]) == (weekly["id"], T0.isoformat())
    full = events.list(calendarId="primary", singleEvents=True).execute()
    starts = [T0 + timedelta(weeks=n) for n in range(3)]
    assert [(e["id"], e["recurringEventId"], e["start"]["dateTime"], e["end"]["dateTime"]) for e in full["items"]] == [
        (f"{weekly['id']}_{start:%Y%m%dT%H%M%SZ}", weekly["id"], start.isoformat(), (start + timedelta(hours=1)).isoformat())
        for start in starts]
    assert all("recurrence" not in e for e in full["items"])
    # Deleting the series cancels every occurrence in the next incremental sync.
    google.control.delete_event(ACCOUNT, weekly["id"])
    changed = events.list(calendarId="primary", singleEvents=True, syncToken=full["nextSyncToken"]).execute()["items"]
    assert [e["status"] for e in changed] == ["cancelled"] * 3
    with pytest.raises(FakeControlError) as all_day:
        google.control._call("POST", "/_fake/google/events", json={
            "calendar_id": ACCOUNT, "all_day": True, "start": "2030-01-07", "end": "2030-01-08", "weekly": 2})
    assert all_day.value.status == 422


def test_all_day_events_have_dates_with_the_end_day_excluded(google: RunningGoogle) -> None:
    google.control.add_all_day_event(ACCOUNT, first=date(2030, 1, 8), last=date(2030, 1, 9), summary="Away")
    [event] = google.api_client(access_token(google)).events().list(calendarId="primary").execute()["items"]
    assert (event["summary"], event["start"], event["end"]) == ("Away", {"date": "2030-01-08"}, {"date": "2030-01-10"})
    with pytest.raises(FakeControlError) as refused:
        google.control._call("POST", "/_fake/google/events", json={
            "calendar_id": ACCOUNT, "all_day": True, "start": "2030-01-08", "end": "2030-01-08"})
    assert refused.value.status == 422 and "a day after" in str(refused.value)
    with pytest.raises(FakeControlError) as malformed:
        google.control._call("POST", "/_fake/google/events", json={
            "calendar_id": ACCOUNT, "all_day": True, "start": "next tuesday", "end": "2030-01-09"})
    assert malformed.value.status == 422 and "YYYY-MM-DD" in str(malformed.value)


def test_invalidated_sync_tokens_are_410_full_sync_required(google: RunningGoogle) -> None:
    service = google.api_client(access_token(google))
    token = service.events().list(calendarId="primary").execute()["nextSyncToken"]
    google.control.invalidate_sync_tokens()
    with pytest.raises(HttpError) as caught:
        service.events().list(calendarId="primary", syncToken=token).execute()
    assert caught.value.status_code == 410
    assert caught.value.error_details[0]["reason"] == "fullSyncRequired"
    assert "nextSyncToken" in service.events().list(calendarId="primary").execute()


def test_an_insert_with_a_known_id_is_409_duplicate_and_adds_nothing(google: RunningGoogle) -> None:
    service = google.api_client(access_token(google))
    service.events().insert(calendarId="primary", body=event_body("nmc0123456789", 1)).execute()
    with pytest.raises(HttpError) as caught:
        service.events().insert(calendarId="primary", body=event_body("nmc0123456789", 2)).execute()
    assert caught.value.status_code == 409
    assert [e["start"]["dateTime"] for e in google.control.events(ACCOUNT)] == [(T0 + timedelta(hours=1)).isoformat()]


def test_a_watch_channel_gets_sync_then_exists_notifications_unless_dropped(
    google: RunningGoogle, receiver: WebhookReceiver,
) -> None:
    service = google.api_client(access_token(google))
    channel = service.events().watch(calendarId="primary", body={
        "id": "chan-1", "type": "web_hook", "address": receiver.url("/webhooks/google/calendar"), "token": "secret-1",
    }).execute()
    (sync,) = receiver.wait_for(1)
    assert sync.headers["X-Goog-Resource-State"] == "sync" and sync.headers["X-Goog-Channel-ID"] == "chan-1"
    google.control.add_event(ACCOUNT, start=T0, end=T0 + timedelta(hours=1))
    _, changed = receiver.wait_for(2)
    assert (changed.headers["X-Goog-Resource-State"], changed.headers["X-Goog-Channel-Token"],
            changed.headers["X-Goog-Resource-ID"]) == ("exists", "secret-1", channel["resourceId"])
    google.control.drop_notifications(1)
    google.control.add_event(ACCOUNT, start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=3))
    google.control.add_event(ACCOUNT, start=T0 + timedelta(hours=4), end=T0 + timedelta(hours=5))
    received = receiver.wait_for(3)
    assert [r.headers["X-Goog-Message-Number"] for r in received] == ["1", "2", "4"]  # number 3 was dropped
    assert google.control.health()["dropped_notifications"] == 1


def test_expired_access_tokens_are_401_and_the_official_client_refreshes_them(google: RunningGoogle) -> None:
    tokens, other = tokens_of(google), tokens_of(google, "sam@example.test")
    service = google.api_client(tokens["access_token"], refresh_token=tokens["refresh_token"])
    google.control.add_event(ACCOUNT, start=T0, end=T0 + timedelta(hours=1))
    assert google.control.expire_access_tokens(ACCOUNT) == 1  # sam's token is another account's
    expired = httpx.get(google.base_url + "/calendar/v3/calendars/primary/events",
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert expired.status_code == 401 and expired.json()["error"]["errors"][0]["reason"] == "authError"
    # google-auth answers the 401 with a refresh_token grant at /token and repeats the call with the new token
    assert len(service.events().list(calendarId="primary").execute()["items"]) == 1
    refreshes = [r for r in google.control.requests() if r["path"] == "/token"
                 and "grant_type=refresh_token" in str(r.get("body", ""))]
    assert len(refreshes) == 1, refreshes
    still = httpx.get(google.base_url + "/calendar/v3/calendars/primary/events",
                      headers={"Authorization": f"Bearer {other['access_token']}"})
    assert still.status_code == 200
    without_refresh = google.api_client(tokens["access_token"])
    with pytest.raises(Exception, match="refresh"):
        without_refresh.events().list(calendarId="primary").execute()


def test_a_channel_lives_its_ttl_and_an_expired_or_stopped_one_is_never_notified(
    google: RunningGoogle, receiver: WebhookReceiver,
) -> None:
    service = google.api_client(access_token(google))
    before_ms = int(datetime.now(UTC).timestamp() * 1000)
    week = service.events().watch(calendarId="primary", body={
        "id": "chan-week", "type": "web_hook", "address": receiver.url("/a"), "token": "t"}).execute()
    hour = service.events().watch(calendarId="primary", body={
        "id": "chan-hour", "type": "web_hook", "address": receiver.url("/b"), "token": "t",
        "params": {"ttl": "3600"}}).execute()
    assert 0 <= int(week["expiration"]) - before_ms - 604800 * 1000 < 60_000  # Google's default: a week
    assert 0 <= int(hour["expiration"]) - before_ms - 3600 * 1000 < 60_000
    receiver.wait_for(2)  # each channel's sync message
    assert google.control.expire_channels(ACCOUNT) == 2
    service.channels().stop(body={"id": "chan-hour", "resourceId": hour["resourceId"]}).execute()
    listed = google.control.channels(ACCOUNT)
    assert [(c["id"], c["live"]) for c in listed] == [("chan-week", False)]  # stopped: gone; expired: silent
    fresh = service.events().watch(calendarId="primary", body={
        "id": "chan-new", "type": "web_hook", "address": receiver.url("/c"), "token": "t"}).execute()
    google.control.add_event(ACCOUNT, start=T0, end=T0 + timedelta(hours=1))
    received = receiver.wait_for(4)
    # (deliveries are concurrent: their order is not the order they were sent in)
    assert sorted((r.path, r.headers["X-Goog-Resource-State"]) for r in received[2:]) == [("/c", "exists"), ("/c", "sync")]
    assert fresh["resourceId"] != week["resourceId"]
    with pytest.raises(HttpError) as caught:
        service.events().watch(calendarId="primary", body={
            "id": "chan-bad", "type": "web_hook", "address": receiver.url("/d"), "params": {"ttl": "soon"}}).execute()
    assert caught.value.status_code == 400 and "params.ttl" in str(caught.value)


def test_bad_credentials_and_bad_input_get_clear_errors(google: RunningGoogle) -> None:
    # (the official client answers a 401 by refreshing its credentials, so the raw call shows the 401 itself)
    unknown = httpx.get(google.base_url + "/calendar/v3/calendars/primary/events",
                        headers={"Authorization": "Bearer ya29.not-issued"})
    assert unknown.status_code == 401 and unknown.json()["error"]["errors"][0]["reason"] == "authError"
    service = google.api_client(access_token(google))
    with pytest.raises(HttpError) as caught:
        service.events().insert(calendarId="primary", body={"start": {"dateTime": "soon"}, "end": {}}).execute()
    assert caught.value.status_code == 400 and "start.dateTime" in str(caught.value)
    with pytest.raises(HttpError) as caught:
        service.events().list(calendarId="primary", syncToken="garbage").execute()
    assert caught.value.status_code == 410
    denied = httpx.post(google.base_url + "/token", data={"grant_type": "authorization_code", "code": "4/forged",
                        "redirect_uri": REDIRECT, "client_id": "nmc-test-client", "client_secret": "nmc-test-secret"})
    assert denied.status_code == 400 and denied.json()["error"] == "invalid_grant"
    assert httpx.get(google.base_url + "/o/oauth2/auth", params={"client_id": "someone-else"}).status_code == 401
    for bad in ({"calendar_id": ACCOUNT, "start": "tomorrow", "end": "2030-01-07T16:00:00Z"},
                {"calendar_id": ACCOUNT, "start": "2030-01-07T16:00:00Z"},
                {"calendar_id": ACCOUNT, "start": "2030-01-07T16:00:00", "end": "2030-01-07T17:00:00"},
                {"start": "2030-01-07T16:00:00Z", "end": "2030-01-07T17:00:00Z"}):
        with pytest.raises(FakeControlError) as refused:
            google.control._call("POST", "/_fake/google/events", json=bad)
        assert refused.value.status == 422
    with pytest.raises(FakeControlError) as missing:
        google.control.delete_event(ACCOUNT, "nope")
    assert missing.value.status == 404


def test_python_m_fakes_google_refuses_an_empty_client_id() -> None:
    result = subprocess.run([sys.executable, "-m", "fakes", "google", "--client-id", " "], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and "--client-id" in result.stderr
