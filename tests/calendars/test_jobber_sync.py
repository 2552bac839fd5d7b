"""Jobber sync (seed 003 §4.3, §8): connect through Jobber's consent, visits out of offers (rows named
`jobber` in the shadow table), signed webhooks then poll, bookings written once despite retries, an expired
access token refreshed, an outage shown and recovered. Against the Jobber fake, both backends.

The fake's webhooks cannot reach the TestClient app: a local receiver catches the exact bytes and headers
the fake sends, and `forward` hands them over.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.calendars import service as calendars_service
from app.calendars import token_box
from app.calendars.models import CalendarConnection, ExternalBusy
from app.db import Database
from app.outbox.models import OutboxEvent
from app.outbox.worker import OutboxWorker
from app.settings import Settings
from fakes.jobber import RunningJobber, running_jobber
from tests.booking.conftest import drain_all
from tests.calendars.conftest import POLL_INTERVAL_S, calendar_of
from tests.calendars.test_google_sync import local, offer_starts
from tests.conftest import csrf_of, make_settings
from tests.fakes.conftest import WebhookReceiver

SECRET = "nmc-test-secret"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture
def jobber(receiver: WebhookReceiver) -> Iterator[RunningJobber]:
    with running_jobber(webhook_url=receiver.url("/webhooks/jobber"), client_secret=SECRET) as fake:
        yield fake


@pytest.fixture
def settings(database_url: str, jobber: RunningJobber) -> Settings:
    return make_settings(database_url, jobber_client_id="nmc-test-client", jobber_client_secret=SECRET,
                         # 1 s: short enough for the 1.5 s "late answer" faults below to time out, long enough
                         # for an ordinary read on a loaded 2-core CI machine (0.5 s timed one out once)
                         jobber_api_base=jobber.base_url, jobber_http_timeout_seconds=1.0,
                         calendar_poll_interval_seconds=POLL_INTERVAL_S)


def connected(shop: dict[str, Any], login_as: Callable[..., TestClient], jobber: RunningJobber, worker: OutboxWorker,
              database: Database) -> TestClient:
    """The owner's round trip: our Connect Jobber button, Jobber's consent page (Allow), our callback."""
    owner = login_as(shop, "OWNER")
    to_jobber = owner.post("/calendar/jobber/connect", data={"csrf_token": csrf_of(owner)}, follow_redirects=False)
    assert to_jobber.status_code == 303, to_jobber.text
    consent = urlsplit(to_jobber.headers["location"])
    assert consent.netloc == urlsplit(jobber.base_url).netloc and consent.path == "/api/oauth/authorize"
    query = dict(httpx.QueryParams(consent.query))
    allowed = httpx.post(jobber.base_url + "/api/oauth/approve", data={
        "redirect_uri": query["redirect_uri"], "state": query["state"], "email": calendar_of(shop), "decision": "allow"})
    back = urlsplit(allowed.headers["location"])
    answer = owner.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/calendar?connected=jobber", answer.text
    drain_all(worker, database)
    return owner


def forward(client: TestClient, receiver: WebhookReceiver, count: int) -> list[int]:
    """Delivers the first `count` webhooks the fake sent, as sent; returns our answers."""
    return [client.post("/webhooks/jobber", content=hit.body, headers={
        "Content-Type": "application/json", "X-Jobber-Hmac-SHA256": hit.headers["X-Jobber-Hmac-SHA256"]}).status_code
        for hit in receiver.wait_for(count)[:count]]


def answered(jobber: RunningJobber, text: str, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The fake's inbound requests containing `text`, once every one of them has been answered."""
    deadline = time.monotonic() + timeout
    while True:
        entries = [e for e in jobber.control.requests(contains=text) if e.get("direction") == "inbound"]
        if all(e.get("status") is not None for e in entries) or time.monotonic() > deadline:
            return entries
        threading.Event().wait(0.05)


def busy_rows(database: Database, tenant_id: str) -> list[tuple[str, str, datetime, datetime]]:
    with database.session() as db:
        return [(r.provider, r.summary, r.starts_at, r.ends_at) for r in db.scalars(
            select(ExternalBusy).where(ExternalBusy.tenant_id == tenant_id).order_by(ExternalBusy.starts_at))]


def jobber_connection(database: Database) -> CalendarConnection:
    with database.session() as db:
        return db.scalars(select(CalendarConnection).where(CalendarConnection.provider == "jobber")).one()


def test_connecting_jobber_mirrors_visits_and_takes_them_out_of_offers(
    shop: dict[str, Any], login_as: Callable[..., TestClient], jobber: RunningJobber, worker: OutboxWorker,
    database: Database,
) -> None:
    owner = login_as(shop, "OWNER")
    assert offer_starts(owner, shop) == [local(9, 30), local(10, 30), local(11, 30)]
    assert 'data-testid="jobber-status" data-state="none"' in owner.get("/calendar").text
    jobber.control.add_visit(calendar_of(shop), start=local(10), end=local(11), title="Furnace check")
    connected(shop, login_as, jobber, worker, database)
    assert busy_rows(database, shop["id"]) == [("jobber", "Furnace check", local(10), local(11))]
    assert offer_starts(owner, shop) == [local(11), local(12), local(13)]
    assert 'data-testid="jobber-status" data-state="connected"' in owner.get("/calendar").text
    held = owner.post("/api/v1/holds", headers={"X-CSRF-Token": csrf_of(owner)},
                      json={"item_id": shop["items"]["Leak repair"], "starts_at": local(10, 15).isoformat()})
    assert held.status_code == 409 and held.json()["code"] == "slot_taken"


def test_a_signed_webhook_brings_in_changes_and_unsigned_ones_change_nothing(
    shop: dict[str, Any], login_as: Callable[..., TestClient], jobber: RunningJobber, worker: OutboxWorker,
    database: Database, client: TestClient, receiver: WebhookReceiver,
) -> None:
    owner = connected(shop, login_as, jobber, worker, database)
    visit = jobber.control.add_visit(calendar_of(shop), start=local(9, 30), end=local(10), title="School run")
    (hit,) = receiver.wait_for(1)

    def outbox_size() -> int:
        with database.session() as db:
            return int(db.scalar(select(func.count()).select_from(OutboxEvent)) or 0)

    before = outbox_size()
    for headers in ({}, {"X-Jobber-Hmac-SHA256": "bm90IHRoZSBzaWduYXR1cmU="},
                    {"X-Jobber-Hmac-SHA256": hit.headers["X-Jobber-Hmac-SHA256"]}):
        body = hit.body if headers.get("X-Jobber-Hmac-SHA256") != hit.headers["X-Jobber-Hmac-SHA256"] \
            else hit.body.replace(b"VISIT_CREATE", b"VISIT_UPDATE")  # the genuine signature over a changed body
        refused = client.post("/webhooks/jobber", content=body, headers={"Content-Type": "application/json", **headers})
        assert refused.status_code == 403 and refused.json()["code"] == "invalid_signature", refused.text
    assert outbox_size() == before
    assert forward(client, receiver, 1) == [200]
    drain_all(worker, database)
    assert busy_rows(database, shop["id"]) == [("jobber", "School run", local(9, 30), local(10))]
    assert offer_starts(owner, shop)[0] == local(10)
    jobber.control.move_visit(calendar_of(shop), visit["id"], start=local(12), end=local(13))
    jobber.control.delete_visit(calendar_of(shop), visit["id"])
    assert forward(client, receiver, 3)[1:] == [200, 200]
    drain_all(worker, database)
    assert busy_rows(database, shop["id"]) == []


def test_a_dropped_webhook_is_made_good_by_the_poll_on_the_tenant_clock(
    shop: dict[str, Any], login_as: Callable[..., TestClient], jobber: RunningJobber, worker: OutboxWorker,
    database: Database, settings: Settings, set_clock: Callable[..., datetime],
) -> None:
    connected(shop, login_as, jobber, worker, database)
    jobber.control.drop_webhooks(1)
    jobber.control.add_visit(calendar_of(shop), start=local(9, 30), end=local(10), title="Lost")
    assert jobber.control.health()["dropped_webhooks"] == 1
    assert calendars_service.poll_due(database=database, settings=settings) == 0  # not due yet
    assert busy_rows(database, shop["id"]) == []
    set_clock(shop, advance=POLL_INTERVAL_S)
    assert calendars_service.poll_due(database=database, settings=settings) == 1
    assert busy_rows(database, shop["id"]) == [("jobber", "Lost", local(9, 30), local(10))]


def test_a_booking_is_written_to_jobber_once_even_when_the_first_attempt_times_out(
    shop: dict[str, Any], login_as: Callable[..., TestClient], jobber: RunningJobber, worker: OutboxWorker,
    database: Database, client: TestClient, receiver: WebhookReceiver,
) -> None:
    owner = connected(shop, login_as, jobber, worker, database)
    # The mutation reaches Jobber but its answer comes after our 1 s timeout: the retry must not add a twin.
    jobber.control.add_fault(r"^/api/graphql$", "delay", method="POST", ms=1500, times=1)
    csrf = {"X-CSRF-Token": csrf_of(owner)}
    held = owner.post("/api/v1/holds", json={"item_id": shop["items"]["Leak repair"],
                                             "starts_at": local(11).isoformat()}, headers=csrf).json()
    booked = owner.post("/api/v1/bookings", json={"hold_id": held["id"], "customer_name": "Pat"}, headers=csrf)
    assert booked.status_code == 201, booked.text
    drain_all(worker, database, rounds=20)
    mutations = answered(jobber, "visitCreate")  # the slow first one included: it books too, late
    assert len(mutations) >= 2, "the timed-out mutation was never retried"
    visits = jobber.control.visits(calendar_of(shop))
    assert [(v["title"], v["startAt"]) for v in visits] == [("Leak repair (NeverMissCall)", "2030-01-07T16:00:00Z")]
    # Our own visit's webhook syncs, and the visit is not mirrored as busy time (the appointment blocks it).
    forward(client, receiver, 1)
    drain_all(worker, database)
    assert busy_rows(database, shop["id"]) == []


def test_an_expired_access_token_is_refreshed_and_the_new_tokens_kept(
    shop: dict[str, Any], login_as: Callable[..., TestClient], jobber: RunningJobber, worker: OutboxWorker,
    database: Database, settings: Settings, set_clock: Callable[..., datetime],
) -> None:
    connected(shop, login_as, jobber, worker, database)
    first = jobber_connection(database)
    first_access = token_box.access_token(settings, first)
    jobber.app.access_tokens[first_access] = (calendar_of(shop), 0.0)  # expired at Jobber
    jobber.control.add_visit(calendar_of(shop), start=local(9, 30), end=local(10), title="After expiry")
    set_clock(shop, advance=POLL_INTERVAL_S)
    assert calendars_service.poll_due(database=database, settings=settings) == 1
    assert busy_rows(database, shop["id"])[0][1] == "After expiry"
    refreshed = jobber_connection(database)
    assert token_box.access_token(settings, refreshed) in jobber.app.access_tokens
    assert token_box.access_token(settings, refreshed) != first_access
    assert token_box.refresh_token(settings, refreshed) in jobber.app.refresh_tokens  # the rotated one, kept


def test_a_jobber_outage_shows_on_the_calendar_page_and_recovers(
    shop: dict[str, Any], login_as: Callable[..., TestClient], jobber: RunningJobber, worker: OutboxWorker,
    database: Database, client: TestClient, receiver: WebhookReceiver,
) -> None:
    owner = connected(shop, login_as, jobber, worker, database)
    jobber.control.add_fault(r"^/api/graphql$", "status", method="POST", code=503, times=100)
    jobber.control.add_visit(calendar_of(shop), start=local(9, 30), end=local(10), title="During the outage")
    forward(client, receiver, 1)
    worker.drain()
    page = owner.get("/calendar").text
    assert 'data-testid="jobber-status" data-state="error"' in page and "Jobber is unavailable (HTTP 503)" in page
    jobber.control.clear_faults()
    drain_all(worker, database, rounds=20)
    assert (jobber_connection(database).status, jobber_connection(database).last_error) == ("connected", None)
    assert 'data-testid="jobber-status" data-state="connected"' in owner.get("/calendar").text
    assert busy_rows(database, shop["id"]) == [("jobber", "During the outage", local(9, 30), local(10))]


def test_a_push_that_fails_after_refreshing_the_token_keeps_the_new_tokens_and_books_once(
    shop: dict[str, Any], login_as: Callable[..., TestClient], jobber: RunningJobber, worker: OutboxWorker,
    database: Database, settings: Settings,
) -> None:
    owner = connected(shop, login_as, jobber, worker, database)
    expired = token_box.access_token(settings, jobber_connection(database))
    jobber.app.access_tokens[expired] = (calendar_of(shop), 0.0)
    # The first GraphQL call meets the expired token (401; the no-op delay rule only counts it), the refresh
    # rotates both tokens at Jobber, and the mutation after it meets an outage (503).
    jobber.control.add_fault(r"^/api/graphql$", "delay", method="POST", ms=0, times=1)
    jobber.control.add_fault(r"^/api/graphql$", "status", method="POST", code=503, times=1)
    csrf = {"X-CSRF-Token": csrf_of(owner)}
    held = owner.post("/api/v1/holds", json={"item_id": shop["items"]["Leak repair"],
                                             "starts_at": local(11).isoformat()}, headers=csrf).json()
    assert owner.post("/api/v1/bookings", json={"hold_id": held["id"], "customer_name": "Pat"},
                      headers=csrf).status_code == 201
    drain_all(worker, database, rounds=20)
    assert [e.get("status") for e in answered(jobber, "oauth/token") if "refresh_token" in e.get("body", "")] == [200]
    assert [v["title"] for v in jobber.control.visits(calendar_of(shop))] == ["Leak repair (NeverMissCall)"]
    assert token_box.refresh_token(settings, jobber_connection(database)) in jobber.app.refresh_tokens
