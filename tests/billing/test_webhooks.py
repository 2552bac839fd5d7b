"""POST /webhooks/stripe: signatures, idempotency by event id, out-of-order convergence, every transition.

Events come from the real Stripe fake (it built and emitted them while the test drove checkout,
payment failures and cancellation); the test delivers them itself, signed the way Stripe signs.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.billing.models import BillSubscription, StripeWebhookEvent
from app.outbox.models import OutboxEvent
from app.tenancy import service as tenancy_service
from tests.billing.conftest import Billing, sign

MakeTenant = Callable[..., dict[str, Any]]
LoginAs = Callable[[dict[str, Any], str], TestClient]


@pytest.fixture
def owner_and_tenant(make_tenant: MakeTenant, login_as: LoginAs) -> tuple[TestClient, dict[str, Any]]:
    tenant = make_tenant()
    return login_as(tenant, "OWNER"), tenant


# --- signatures ---------------------------------------------------------------------------------------
def _a_real_event(billing: Billing, owner: TestClient) -> dict[str, Any]:
    _, events = billing.pay(owner)
    return events[0]


@pytest.mark.parametrize(
    "signature",
    ["missing", "tampered", "wrong_secret", "stale", "garbage", "no_v1"],
)
def test_bad_signatures_are_400_and_store_nothing(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]], signature: str
) -> None:
    owner, tenant = owner_and_tenant
    event = _a_real_event(billing, owner)
    payload = json.dumps(event)
    headers = {"Content-Type": "application/json"}
    body = payload
    if signature == "tampered":
        headers["Stripe-Signature"] = sign(payload)
        body = payload.replace(tenant["id"], "f" * 32)
    elif signature == "wrong_secret":
        headers["Stripe-Signature"] = sign(payload, secret="whsec_someone_else")
    elif signature == "stale":  # older than the SDK's 300 s tolerance: a replayed capture
        headers["Stripe-Signature"] = sign(payload, timestamp=int(time.time()) - 301)
    elif signature == "garbage":
        headers["Stripe-Signature"] = "not a signature"
    elif signature == "no_v1":
        headers["Stripe-Signature"] = sign(payload).replace("v1=", "v0=")

    response = billing.client.post("/webhooks/stripe", content=body, headers=headers)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert billing.stored_events() == 0
    assert billing.count(OutboxEvent, event_type="StripeEventReceived") == 0
    assert billing.drain() == 0
    assert billing.tenant_state(tenant["id"]) == "none"


def test_signed_body_that_is_not_json_is_400(billing: Billing) -> None:
    body = "this is not json"
    response = billing.client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_payload"
    assert billing.stored_events() == 0


def test_webhook_refuses_everything_without_a_configured_secret(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]]
) -> None:
    owner, _ = owner_and_tenant
    event = _a_real_event(billing, owner)
    billing.settings.stripe_webhook_secret = ""
    assert billing.deliver(event).status_code == 400
    assert billing.stored_events() == 0


# --- idempotency --------------------------------------------------------------------------------------
def test_same_event_five_times_is_one_row_and_one_state_change(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]]
) -> None:
    owner, tenant = owner_and_tenant
    subscription_id, events = billing.pay(owner)
    completed = next(e for e in events if e["type"] == "checkout.session.completed")

    answers = [billing.deliver(completed) for _ in range(5)]
    billing.drain()
    answers.append(billing.deliver(completed))  # and once more after processing
    billing.drain()

    assert [a.status_code for a in answers] == [200] * 6
    assert [a.json()["duplicate"] for a in answers] == [False, True, True, True, True, True]
    assert billing.count(StripeWebhookEvent, id=completed["id"]) == 1
    assert billing.count(OutboxEvent, event_type="StripeEventReceived") == 1
    assert billing.count(BillSubscription, stripe_subscription_id=subscription_id) == 1
    changes = billing.state_changes(tenant["id"])
    assert [(c["previous"], c["state"]) for c in changes] == [("none", "active")]
    assert changes[0]["stripe_subscription_id"] == subscription_id
    assert changes[0]["stripe_event_id"] == completed["id"]


def test_the_whole_lifecycle_delivered_twice_changes_nothing_the_second_time(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]]
) -> None:
    owner, tenant = owner_and_tenant
    subscription_id, events = billing.pay(owner)
    events += billing.stripe.control.payment_failed(subscription_id)["events"]
    billing.deliver_all(events)
    changes = billing.state_changes(tenant["id"])
    stored = billing.stored_events()

    billing.deliver_all(events)

    assert billing.state_changes(tenant["id"]) == changes
    assert billing.stored_events() == stored
    assert billing.tenant_state(tenant["id"]) == "past_due"


# --- transitions --------------------------------------------------------------------------------------
def test_every_state_transition(billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]]) -> None:
    owner, tenant = owner_and_tenant
    control = billing.stripe.control
    assert billing.tenant_state(tenant["id"]) == "none"

    subscription_id = billing.subscribe(owner)
    assert billing.tenant_state(tenant["id"]) == "active"
    row = billing.subscription_row(subscription_id)
    assert row is not None and row.tenant_id == tenant["id"] and row.status == "active"
    assert row.stripe_customer_id and row.stripe_customer_id.startswith("cus_")
    assert row.current_period_end is not None and row.price_id == "price_nmc_monthly"

    billing.deliver_all(control.payment_failed(subscription_id)["events"])
    assert billing.tenant_state(tenant["id"]) == "past_due"

    billing.deliver_all(control.payment_succeeded(subscription_id)["events"])
    assert billing.tenant_state(tenant["id"]) == "active"

    billing.deliver_all(control.cancel(subscription_id)["events"])
    assert billing.tenant_state(tenant["id"]) == "canceled"
    assert billing.subscription_row(subscription_id).status == "canceled"  # type: ignore[union-attr]

    assert [(c["previous"], c["state"]) for c in billing.state_changes(tenant["id"])] == [
        ("none", "active"), ("active", "past_due"), ("past_due", "active"), ("active", "canceled"),
    ]


def test_resubscribing_after_cancel_is_active_again(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]]
) -> None:
    owner, tenant = owner_and_tenant
    first = billing.subscribe(owner)
    billing.deliver_all(billing.stripe.control.cancel(first)["events"])

    second = billing.subscribe(owner)

    assert second != first
    assert billing.tenant_state(tenant["id"]) == "active"
    assert billing.count(BillSubscription, tenant_id=tenant["id"]) == 2


# --- out of order -------------------------------------------------------------------------------------
def test_past_due_update_delivered_before_created_converges_on_past_due(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]]
) -> None:
    owner, tenant = owner_and_tenant
    subscription_id, paid = billing.pay(owner)
    failed = billing.stripe.control.payment_failed(subscription_id)["events"]

    # Newest first: subscription.updated(past_due), invoice.payment_failed, invoice.paid,
    # subscription.created(active), checkout.session.completed.
    billing.deliver_all(list(reversed(paid + failed)))

    assert billing.tenant_state(tenant["id"]) == "past_due"
    assert billing.subscription_row(subscription_id).status == "past_due"  # type: ignore[union-attr]


def test_deleted_delivered_before_updated_stays_canceled(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]]
) -> None:
    owner, tenant = owner_and_tenant
    subscription_id = billing.subscribe(owner)
    control = billing.stripe.control
    failed = control.payment_failed(subscription_id)["events"]
    recovered = control.payment_succeeded(subscription_id)["events"]
    deleted = control.cancel(subscription_id)["events"]

    billing.deliver_all(deleted + recovered + failed)

    assert billing.tenant_state(tenant["id"]) == "canceled"


def test_stale_past_due_after_recovery_does_not_undo_it(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]]
) -> None:
    owner, tenant = owner_and_tenant
    subscription_id = billing.subscribe(owner)
    control = billing.stripe.control
    failed = control.payment_failed(subscription_id)["events"]  # same second as the recovery, typically
    recovered = control.payment_succeeded(subscription_id)["events"]

    billing.deliver_all(recovered)
    billing.deliver_all(failed)

    assert billing.tenant_state(tenant["id"]) == "active"


def test_subscription_event_before_checkout_completed_is_caught_up_by_it(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]]
) -> None:
    """Without tenant metadata the subscription event names no tenant: ignored (not stored); the session
    event, which names the tenant, retrieves the subscription and catches up."""
    owner, tenant = owner_and_tenant
    subscription_id, events = billing.pay(owner)
    by_type = {e["type"]: e for e in events}
    created = by_type["customer.subscription.created"]
    created["data"]["object"]["metadata"] = {}  # as if subscription_data.metadata had not been set

    answer = billing.deliver(created)
    assert answer.status_code == 200 and answer.json()["ignored"] is True
    billing.drain()
    assert billing.tenant_state(tenant["id"]) == "none"
    assert billing.stored_events() == 0  # no row without a tenant

    billing.deliver_all([by_type["checkout.session.completed"]])

    assert billing.tenant_state(tenant["id"]) == "active"
    assert billing.subscription_row(subscription_id).tenant_id == tenant["id"]  # type: ignore[union-attr]


def test_events_naming_no_tenant_are_acknowledged_but_not_stored(billing: Billing) -> None:
    event = {"id": "evt_unrelated_1", "object": "event", "type": "customer.created", "created": int(time.time()),
             "livemode": False, "data": {"object": {"id": "cus_x", "object": "customer"}}}
    answer = billing.deliver(event)
    assert answer.status_code == 200 and answer.json() == {"received": True, "duplicate": False, "ignored": True}
    billing.drain()
    assert billing.stored_events() == 0
    assert billing.count(OutboxEvent) == 0
    assert billing.count(BillSubscription) == 0


def test_a_tenants_event_without_a_subscription_is_stored_and_ignored(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]]
) -> None:
    owner, tenant = owner_and_tenant
    customer_id = billing.subscription_row(billing.subscribe(owner)).stripe_customer_id  # type: ignore[union-attr]
    event = {"id": "evt_customer_updated_1", "object": "event", "type": "customer.updated", "created": int(time.time()),
             "livemode": False, "data": {"object": {"id": customer_id, "object": "customer"}}}
    assert billing.deliver(event).json()["ignored"] is False  # our customer: the tenant is known
    billing.drain()
    with billing.database.session() as db:
        row = db.get(StripeWebhookEvent, "evt_customer_updated_1")
        assert row is not None and row.tenant_id == tenant["id"]
        assert row.outcome == "ignored: the event is not about a subscription"


def test_stripe_down_while_mirroring_retries_later(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]]
) -> None:
    owner, tenant = owner_and_tenant
    billing.settings.outbox_backoff_base_seconds = 30  # the retry must not fall due during the first drain
    _, events = billing.pay(owner)
    billing.stripe.control.add_fault(r"/v1/subscriptions/.*", "status", method="GET", code=500, times=2)

    billing.deliver_all(events[:1])  # the webhook is acknowledged; the retrieval fails (SDK retry included)
    assert billing.tenant_state(tenant["id"]) == "none"
    with billing.database.session() as db:
        job = db.query(OutboxEvent).filter_by(event_type="StripeEventReceived").one()
        assert job.status == "pending" and job.attempts == 1
        job.available_at = job.created_at  # due now, instead of after the backoff
        db.commit()

    billing.drain()

    assert billing.tenant_state(tenant["id"]) == "active"


def test_deleting_the_tenant_removes_its_billing_rows(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]], operator: TestClient
) -> None:
    owner, tenant = owner_and_tenant
    billing.subscribe(owner)
    assert billing.count(BillSubscription, tenant_id=tenant["id"]) == 1
    assert billing.count(StripeWebhookEvent, tenant_id=tenant["id"]) == 3

    assert operator.delete(f"/api/operator/tenants/{tenant['id']}").status_code == 204

    assert billing.count(BillSubscription) == 0
    assert billing.count(StripeWebhookEvent) == 0


def test_an_event_racing_its_tenants_deletion_is_ignored_not_taken_for_a_duplicate(
    billing: Billing, owner_and_tenant: tuple[TestClient, dict[str, Any]]
) -> None:
    """The DELETE is held open while the event arrives: on PostgreSQL the insert used to fail the tenant's
    foreign key once the DELETE committed, and the event was acknowledged as a duplicate it never was."""
    owner, tenant = owner_and_tenant
    _, events = billing.pay(owner)  # the checkout's event names the tenant (client_reference_id)
    answers: list[Any] = []
    with billing.database.session() as deleting:
        tenancy_service.delete_tenant(db=deleting, tenant=tenancy_service.get(db=deleting, tenant_id=tenant["id"]))
        delivery = threading.Thread(target=lambda: answers.append(billing.deliver(events[0])))
        delivery.start()
        delivery.join(0.3)
        assert delivery.is_alive(), "the event did not wait for the DELETE"
        deleting.commit()
    delivery.join(10)
    assert not delivery.is_alive(), "the event was never answered"

    (answer,) = answers
    assert answer.status_code == 200 and answer.json() == {"received": True, "duplicate": False, "ignored": True}
    assert billing.stored_events() == 0
