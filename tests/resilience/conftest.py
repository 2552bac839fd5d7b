"""Fixtures of the resilience tests: the app talking to the real Twilio and Stripe fakes (in-process HTTP
servers, faults injected through their control APIs), an outbox worker that retries quickly, signed webhooks.

Every module here sets ``pytestmark = pytest.mark.resilience``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.outbox.models import OutboxEvent
from app.outbox.worker import OutboxWorker
from app.providers.twilio_gateway import TwilioTelephony
from app.settings import Settings
from fakes.stripe import RunningStripe, running_stripe
from fakes.twilio import RunningTwilioFake, TwilioFakeConfig, running_twilio_fake
from tests.conftest import make_settings
from tests.resilience.processes import Processes, processes_in
from tests.security.signing import twilio_request

ACCOUNT_SID = "AC" + "9" * 32
AUTH_TOKEN = "resilience_twilio_auth_token_01234"
STRIPE_WEBHOOK_SECRET = "whsec_resilience_0123456789abcdef"
PRICE_ID = "price_nmc_monthly"
MESSAGES_CREATE = r"/Messages\.json$"


@pytest.fixture(scope="session")
def twilio_server() -> Iterator[RunningTwilioFake]:
    # auto_status off: texts stay "queued" at the fake, so no status callback races the assertions.
    config = TwilioFakeConfig(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, auto_status=False)
    with running_twilio_fake(config) as fake:
        yield fake


@pytest.fixture
def twilio_fake(twilio_server: RunningTwilioFake) -> Iterator[RunningTwilioFake]:
    """The Twilio fake, emptied before and after each test (messages, numbers, journal, fault rules)."""
    twilio_server.control.reset()
    yield twilio_server
    twilio_server.control.reset()


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[RunningStripe]:
    with running_stripe() as fake:
        yield fake


@pytest.fixture
def stripe_fake(stripe_server: RunningStripe) -> Iterator[RunningStripe]:
    stripe_server.control.reset()
    yield stripe_server
    stripe_server.control.reset()


@pytest.fixture
def settings(database_url: str, twilio_fake: RunningTwilioFake, stripe_fake: RunningStripe) -> Settings:
    """Providers are the fakes; the worker backs off in tens of milliseconds so retries fit in a test."""
    return make_settings(
        database_url,
        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN, twilio_api_base=twilio_fake.base_url,
        twilio_http_timeout_seconds=0.3,  # the SDK gives up quickly; the sender then waits 2x that
        stripe_api_key=stripe_fake.api_key, stripe_api_base=stripe_fake.base_url,
        stripe_webhook_secret=STRIPE_WEBHOOK_SECRET, stripe_price_id=PRICE_ID,
        outbox_backoff_base_seconds=0.05, outbox_backoff_cap_seconds=0.4,
    )


@pytest.fixture
def telephony(settings: Settings) -> TwilioTelephony:
    """The production gateway (official SDK) pointed at the fake, instead of tests/conftest's MemoryTelephony."""
    return TwilioTelephony(settings)


@pytest.fixture
def worker(app: FastAPI, database: Database, settings: Settings) -> OutboxWorker:
    return OutboxWorker(database, settings, app.state)


def settle_outbox(worker: OutboxWorker, database: Database, *, timeout: float = 20.0) -> None:
    """Runs the worker until no event is pending, waiting out its backoff delays (what the loop does)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        worker.drain()
        with database.session() as db:
            if db.scalar(select(OutboxEvent.id).where(OutboxEvent.status == "pending").limit(1)) is None:
                return
        time.sleep(0.02)
    raise AssertionError(f"the outbox still has pending events after {timeout}s")


def missed_call(client: TestClient, settings: Settings, *, caller: str, business: str) -> Any:
    """Twilio's signed voice status callback for a call nobody answered."""
    params = {"CallSid": f"CA{uuid.uuid4().hex}", "AccountSid": ACCOUNT_SID, "From": caller, "To": business,
              "CallStatus": "no-answer", "CallDuration": "0", "Direction": "inbound", "ApiVersion": "2010-04-01"}
    signed = twilio_request(settings, "/webhooks/twilio/voice-status", params, token=AUTH_TOKEN)
    return client.post("/webhooks/twilio/voice-status", content=signed.content, headers=signed.headers)


def message_creates(twilio: RunningTwilioFake) -> list[dict[str, Any]]:
    """Every POST .../Messages.json the fake received (answered or not), oldest first."""
    return [r for r in twilio.control.requests(direction="inbound")
            if r["method"] == "POST" and r["path"].endswith("/Messages.json")]


def wait_for(condition: Callable[[], Any], *, timeout: float = 20.0, what: str = "condition") -> Any:
    """Polls something another process or thread does; returns its first truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {value!r})")
        time.sleep(0.05)


@pytest.fixture
def processes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Processes]:
    """Real `python -m app` processes for one test; every one still running is killed at its end.

    Set up after the test's database, so they are killed before it is emptied: pytest tears fixtures down
    in reverse order, and a worker still polling while `database_url` TRUNCATEs its tables on PostgreSQL
    deadlocks with it (it did in CI).
    """
    if "database_url" in request.fixturenames:
        request.getfixturevalue("database_url")
    yield from processes_in(tmp_path)
