"""The hosted checkout page and the customer portal, driven in Chromium through Playwright.

The browser is launched from a module-scoped ``sync_playwright()`` with an explicit
executable: Playwright's own Chromium when it is installed, else the system one (as the flow suite picks).
A tiny local site stands in for the app: it serves the success/cancel/return pages and receives the
webhooks, which are checked with the official SDK.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from playwright.sync_api import Browser, Page, expect, sync_playwright

from e2e.plugins.browser import chromium_args, playwright_chromium, system_chromium
from fakes.stripe import DECLINE_CARD, RunningStripe, running_stripe

CHECKOUT_BURST = ["checkout.session.completed", "customer.subscription.created", "invoice.paid"]


@dataclass
class Delivery:
    body: str
    signature: str


class Site:
    """The app's stand-in: GET answers a small page, POST /webhooks/stripe records the webhook."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._arrived = threading.Condition()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = f"<!doctype html><title>App</title><h1>App page {self.path}</h1>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                with site._arrived:
                    site.deliveries.append(Delivery(body, self.headers.get("Stripe-Signature", "")))
                    site._arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def wait_for_deliveries(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.deliveries) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"expected {count} webhooks, got {len(self.deliveries)}"
                self._arrived.wait(remaining)
            return list(self.deliveries)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    # The suite's own choice and flags (e2e/plugins/browser.py): Playwright's Chromium when installed,
    # else the system's. A Playwright of this module's own, stopped with it: pytest-playwright's
    # session-scoped fixture would keep an asyncio loop running on this xdist worker's main thread
    # until the session ends, and a later test there that starts a loop or the sync API would fail
    # "inside the asyncio loop".
    executable = playwright_chromium() or system_chromium()
    if executable is None:
        pytest.skip("no Chromium found (neither Playwright's nor the system's)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=list(chromium_args()))
        yield browser
        browser.close()


@pytest.fixture
def checkout_page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    yield server
    server.close()


@pytest.fixture
def stripe_fake(site: Site) -> Iterator[RunningStripe]:
    with running_stripe(webhook_url=f"{site.base_url}/webhooks/stripe") as fake:
        yield fake


def create_session(stripe_fake: RunningStripe, site: Site) -> stripe.checkout.Session:
    return stripe_fake.sdk_client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": "price_nmc_monthly", "quantity": 1}],
            "success_url": f"{site.base_url}/billing/success?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{site.base_url}/billing?canceled=1",
            "client_reference_id": "tenant_42",
            "customer_email": "owner@plumbing.example.test",
        }
    )


def test_checkout_page_shows_plan_amount_and_a_labelled_card_field(
    checkout_page: Page, stripe_fake: RunningStripe, site: Site
) -> None:
    session = create_session(stripe_fake, site)
    assert session.url is not None
    checkout_page.goto(session.url)
    expect(checkout_page.get_by_role("heading", level=1)).to_have_text("Subscribe to NeverMissCall Pro")
    expect(checkout_page.get_by_text("$49.00")).to_be_visible()
    expect(checkout_page.get_by_text("per month")).to_be_visible()
    expect(checkout_page.get_by_label("Card number")).to_be_editable()
    expect(checkout_page.get_by_role("button", name="Pay", exact=True)).to_be_enabled()
    expect(checkout_page.get_by_role("button", name="Cancel", exact=True)).to_be_enabled()
    expect(checkout_page.get_by_role("alert")).to_have_count(0)


def test_paying_with_4242_redirects_to_success_and_delivers_the_events_in_order(
    checkout_page: Page, stripe_fake: RunningStripe, site: Site
) -> None:
    session = create_session(stripe_fake, site)
    assert session.url is not None
    checkout_page.goto(session.url)
    checkout_page.get_by_label("Card number").fill("4242 4242 4242 4242")
    checkout_page.get_by_role("button", name="Pay", exact=True).click()
    expect(checkout_page).to_have_url(f"{site.base_url}/billing/success?session_id={session.id}")
    secret = stripe_fake.webhook_secret
    assert secret is not None
    events = [stripe.Webhook.construct_event(d.body, d.signature, secret) for d in site.wait_for_deliveries(3)]
    assert [e.type for e in events] == CHECKOUT_BURST
    sub = stripe_fake.sdk_client().v1.subscriptions.retrieve(events[1].data.object["id"])
    assert sub.status == "active"
    assert stripe_fake.sdk_client().v1.checkout.sessions.retrieve(session.id).status == "complete"
    # Revisiting the page says it is done instead of charging again.
    checkout_page.goto(f"{stripe_fake.base_url}/checkout/{session.id}")
    expect(checkout_page.get_by_role("heading", level=1)).to_have_text("This checkout session is already complete")


def test_declined_card_shows_an_alert_and_changes_nothing(
    checkout_page: Page, stripe_fake: RunningStripe, site: Site
) -> None:
    session = create_session(stripe_fake, site)
    assert session.url is not None
    checkout_page.goto(session.url)
    checkout_page.get_by_label("Card number").fill("4000 0000 0000 0002")
    checkout_page.get_by_role("button", name="Pay", exact=True).click()
    expect(checkout_page.get_by_role("alert")).to_have_text("Your card was declined.")
    expect(checkout_page.get_by_label("Card number")).to_have_value("4000 0000 0000 0002")
    expect(checkout_page.get_by_role("heading", level=1)).to_have_text("Subscribe to NeverMissCall Pro")
    assert re.search(r"/checkout/cs_test_\w+", checkout_page.url)
    assert stripe_fake.sdk_client().v1.checkout.sessions.retrieve(session.id).status == "open"
    assert stripe_fake.control.subscriptions() == []
    assert stripe_fake.control.events() == []
    assert DECLINE_CARD == "4000000000000002"


@pytest.mark.parametrize(
    ("number", "message"),
    [("4242 4242", "Your card number is incomplete."), ("4242 4242 4242 4241", "Your card number is invalid.")],
)
def test_invalid_card_numbers_get_a_validation_message(
    checkout_page: Page, stripe_fake: RunningStripe, site: Site, number: str, message: str
) -> None:
    session = create_session(stripe_fake, site)
    assert session.url is not None
    checkout_page.goto(session.url)
    checkout_page.get_by_label("Card number").fill(number)
    checkout_page.get_by_role("button", name="Pay", exact=True).click()
    expect(checkout_page.get_by_role("alert")).to_have_text(message)
    expect(checkout_page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    assert stripe_fake.control.subscriptions() == []


def test_cancel_returns_to_cancel_url_and_leaves_the_session_open(
    checkout_page: Page, stripe_fake: RunningStripe, site: Site
) -> None:
    session = create_session(stripe_fake, site)
    assert session.url is not None
    checkout_page.goto(session.url)
    checkout_page.get_by_role("button", name="Cancel", exact=True).click()
    expect(checkout_page).to_have_url(f"{site.base_url}/billing?canceled=1")
    assert stripe_fake.sdk_client().v1.checkout.sessions.retrieve(session.id).status == "open"


def test_expired_and_unknown_sessions_say_so(checkout_page: Page, stripe_fake: RunningStripe, site: Site) -> None:
    session = create_session(stripe_fake, site)
    assert session.url is not None
    stripe_fake.sdk_client().v1.checkout.sessions.expire(session.id)
    checkout_page.goto(session.url)
    expect(checkout_page.get_by_role("heading", level=1)).to_have_text("This checkout session has expired")
    expect(checkout_page.get_by_label("Card number")).to_have_count(0)
    response = checkout_page.goto(f"{stripe_fake.base_url}/checkout/cs_test_unknown")
    assert response is not None and response.status == 404
    expect(checkout_page.get_by_role("heading", level=1)).to_have_text("Checkout session not found")


def test_portal_cancel_and_return(checkout_page: Page, stripe_fake: RunningStripe, site: Site) -> None:
    session = create_session(stripe_fake, site)
    done = stripe_fake.control.complete_checkout(session.id, wait=True)
    client = stripe_fake.sdk_client()
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": done["session"]["customer"], "return_url": f"{site.base_url}/billing"}
    )
    checkout_page.goto(portal.url)
    expect(checkout_page.get_by_role("heading", level=1)).to_have_text("Manage billing")
    expect(checkout_page.get_by_test_id("portal-subscription-status")).to_have_text("active")
    checkout_page.get_by_role("button", name="Cancel subscription").click()
    expect(checkout_page.get_by_role("status")).to_have_text("Your subscription has been canceled.")
    expect(checkout_page.get_by_test_id("portal-subscription-status")).to_have_text("canceled")
    expect(checkout_page.get_by_role("button", name="Cancel subscription")).to_have_count(0)
    assert client.v1.subscriptions.retrieve(done["session"]["subscription"]).status == "canceled"
    checkout_page.get_by_role("link", name="Return").click()
    expect(checkout_page).to_have_url(f"{site.base_url}/billing")
    types = [
        stripe.Webhook.construct_event(d.body, d.signature, str(stripe_fake.webhook_secret)).type
        for d in site.wait_for_deliveries(4)
    ]
    assert types == [*CHECKOUT_BURST, "customer.subscription.deleted"]
