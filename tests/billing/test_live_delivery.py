"""The whole wire path: the app served over HTTP with its worker, the Stripe fake posting real signed
webhooks to it (duplicated and reordered), and a browser-like client paying on the hosted page."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from app.billing.models import StripeWebhookEvent
from app.db import Database
from app.main import create_app
from fakes.stripe import RunningStripe, running_stripe
from tests.billing.conftest import PRICE_ID, WEBHOOK_SECRET, wait_until
from tests.conftest import OPERATOR_TOKEN, make_settings, tenant_spec


@dataclass
class LiveStack:
    base_url: str
    stripe: RunningStripe
    database: Database

    def owner_browser(self) -> tuple[httpx.Client, dict[str, Any]]:
        """A new tenant and an httpx client logged in as its owner, with the CSRF cookie."""
        operator = httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
        tenant = operator.post("/api/operator/tenants", json=tenant_spec()).json()
        owner_email = next(u["email"] for u in tenant["users"] if u["role"] == "OWNER")
        minted = operator.post(f"/api/operator/tenants/{tenant['id']}/sessions", json={"user": owner_email}).json()
        operator.close()
        browser = httpx.Client(base_url=self.base_url)
        browser.cookies.set(minted["cookie_name"], minted["cookie_value"])
        browser.get("/login")
        return browser, tenant

    def stored_events(self) -> int:
        with self.database.session() as db:
            return int(db.scalar(select(func.count()).select_from(StripeWebhookEvent)) or 0)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def live(database_url: str) -> Iterator[LiveStack]:
    sock = _free_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with running_stripe(webhook_url=f"{base_url}/webhooks/stripe", webhook_secret=WEBHOOK_SECRET) as fake:
        settings = make_settings(
            database_url, public_base_url=base_url, run_worker_in_process=True, outbox_poll_interval_seconds=0.05,
            stripe_api_key=fake.api_key, stripe_api_base=fake.base_url, stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_price_id=PRICE_ID,
        )
        database = Database(database_url)
        server = uvicorn.Server(uvicorn.Config(create_app(settings, database=database), log_config=None,
                                               access_log=False))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        wait_until(lambda: server.started, what="the app to start")
        try:
            yield LiveStack(base_url=base_url, stripe=fake, database=database)
        finally:
            server.should_exit = True
            thread.join(10)
            database.dispose()
            sock.close()


def _state(browser: httpx.Client) -> str:
    return str(browser.get("/api/v1/billing/status").json()["state"])


def test_pay_on_the_hosted_page_with_hostile_delivery_then_fail_recover_cancel(live: LiveStack) -> None:
    browser, tenant = live.owner_browser()
    control = live.stripe.control
    control.configure_webhooks(duplicate=3, reorder=True)

    to_checkout = browser.post("/billing/checkout", data={"csrf_token": browser.cookies["nmc_csrf"],
                                                          "attempt": "live-attempt-1"})
    assert to_checkout.status_code == 303
    checkout_url = to_checkout.headers["location"]
    assert checkout_url.startswith(f"{live.stripe.base_url}/checkout/cs_test_")
    [recorded] = control.checkout_sessions(client_reference_id=tenant["id"])
    assert recorded["session"]["url"] == checkout_url

    with httpx.Client() as customer:  # the owner's browser on Stripe's page
        assert "Card number" in customer.get(checkout_url).text
        declined = customer.post(f"{checkout_url}/pay", data={"card_number": "4000 0000 0000 0002"})
        assert declined.status_code == 402 and "Your card was declined." in declined.text
        paid = customer.post(f"{checkout_url}/pay", data={"card_number": "4242 4242 4242 4242"})
    assert paid.status_code == 303
    session_id = checkout_url.rsplit("/", 1)[1]
    assert paid.headers["location"] == f"{live.base_url}/billing/success?session_id={session_id}"

    success = browser.get(paid.headers["location"])  # however early: never an error
    assert success.status_code == 200 and 'data-testid="checkout-result"' in success.text
    wait_until(lambda: _state(browser) == "active", what="the plan to become active")

    [subscription] = control.subscriptions()
    control.payment_failed(subscription["id"], wait=True)
    wait_until(lambda: _state(browser) == "past_due", what="past due")
    control.payment_succeeded(subscription["id"], wait=True)
    wait_until(lambda: _state(browser) == "active", what="active again")
    control.cancel(subscription["id"], wait=True)
    wait_until(lambda: _state(browser) == "canceled", what="canceled")

    # Every event was posted three times and each answer was a 2xx; each is stored once.
    deliveries = control.deliveries()
    emitted = control.events()
    assert len(deliveries) == 3 * len(emitted)
    assert {d["status"] for d in deliveries} == {200}
    assert {d["copy"] for d in deliveries} == {0, 1, 2}
    assert live.stored_events() == len(emitted)

    page = browser.get("/inbox").text
    assert re.search(r'data-testid="billing-banner" data-state="canceled"', page)
    # A redelivery of the first event, long after, changes nothing.
    control.redeliver(emitted[0]["id"])
    assert _state(browser) == "canceled"
    assert live.stored_events() == len(emitted)
    browser.close()
