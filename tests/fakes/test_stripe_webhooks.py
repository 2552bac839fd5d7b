"""Webhooks of the Stripe fake (signed exactly like Stripe), its control API, faults and hostile delivery.

Deliveries are received by the ``receiver`` fixture (tests/fakes/conftest.py), a local HTTP server
standing in for the app, and checked with the official SDK's ``stripe.Webhook.construct_event``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from fakes.stripe import DEFAULT_API_KEY, FakeControlError, RunningStripe, running_stripe

REPO_ROOT = Path(__file__).resolve().parents[2]
HOOK_PATH = "/webhooks/stripe"


@pytest.fixture
def stripe_fake() -> Iterator[RunningStripe]:
    with running_stripe() as fake:
        yield fake


@pytest.fixture
def sdk(stripe_fake: RunningStripe) -> stripe.StripeClient:
    # No retries: a fault test must see the injected failure itself.
    return stripe.StripeClient(DEFAULT_API_KEY, base_addresses={"api": stripe_fake.base_url}, max_network_retries=0)


@pytest.fixture
def endpoint_secret(sdk: stripe.StripeClient, receiver: Any) -> str:
    """Register the receiver the way an operator does in Stripe's dashboard: through the API."""
    endpoint = sdk.v1.webhook_endpoints.create(params={"url": receiver.url(HOOK_PATH), "enabled_events": ["*"]})
    assert endpoint.secret is not None
    return endpoint.secret


def verified(hit: Any, secret: str) -> stripe.Event:
    """The SDK's own check; also proves another secret is refused."""
    payload = hit.body.decode()
    header = hit.headers["Stripe-Signature"]
    event = stripe.Webhook.construct_event(payload, header, secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_someone_else")
    return event


def checkout(sdk: stripe.StripeClient, **extra: Any) -> stripe.checkout.Session:
    return sdk.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": "price_nmc_monthly", "quantity": 1}],
            "success_url": "https://app.example.test/billing/success?session_id={CHECKOUT_SESSION_ID}",
            "client_reference_id": "tenant_42",
            **extra,
        }  # type: ignore[arg-type]
    )


def active_subscription(stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any) -> str:
    """A paid checkout whose three webhooks already arrived (so later bursts are counted alone)."""
    session = checkout(sdk)
    done = stripe_fake.control.complete_checkout(session.id, wait=True)
    receiver.wait_for(3)
    receiver.received.clear()
    return str(done["session"]["subscription"])


CHECKOUT_BURST = ["checkout.session.completed", "customer.subscription.created", "invoice.paid"]


# -- signatures and the checkout burst ---------------------------------------------------------------
def test_checkout_completion_delivers_three_signed_events_in_order(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any, endpoint_secret: str
) -> None:
    session = checkout(sdk)
    # wait: the journal records a post once the app answered, just after the app saw it
    stripe_fake.control.complete_checkout(session.id, wait=True)
    hits = receiver.wait_for(3)
    events = [verified(hit, endpoint_secret) for hit in hits]
    assert [e.type for e in events] == CHECKOUT_BURST
    completed, created, paid = events
    assert completed.data.object["id"] == session.id
    assert completed.data.object["client_reference_id"] == "tenant_42"
    assert completed.data.object["subscription"] == created.data.object["id"]
    assert created.data.object["status"] == "active"
    assert paid.data.object["parent"]["subscription_details"]["subscription"] == created.data.object["id"]
    for event, hit in zip(events, hits, strict=True):
        assert event.id.startswith("evt_")
        assert event.object == "event"
        assert event.livemode is False
        assert event.api_version
        assert isinstance(event.created, int)
        assert event.pending_webhooks == 1
        assert "request" in event
        assert hit.headers["Content-Type"].startswith("application/json")
        assert hit.headers["Stripe-Signature"].startswith("t=")
    journal = stripe_fake.control.deliveries()
    assert [d["kind"] for d in journal] == CHECKOUT_BURST
    assert all(d["status"] == 200 for d in journal)


def test_only_endpoints_listening_for_a_type_receive_it(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any
) -> None:
    sdk.v1.webhook_endpoints.create(params={"url": receiver.url("/only-invoices"), "enabled_events": ["invoice.paid"]})
    everything = sdk.v1.webhook_endpoints.create(params={"url": receiver.url("/all"), "enabled_events": ["*"]})
    stripe_fake.control.complete_checkout(checkout(sdk).id, wait=True)
    assert [h.path for h in receiver.received if h.path == "/only-invoices"] == ["/only-invoices"]
    assert len([h for h in receiver.received if h.path == "/all"]) == 3
    assert everything.secret is not None
    (paid,) = [verified(h, everything.secret) for h in receiver.received if h.path == "/all"][2:]
    assert paid.type == "invoice.paid"
    assert paid.pending_webhooks == 2


def test_pending_webhooks_counts_down_only_for_successful_deliveries(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any, endpoint_secret: str
) -> None:
    receiver.status = 500
    stripe_fake.control.complete_checkout(checkout(sdk).id, wait=True)
    assert {e.pending_webhooks for e in sdk.v1.events.list().data} == {1}
    receiver.status = 200
    paid = stripe_fake.control.events(type="invoice.paid")[0]
    stripe_fake.control.redeliver(paid["id"])
    assert sdk.v1.events.retrieve(paid["id"]).pending_webhooks == 0


# -- subscription lifecycle controls -----------------------------------------------------------------
def test_payment_failed_then_succeeded_moves_past_due_and_back(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any, endpoint_secret: str
) -> None:
    sub_id = active_subscription(stripe_fake, sdk, receiver)
    failed = stripe_fake.control.payment_failed(sub_id)
    assert failed["subscription"]["status"] == "past_due"
    hits = receiver.wait_for(2)
    invoice_failed, updated = (verified(h, endpoint_secret) for h in hits)
    assert (invoice_failed.type, updated.type) == ("invoice.payment_failed", "customer.subscription.updated")
    assert invoice_failed.data.object["status"] == "open"
    assert invoice_failed.data.object["attempt_count"] == 1
    assert updated.data.object["status"] == "past_due"
    assert updated.data["previous_attributes"]["status"] == "active"
    assert sdk.v1.subscriptions.retrieve(sub_id).status == "past_due"

    receiver.received.clear()
    stripe_fake.control.payment_succeeded(sub_id)
    paid, back = (verified(h, endpoint_secret) for h in receiver.wait_for(2))
    assert (paid.type, back.type) == ("invoice.paid", "customer.subscription.updated")
    assert paid.data.object["id"] == invoice_failed.data.object["id"]  # the same invoice, now paid
    assert back.data.object["status"] == "active"
    assert back.data["previous_attributes"]["status"] == "past_due"
    assert sdk.v1.subscriptions.retrieve(sub_id).latest_invoice == paid.data.object["id"]


def test_payment_succeeded_on_an_active_subscription_is_a_renewal(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any, endpoint_secret: str
) -> None:
    sub_id = active_subscription(stripe_fake, sdk, receiver)
    before = sdk.v1.subscriptions.retrieve(sub_id)
    stripe_fake.control.payment_succeeded(sub_id, wait=True)
    after = sdk.v1.subscriptions.retrieve(sub_id)
    assert after["items"]["data"][0]["current_period_start"] == before["items"]["data"][0]["current_period_end"]
    assert after.latest_invoice != before.latest_invoice
    assert after.status == "active"


def test_stripes_own_moves_trial_unpaid_and_paused(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any, endpoint_secret: str
) -> None:
    sub_id = active_subscription(stripe_fake, sdk, receiver)
    receiver.received.clear()
    trial = stripe_fake.control.move_subscription(sub_id, "trialing", wait=True)["subscription"]
    assert trial["status"] == "trialing" and trial["trial_end"] - trial["trial_start"] == 14 * 86400
    (updated,) = (verified(h, endpoint_secret) for h in receiver.wait_for(1))
    assert updated.type == "customer.subscription.updated" and updated.data.object["status"] == "trialing"
    assert updated.data["previous_attributes"].to_dict() == {"status": "active", "trial_start": None, "trial_end": None}
    stripe_fake.control.move_subscription(sub_id, "paused", wait=True)
    assert sdk.v1.subscriptions.retrieve(sub_id).status == "paused"
    # Only from where Stripe goes there: unpaid after past_due, paused after a trial; nothing after a cancel.
    for status in ("unpaid", "paused", "active", "canceled"):
        with pytest.raises(FakeControlError) as refused:
            stripe_fake.control.move_subscription(sub_id, status)
        assert refused.value.status == 409, status
    other = active_subscription(stripe_fake, sdk, receiver)
    stripe_fake.control.payment_failed(other)
    assert stripe_fake.control.move_subscription(other, "unpaid")["subscription"]["status"] == "unpaid"
    assert stripe_fake.control.payment_succeeded(other)["subscription"]["status"] == "active"  # the invoice paid


def test_cancel_control_deletes_the_subscription(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any, endpoint_secret: str
) -> None:
    sub_id = active_subscription(stripe_fake, sdk, receiver)
    answer = stripe_fake.control.cancel(sub_id, wait=True)
    assert [e["type"] for e in answer["events"]] == ["customer.subscription.deleted"]
    assert [d["status_code"] for d in answer["deliveries"]] == [200]
    (deleted,) = (verified(h, endpoint_secret) for h in receiver.wait_for(1))
    assert deleted.data.object["status"] == "canceled"
    with pytest.raises(FakeControlError) as again:
        stripe_fake.control.cancel(sub_id)
    assert again.value.status == 409
    with pytest.raises(FakeControlError) as failing_canceled:
        stripe_fake.control.payment_failed(sub_id)
    assert failing_canceled.value.status == 409


def test_portal_cancel_button_cancels_and_emits_deleted(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any, endpoint_secret: str
) -> None:
    sub_id = active_subscription(stripe_fake, sdk, receiver)
    customer = str(sdk.v1.subscriptions.retrieve(sub_id).customer)
    portal = sdk.v1.billing_portal.sessions.create(params={"customer": customer, "return_url": "https://a.test/b"})
    response = httpx.post(f"{stripe_fake.base_url}/portal/{portal.id}/subscriptions/{sub_id}/cancel")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/portal/{portal.id}?canceled={sub_id}"
    (deleted,) = (verified(h, endpoint_secret) for h in receiver.wait_for(1))
    assert deleted.type == "customer.subscription.deleted"
    assert sdk.v1.subscriptions.retrieve(sub_id).status == "canceled"


# -- hostile delivery ---------------------------------------------------------------------------------
def test_duplicate_posts_each_event_n_times_byte_identical(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any, endpoint_secret: str
) -> None:
    stripe_fake.control.configure_webhooks(duplicate=2)
    stripe_fake.control.complete_checkout(checkout(sdk).id, wait=True)
    hits = receiver.wait_for(6)
    types = [verified(h, endpoint_secret).type for h in hits]
    assert types == [t for t in CHECKOUT_BURST for _ in range(2)]
    for first, copy in zip(hits[::2], hits[1::2], strict=True):
        assert (first.body, first.headers["Stripe-Signature"]) == (copy.body, copy.headers["Stripe-Signature"])


def test_reorder_reverses_the_burst(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any, endpoint_secret: str
) -> None:
    stripe_fake.control.configure_webhooks(reorder=True)
    stripe_fake.control.complete_checkout(checkout(sdk).id, wait=True)
    assert [verified(h, endpoint_secret).type for h in receiver.wait_for(3)] == list(reversed(CHECKOUT_BURST))


def test_delay_holds_each_delivery_back(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any, endpoint_secret: str
) -> None:
    sub_id = active_subscription(stripe_fake, sdk, receiver)
    stripe_fake.control.configure_webhooks(delay_ms=300)
    started = time.monotonic()
    stripe_fake.control.cancel(sub_id)
    receiver.wait_for(1)
    assert time.monotonic() - started >= 0.3


def test_redeliver_resends_the_event_freshly_signed(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient, receiver: Any, endpoint_secret: str
) -> None:
    stripe_fake.control.complete_checkout(checkout(sdk).id, wait=True)
    receiver.wait_for(3)
    created = stripe_fake.control.events(type="customer.subscription.created")[0]
    (delivery,) = stripe_fake.control.redeliver(created["id"])["deliveries"]
    assert (delivery["event_id"], delivery["status_code"]) == (created["id"], 200)
    again = receiver.wait_for(4)[3]
    assert verified(again, endpoint_secret).id == created["id"]
    original = receiver.received[1]
    assert json.loads(again.body)["data"] == json.loads(original.body)["data"]
    signed_at = [int(h.headers["Stripe-Signature"].split(",")[0].removeprefix("t=")) for h in (original, again)]
    assert signed_at[1] >= signed_at[0]
    first_delivery = stripe_fake.control.deliveries(event_type="invoice.paid")[0]["delivery_id"]
    exact = stripe_fake.control.redeliver(first_delivery)  # core's byte-identical re-post
    assert exact["status_code"] == 200
    assert receiver.wait_for(5)[4].body == receiver.received[2].body
    with pytest.raises(FakeControlError) as unknown:
        stripe_fake.control.redeliver("evt_nope")
    assert unknown.value.status == 404


# -- faults, journal, reset --------------------------------------------------------------------------
def test_status_fault_fails_the_next_request_then_clears(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    stripe_fake.control.add_fault(r"^/v1/customers$", "status", method="POST", code=500, times=1)
    with pytest.raises(stripe.APIError) as caught:
        sdk.v1.customers.create(params={"email": "a@b.co"})
    assert caught.value.http_status == 500
    assert sdk.v1.customers.list().data == []  # the fault fired before the fake did anything
    assert sdk.v1.customers.create(params={"email": "a@b.co"}).email == "a@b.co"
    card = stripe_fake.control.add_fault(
        r"/v1/checkout/sessions",
        "status",
        code=402,
        body={"error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined.", "param": None}},
    )
    assert card["remaining"] == 1
    with pytest.raises(stripe.CardError):
        checkout(sdk)
    faulted = [r for r in stripe_fake.control.requests(direction="inbound") if r["fault"]]
    assert [(r["path"], r["status"]) for r in faulted] == [("/v1/customers", 500), ("/v1/checkout/sessions", 402)]


def test_delay_and_reset_faults_reach_the_sdk(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    stripe_fake.control.add_fault(r"^/v1/prices", "delay", ms=300)
    started = time.monotonic()
    assert sdk.v1.prices.retrieve("price_nmc_monthly").id == "price_nmc_monthly"
    assert time.monotonic() - started >= 0.3
    stripe_fake.control.add_fault(r"^/v1/prices", "reset")
    with pytest.raises(stripe.APIConnectionError):
        sdk.v1.prices.retrieve("price_nmc_monthly")


def test_journal_finds_the_checkout_request_by_content(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    checkout(sdk, metadata={"tenant_id": "tenant_journal_9"})
    (entry,) = stripe_fake.control.requests(contains="tenant_journal_9")
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/v1/checkout/sessions", 200)
    assert entry["form"]["client_reference_id"] == "tenant_42"
    assert entry["headers"]["Authorization"] == f"Bearer {DEFAULT_API_KEY}"
    assert entry["headers"]["Stripe-Version"]
    assert entry["headers"]["Idempotency-Key"]  # the SDK sends one on every POST


def test_reset_forgets_everything_but_start_up_endpoints(receiver: Any) -> None:
    with running_stripe(webhook_url=receiver.url(HOOK_PATH), webhook_secret="whsec_fixed_for_the_app") as fake:
        sdk = fake.sdk_client()
        sdk.v1.webhook_endpoints.create(params={"url": receiver.url("/temporary"), "enabled_events": ["*"]})
        customer = sdk.v1.customers.create()
        fake.control.complete_checkout(checkout(sdk).id, wait=True)
        fake.control.configure_webhooks(duplicate=3)
        fake.control.add_fault("^/v1/nothing", "status")
        assert fake.webhook_secret == "whsec_fixed_for_the_app"
        fake.control.reset()
        assert fake.control.events() == []
        assert fake.control.requests() == []
        assert fake.control.checkout_sessions() == []
        assert fake.control.subscriptions() == []
        with pytest.raises(stripe.InvalidRequestError):
            sdk.v1.customers.retrieve(customer.id)
        assert fake.control.configure_webhooks() == {"duplicate": 1, "delay_ms": 0, "reorder": False}
        assert fake.app.faults.list() == []
        (kept,) = fake.control.webhook_endpoints()
        assert (kept["url"], kept["secret"]) == (receiver.url(HOOK_PATH), "whsec_fixed_for_the_app")
        receiver.received.clear()
        fake.control.complete_checkout(checkout(sdk).id, wait=True)
        assert [verified(h, "whsec_fixed_for_the_app").type for h in receiver.wait_for(3)] == CHECKOUT_BURST


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/_fake/webhooks/config", {"duplicate": "twice"}, 422),
        ("POST", "/_fake/webhooks/config", {"shuffle": True}, 422),
        ("POST", "/_fake/faults", {"path": "/v1", "action": "explode"}, 422),
        ("POST", "/_fake/faults", {"path": "(", "action": "status"}, 422),
        ("POST", "/_fake/webhooks/redeliver", {}, 422),
        ("POST", "/_fake/webhooks/redeliver", {"event_id": 5}, 422),
        ("POST", "/_fake/subscriptions/sub_nope/payment_failed", {}, 404),
        ("POST", "/_fake/subscriptions/sub_nope/cancel", {"wait": "yes"}, 422),
        ("POST", "/_fake/checkout_sessions/cs_test_nope/complete", {}, 404),
        ("GET", "/_fake/nothing-here", None, 404),
    ],
)
def test_bad_control_input_gets_a_clear_4xx(
    stripe_fake: RunningStripe, method: str, path: str, body: Any, status: int
) -> None:
    response = httpx.request(method, stripe_fake.base_url + path, json=body)
    assert response.status_code == status
    assert response.json()["detail"]


def test_malformed_control_json_is_a_400(stripe_fake: RunningStripe) -> None:
    response = httpx.post(
        f"{stripe_fake.base_url}/_fake/webhooks/config", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_declined_card_on_the_control_checkout_changes_nothing(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    session = checkout(sdk)
    with pytest.raises(FakeControlError) as declined:
        stripe_fake.control.complete_checkout(session.id, card_number="4000 0000 0000 0002")
    assert (declined.value.status, declined.value.payload["detail"]) == (402, "Your card was declined.")
    assert sdk.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert stripe_fake.control.subscriptions() == []
    assert stripe_fake.control.events() == []


# -- command line -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "fakes", "stripe"],
        [sys.executable, "-c", "import sys; from fakes.stripe import main; sys.exit(main(sys.argv[1:]))"],
    ],
    ids=["python -m fakes stripe", "fakes.stripe.main"],
)
def test_command_line_prints_one_listening_line_and_serves(command: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", "0", "--api-key", "sk_test_cli_key"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), line
        base_url = line.removeprefix("listening on ")
        client = stripe.StripeClient("sk_test_cli_key", base_addresses={"api": base_url})
        assert client.v1.prices.retrieve("price_nmc_monthly").unit_amount == 4900
        assert httpx.get(f"{base_url}/_fake/health").json()["fake"] == "stripe"
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.stdout.read() == ""  # exactly one line


def test_command_line_refuses_a_live_key_and_a_bad_catalog() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    base = [sys.executable, "-c", "import sys; from fakes.stripe import main; sys.exit(main(sys.argv[1:]))"]
    live = subprocess.run([*base, "--api-key", "sk_live_x"], capture_output=True, text=True, env=env, timeout=30)
    assert live.returncode == 2
    assert "sk_test_" in live.stderr
    catalog = subprocess.run([*base, "--prices", "[]"], capture_output=True, text=True, env=env, timeout=30)
    assert catalog.returncode == 2
    assert "non-empty" in catalog.stderr
