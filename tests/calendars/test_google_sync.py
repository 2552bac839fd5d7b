"""Google Calendar sync (seed 003 §4.3, §8): connect, busy time out of offers, push then poll, 410 → full sync,
bookings written once despite retries, an outage shown and recovered. Against the Google fake, both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.calendars import service as calendars_service
from app.calendars.models import CalendarConnection, ExternalBusy
from app.db import Database
from app.outbox.worker import OutboxWorker
from app.settings import Settings
from fakes.google import RunningGoogle
from tests.booking.conftest import drain_all
from tests.calendars.conftest import POLL_INTERVAL_S, calendar_of, connect, notify
from tests.conftest import csrf_of


def local(hour: int, minute: int = 0) -> datetime:
    """Monday 2030-01-07 at hour:minute New York time (EST), as UTC."""
    return datetime(2030, 1, 7, hour + 5, minute, tzinfo=UTC)


def offer_starts(client: TestClient, shop: dict[str, Any]) -> list[datetime]:
    response = client.get("/api/v1/offers", params={"item_id": shop["items"]["Leak repair"]})
    assert response.status_code == 200, response.text
    return [datetime.fromisoformat(o["starts_at"]) for o in response.json()["offers"]]


def connected(shop: dict[str, Any], login_as: Callable[..., TestClient], google: RunningGoogle, worker: OutboxWorker,
              database: Database) -> TestClient:
    owner = login_as(shop, "OWNER")
    back = connect(owner, google)
    assert back.status_code == 303 and back.headers["location"] == "/calendar?connected=1"
    drain_all(worker, database)
    return owner


def busy_rows(database: Database, tenant_id: str) -> list[tuple[str, datetime, datetime]]:
    with database.session() as db:
        return [(r.summary, r.starts_at, r.ends_at) for r in db.scalars(
            select(ExternalBusy).where(ExternalBusy.tenant_id == tenant_id).order_by(ExternalBusy.starts_at))]


def test_connecting_mirrors_busy_time_and_takes_it_out_of_offers(
    shop: dict[str, Any], login_as: Callable[..., TestClient], google: RunningGoogle, worker: OutboxWorker,
    database: Database,
) -> None:
    owner = login_as(shop, "OWNER")
    assert offer_starts(owner, shop) == [local(9, 30), local(10, 30), local(11, 30)]
    google.control.add_event(calendar_of(shop), start=local(10), end=local(11), summary="Dentist")
    connected(shop, login_as, google, worker, database)
    assert busy_rows(database, shop["id"]) == [("Dentist", local(10), local(11))]
    assert offer_starts(owner, shop) == [local(11), local(12), local(13)]
    page = owner.get("/calendar").text
    assert 'data-testid="calendar-status" data-state="connected"' in page
    held = owner.post("/api/v1/holds", headers={"X-CSRF-Token": csrf_of(owner)},
                      json={"item_id": shop["items"]["Leak repair"], "starts_at": local(10, 15).isoformat()})
    assert held.status_code == 409 and held.json()["code"] == "slot_taken"


def test_a_new_connection_is_synced_by_the_outbox_not_also_by_the_poll(
    shop: dict[str, Any], login_as: Callable[..., TestClient], google: RunningGoogle, worker: OutboxWorker,
    database: Database, settings: Settings,
) -> None:
    owner = login_as(shop, "OWNER")
    assert connect(owner, google).status_code == 303
    # Before the outbox's first sync ran: the poll leaves the new connection to it (a second, simultaneous sync).
    assert calendars_service.poll_due(database=database, settings=settings) == 0
    drain_all(worker, database)
    assert calendars_service.poll_due(database=database, settings=settings) == 0  # an interval away now


def test_a_push_notification_brings_in_changes_and_forged_ones_are_refused(
    shop: dict[str, Any], login_as: Callable[..., TestClient], google: RunningGoogle, worker: OutboxWorker,
    database: Database, client: TestClient,
) -> None:
    owner = connected(shop, login_as, google, worker, database)
    (channel,) = google.app.channels.values()
    assert channel.address == "http://testserver/webhooks/google/calendar"
    event = google.control.add_event(calendar_of(shop), start=local(9, 30), end=local(10), summary="School run")
    assert notify(client, google, token="forged").status_code == 403
    assert client.post("/webhooks/google/calendar").status_code == 400
    assert client.post("/webhooks/google/calendar", headers={"X-Goog-Channel-ID": "unknown",
                                                             "X-Goog-Resource-State": "exists"}).status_code == 403
    drain_all(worker, database)
    assert busy_rows(database, shop["id"]) == []
    assert notify(client, google).status_code == 200
    drain_all(worker, database)
    assert busy_rows(database, shop["id"]) == [("School run", local(9, 30), local(10))]
    assert offer_starts(owner, shop)[0] == local(10)
    google.control.move_event(calendar_of(shop), event["id"], start=local(12), end=local(13))
    notify(client, google)
    drain_all(worker, database)
    assert busy_rows(database, shop["id"]) == [("School run", local(12), local(13))]
    google.control.delete_event(calendar_of(shop), event["id"])
    notify(client, google)
    drain_all(worker, database)
    assert busy_rows(database, shop["id"]) == []


def test_a_dropped_notification_is_made_good_by_the_poll_on_the_tenant_clock(
    shop: dict[str, Any], login_as: Callable[..., TestClient], google: RunningGoogle, worker: OutboxWorker,
    database: Database, settings: Settings, set_clock: Callable[..., datetime],
) -> None:
    connected(shop, login_as, google, worker, database)
    google.control.drop_notifications(1)
    google.control.add_event(calendar_of(shop), start=local(9, 30), end=local(10), summary="Lost")
    assert google.control.health()["dropped_notifications"] == 1
    assert calendars_service.poll_due(database=database, settings=settings) == 0  # not due yet
    assert busy_rows(database, shop["id"]) == []
    set_clock(shop, advance=POLL_INTERVAL_S)
    assert calendars_service.poll_due(database=database, settings=settings) == 1
    assert busy_rows(database, shop["id"]) == [("Lost", local(9, 30), local(10))]


def test_an_expired_sync_token_means_a_full_resync(
    shop: dict[str, Any], login_as: Callable[..., TestClient], google: RunningGoogle, worker: OutboxWorker,
    database: Database, settings: Settings, set_clock: Callable[..., datetime],
) -> None:
    gone = google.control.add_event(calendar_of(shop), start=local(9), end=local(10), summary="Gone")
    connected(shop, login_as, google, worker, database)
    google.control.drop_notifications(2)
    google.control.delete_event(calendar_of(shop), gone["id"])
    google.control.add_event(calendar_of(shop), start=local(14), end=local(15), summary="Kept")
    google.control.invalidate_sync_tokens()
    set_clock(shop, advance=POLL_INTERVAL_S)
    assert calendars_service.poll_due(database=database, settings=settings) == 1
    assert busy_rows(database, shop["id"]) == [("Kept", local(14), local(15))]
    gone_answers = [e for e in google.control.requests(contains="syncToken") if e.get("status") == 410]
    assert gone_answers, "the poll never met the 410"


def test_a_booking_is_written_to_google_once_even_when_the_first_attempt_times_out(
    shop: dict[str, Any], login_as: Callable[..., TestClient], google: RunningGoogle, worker: OutboxWorker,
    database: Database,
) -> None:
    owner = connected(shop, login_as, google, worker, database)
    # The insert reaches Google but its answer comes after our 1 s timeout: the retry must not add a twin.
    google.control.add_fault(r"/events$", "delay", method="POST", ms=1500)
    csrf = {"X-CSRF-Token": csrf_of(owner)}
    held = owner.post("/api/v1/holds", json={"item_id": shop["items"]["Leak repair"],
                                             "starts_at": local(11).isoformat()}, headers=csrf).json()
    booked = owner.post("/api/v1/bookings", json={"hold_id": held["id"], "customer_name": "Pat"}, headers=csrf)
    assert booked.status_code == 201, booked.text
    drain_all(worker, database, rounds=20)
    events = google.control.events(calendar_of(shop))
    assert [(e["id"], e["start"]["dateTime"]) for e in events] == [
        ("nmc" + booked.json()["id"], local(11).isoformat())]
    inserts = [e for e in google.control.requests(contains="/calendar/v3/calendars/primary/events")
               if e.get("method") == "POST" and not e.get("path", "").endswith("/watch")]
    assert len(inserts) >= 2, "the timed-out insert was never retried"


def test_an_outage_shows_on_the_calendar_page_and_recovers(
    shop: dict[str, Any], login_as: Callable[..., TestClient], google: RunningGoogle, worker: OutboxWorker,
    database: Database, client: TestClient,
) -> None:
    owner = connected(shop, login_as, google, worker, database)
    google.control.add_fault(r"/events$", "status", method="GET", code=503, times=100)
    google.control.add_event(calendar_of(shop), start=local(9, 30), end=local(10), summary="During the outage")
    notify(client, google)
    worker.drain()
    page = owner.get("/calendar").text
    assert 'data-testid="calendar-status" data-state="error"' in page and "HTTP 503" in page
    google.control.clear_faults()
    drain_all(worker, database, rounds=20)
    with database.session() as db:
        connection = db.scalars(select(CalendarConnection)).one()
        assert (connection.status, connection.last_error) == ("connected", None)
    assert 'data-testid="calendar-status" data-state="connected"' in owner.get("/calendar").text
    assert busy_rows(database, shop["id"]) == [("During the outage", local(9, 30), local(10))]


def test_an_outage_is_retried_with_growing_jittered_delays_not_hammered(
    shop: dict[str, Any], login_as: Callable[..., TestClient], google: RunningGoogle, worker: OutboxWorker,
    database: Database, settings: Settings, set_clock: Callable[..., datetime],
) -> None:
    connected(shop, login_as, google, worker, database)
    google.control.add_fault(r"/events$", "status", method="GET", code=503, times=100)

    def list_calls() -> int:
        return sum(1 for e in google.control.requests(contains="/events") if e.get("method") == "GET")

    delays = []
    for _ in range(3):
        set_clock(shop, advance=POLL_INTERVAL_S)  # whatever was scheduled is due now
        before = list_calls()
        assert calendars_service.poll_due(database=database, settings=settings) == 0
        assert calendars_service.poll_due(database=database, settings=settings) == 0  # not due again at once
        assert list_calls() == before + 1
        with database.session() as db:
            connection = db.scalars(select(CalendarConnection)).one()
            now = calendars_service.tenancy_service.now(tenant=calendars_service.tenancy_service.get(
                db=db, tenant_id=shop["id"]))
            assert connection.next_poll_at is not None
            delays.append((connection.failures, (connection.next_poll_at - now).total_seconds()))
    assert [failures for failures, _ in delays] == [1, 2, 3]
    for failures, delay in delays:
        assert 2 ** failures / 2 - 0.5 <= delay <= 2 ** failures, delays


def test_an_expired_access_token_is_refreshed_and_a_revoked_connection_says_connect_again(
    shop: dict[str, Any], login_as: Callable[..., TestClient], google: RunningGoogle, worker: OutboxWorker,
    database: Database, client: TestClient,
) -> None:
    owner = connected(shop, login_as, google, worker, database)
    with database.session() as db:
        first_token = db.scalars(select(CalendarConnection)).one().access_token
    assert google.control.expire_access_tokens(calendar_of(shop)) == 1  # Google's hour is over
    google.control.add_event(calendar_of(shop), start=local(9, 30), end=local(10), summary="After the hour")
    assert notify(client, google).status_code == 200
    drain_all(worker, database)
    assert busy_rows(database, shop["id"]) == [("After the hour", local(9, 30), local(10))]
    with database.session() as db:
        connection = db.scalars(select(CalendarConnection)).one()
        assert connection.status == "connected" and connection.access_token != first_token  # the new one is kept
    refreshes = [e for e in google.control.requests(contains="grant_type=refresh_token") if e["path"] == "/token"]
    assert len(refreshes) == 1
    # The owner removed our access in their Google account: the refresh token is refused too.
    google.app.refresh_tokens.clear()
    google.control.expire_access_tokens(calendar_of(shop))
    notify(client, google)
    drain_all(worker, database)
    page = owner.get("/calendar").text
    assert 'data-testid="calendar-status" data-state="error"' in page and "invalid_grant" in page


def test_the_push_channel_is_renewed_before_it_expires_and_the_old_one_stopped(
    shop: dict[str, Any], login_as: Callable[..., TestClient], google: RunningGoogle, worker: OutboxWorker,
    database: Database, settings: Settings, set_clock: Callable[..., datetime], client: TestClient,
) -> None:
    connected(shop, login_as, google, worker, database)
    (first,) = google.control.channels(calendar_of(shop))
    with database.session() as db:
        connection = db.scalars(select(CalendarConnection)).one()
        assert (connection.channel_id, connection.channel_resource_id) == (first["id"], first["resource_id"])
        lifetime = connection.channel_expires_at - calendars_service.tenancy_service.now(
            tenant=calendars_service.tenancy_service.get(db=db, tenant_id=shop["id"]))
    assert timedelta(days=6, hours=23) < lifetime <= timedelta(days=7)  # Google's week, on the tenant clock
    set_clock(shop, advance=5 * 86400)  # polls come and go; the channel has two days left
    assert calendars_service.poll_due(database=database, settings=settings) == 1
    assert [c["id"] for c in google.control.channels(calendar_of(shop))] == [first["id"]]
    set_clock(shop, advance=int(1.5 * 86400))  # half a day left: renewed on this poll
    assert calendars_service.poll_due(database=database, settings=settings) == 1
    (second,) = google.control.channels(calendar_of(shop))  # the old one was stopped
    assert second["id"] != first["id"] and second["live"]
    google.control.add_event(calendar_of(shop), start=local(9, 30), end=local(10), summary="On the new channel")
    assert notify(client, google).status_code == 200  # the new channel's id and token are the app's
    drain_all(worker, database)
    assert busy_rows(database, shop["id"]) == [("On the new channel", local(9, 30), local(10))]
    late = client.post("/webhooks/google/calendar", headers={
        "X-Goog-Channel-ID": first["id"], "X-Goog-Resource-State": "exists", "X-Goog-Channel-Token": "x"})
    assert late.status_code == 403  # the stopped channel is no credential any more
