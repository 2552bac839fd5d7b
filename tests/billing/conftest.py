"""Billing test fixtures: the real Stripe fake (in-process), settings pointed at it, signed deliveries.

Tests drive Stripe through the fake (checkout sessions created by the app through the SDK, payments
and failures through the fake's control API) and deliver the resulting events to the app themselves,
signed exactly as Stripe signs them, in whatever order and as often as a test needs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import stripe
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.billing.models import BillSubscription, StripeWebhookEvent
from app.db import Database
from app.outbox.models import OutboxEvent
from app.outbox.worker import OutboxWorker
from app.settings import Settings
from app.tenancy.models import Tenant
from fakes.stripe import RunningStripe, running_stripe
from tests.conftest import csrf_of, make_settings

WEBHOOK_SECRET = "whsec_billing_tests_0123456789abcdef"
PRICE_ID = "price_nmc_monthly"


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[RunningStripe]:
    with running_stripe() as fake:
        yield fake


@pytest.fixture
def stripe_fake(stripe_server: RunningStripe) -> Iterator[RunningStripe]:
    """The Stripe fake, emptied before each test (objects, events, journal, faults)."""
    stripe_server.control.reset()
    yield stripe_server
    stripe_server.control.reset()


@pytest.fixture
def settings(database_url: str, stripe_fake: RunningStripe) -> Settings:
    """The shared settings, plus Stripe pointed at the fake (overrides tests/conftest.py's fixture)."""
    return make_settings(
        database_url,
        stripe_api_key=stripe_fake.api_key,
        stripe_api_base=stripe_fake.base_url,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_price_id=PRICE_ID,
    )


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header computed the way Stripe (and the SDK's own test helper) does."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


@dataclass
class Billing:
    """Helpers bound to one test's app, database and fake."""

    app: FastAPI
    client: TestClient
    database: Database
    settings: Settings
    stripe: RunningStripe

    def deliver(self, event: dict[str, Any], **signing: Any) -> Any:
        """POSTs the event to the webhook, signed (pass secret=/timestamp= to sign it wrongly)."""
        payload = json.dumps(event, indent=2)
        return self.client.post("/webhooks/stripe", content=payload,
                                headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload, **signing)})

    def drain(self) -> int:
        """Runs the outbox worker until nothing is due (mirrors the delivered events)."""
        return OutboxWorker(self.database, self.settings, self.app.state).drain()

    def deliver_all(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            response = self.deliver(event)
            assert response.status_code == 200, response.text
        self.drain()

    def checkout(self, owner: TestClient) -> dict[str, Any]:
        """Subscribe through the API as the owner; returns {session_id, url}."""
        response = owner.post("/api/v1/billing/checkout", headers={"X-CSRF-Token": csrf_of(owner)})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def pay(self, owner: TestClient) -> tuple[str, list[dict[str, Any]]]:
        """Checkout + pay at the fake (no webhooks delivered yet); returns (subscription id, its events)."""
        session = self.checkout(owner)
        paid = self.stripe.control.complete_checkout(session["session_id"])
        return paid["session"]["subscription"], paid["events"]

    def subscribe(self, owner: TestClient) -> str:
        """Checkout, pay and deliver the resulting events in order; returns the subscription id."""
        subscription_id, events = self.pay(owner)
        self.deliver_all(events)
        return subscription_id

    # -- reading the database --------------------------------------------------------------------
    def tenant_state(self, tenant_id: str) -> str:
        with self.database.session() as db:
            tenant = db.get(Tenant, tenant_id)
            assert tenant is not None
            return tenant.billing_state

    def count(self, model: Any, **where: Any) -> int:
        with self.database.session() as db:
            query = select(func.count()).select_from(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return int(db.scalar(query) or 0)

    def state_changes(self, tenant_id: str) -> list[dict[str, Any]]:
        with self.database.session() as db:
            rows = db.scalars(select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id,
                                                        OutboxEvent.event_type == "BillingStateChanged")
                              .order_by(OutboxEvent.seq))
            return [dict(row.payload) for row in rows]

    def subscription_row(self, subscription_id: str) -> BillSubscription | None:
        with self.database.session() as db:
            return db.scalar(select(BillSubscription)
                             .where(BillSubscription.stripe_subscription_id == subscription_id))

    def stored_events(self) -> int:
        return self.count(StripeWebhookEvent)


@pytest.fixture
def billing(app: FastAPI, client: TestClient, database: Database, settings: Settings,
            stripe_fake: RunningStripe) -> Billing:
    return Billing(app=app, client=client, database=database, settings=settings, stripe=stripe_fake)


def wait_until(condition: Callable[[], bool], *, timeout: float = 10.0, what: str = "condition") -> None:
    """Polls for something another thread does (the fake's webhook sender, a served app's worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
