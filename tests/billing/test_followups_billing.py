"""Billing follow-ups: a deleted tenant's plan is canceled at Stripe (best effort, never blocking the
delete), events that name no tenant leave no row behind, and BillingStateChanged events end done."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.billing.models import StripeWebhookEvent
from app.outbox.models import OutboxEvent
from app.tenancy.models import Tenant
from tests.billing.conftest import Billing

MakeTenant = Callable[..., dict[str, Any]]
LoginAs = Callable[[dict[str, Any], str], TestClient]


@pytest.fixture
def subscribed(billing: Billing, make_tenant: MakeTenant, login_as: LoginAs) -> tuple[dict[str, Any], str]:
    """A tenant with an active plan (checkout paid at the fake, its webhooks mirrored); and the subscription id."""
    tenant = make_tenant()
    subscription_id = billing.subscribe(login_as(tenant, "OWNER"))
    assert billing.tenant_state(tenant["id"]) == "active"
    return tenant, subscription_id


def _status_at_stripe(billing: Billing, subscription_id: str) -> str:
    [subscription] = [s for s in billing.stripe.control.subscriptions() if s["id"] == subscription_id]
    return str(subscription["status"])


def _stripe_cancel_requests(billing: Billing, subscription_id: str) -> list[dict[str, Any]]:
    return [r for r in billing.stripe.control.requests(direction="inbound")
            if r["method"] == "DELETE" and r["path"] == f"/v1/subscriptions/{subscription_id}"]


# --- tenant delete cancels the plan -------------------------------------------------------------------
def test_deleting_a_tenant_cancels_its_subscription_at_stripe(
    billing: Billing, operator: TestClient, subscribed: tuple[dict[str, Any], str],
) -> None:
    tenant, subscription_id = subscribed

    assert operator.delete(f"/api/operator/tenants/{tenant['id']}").status_code == 204

    assert _status_at_stripe(billing, subscription_id) == "canceled"
    assert len(_stripe_cancel_requests(billing, subscription_id)) == 1


def test_stripe_failing_to_cancel_never_blocks_the_delete(
    billing: Billing, operator: TestClient, subscribed: tuple[dict[str, Any], str], caplog: pytest.LogCaptureFixture,
) -> None:
    tenant, subscription_id = subscribed
    billing.stripe.control.add_fault(r"/v1/subscriptions/.*", "status", method="DELETE", code=500, times=5)

    with caplog.at_level(logging.WARNING, logger="app.billing"):
        response = operator.delete(f"/api/operator/tenants/{tenant['id']}")

    assert response.status_code == 204
    with billing.database.session() as db:
        assert db.get(Tenant, tenant["id"]) is None
    assert _status_at_stripe(billing, subscription_id) == "active"  # left for a person, and said so:
    assert any(subscription_id in r.getMessage() and "cancel it in the Stripe dashboard" in r.getMessage()
               for r in caplog.records), [r.getMessage() for r in caplog.records]


def test_without_stripe_configured_the_delete_still_succeeds_and_says_what_is_left(
    billing: Billing, operator: TestClient, subscribed: tuple[dict[str, Any], str], caplog: pytest.LogCaptureFixture,
) -> None:
    tenant, subscription_id = subscribed
    billing.app.state.billing_gateway = None  # built again from settings on next use...
    billing.settings.stripe_api_key = ""  # ...which now have no key

    with caplog.at_level(logging.WARNING, logger="app.billing"):
        assert operator.delete(f"/api/operator/tenants/{tenant['id']}").status_code == 204

    assert _stripe_cancel_requests(billing, subscription_id) == []
    assert any("Stripe is not configured" in r.getMessage() and subscription_id in r.getMessage()
               for r in caplog.records)


def test_a_tenant_without_a_live_plan_asks_nothing_of_stripe(
    billing: Billing, operator: TestClient, make_tenant: MakeTenant,
) -> None:
    tenant = make_tenant()
    assert operator.delete(f"/api/operator/tenants/{tenant['id']}").status_code == 204
    assert [r for r in billing.stripe.control.requests(direction="inbound") if r["method"] == "DELETE"] == []


# --- events that name no tenant -----------------------------------------------------------------------
def test_the_cancellation_webhook_after_the_delete_is_ignored_and_leaves_no_row(
    billing: Billing, operator: TestClient, subscribed: tuple[dict[str, Any], str], caplog: pytest.LogCaptureFixture,
) -> None:
    tenant, subscription_id = subscribed
    assert operator.delete(f"/api/operator/tenants/{tenant['id']}").status_code == 204
    [deleted] = billing.stripe.control.events(type="customer.subscription.deleted")
    assert deleted["data"]["object"]["id"] == subscription_id

    with caplog.at_level(logging.INFO, logger="app.billing"):
        answer = billing.deliver(deleted)
    billing.drain()

    assert answer.status_code == 200 and answer.json()["ignored"] is True
    assert any(deleted["id"] in r.getMessage() and "ignored: it names no tenant of ours" in r.getMessage()
               for r in caplog.records)
    assert billing.stored_events() == 0
    assert billing.count(OutboxEvent) == 0


def test_a_checkout_for_a_tenant_that_no_longer_exists_is_ignored(
    billing: Billing, operator: TestClient, make_tenant: MakeTenant, login_as: LoginAs,
) -> None:
    tenant = make_tenant()
    _, events = billing.pay(login_as(tenant, "OWNER"))  # paid at Stripe, webhooks not delivered yet
    assert operator.delete(f"/api/operator/tenants/{tenant['id']}").status_code == 204

    answers = [billing.deliver(event) for event in events]
    billing.drain()

    assert [a.json()["ignored"] for a in answers] == [True] * len(events)
    assert billing.stored_events() == 0


def test_no_stored_stripe_event_ever_lacks_a_tenant(
    billing: Billing, subscribed: tuple[dict[str, Any], str],
) -> None:
    _, subscription_id = subscribed
    billing.deliver_all(billing.stripe.control.payment_failed(subscription_id)["events"])
    billing.deliver_all(billing.stripe.control.cancel(subscription_id)["events"])
    with billing.database.session() as db:
        assert db.scalar(select(StripeWebhookEvent).where(StripeWebhookEvent.tenant_id.is_(None))) is None
        assert len(list(db.scalars(select(StripeWebhookEvent)))) >= 5


# --- BillingStateChanged ------------------------------------------------------------------------------
def test_billing_state_changed_events_are_handled_done_and_change_nothing_else(
    billing: Billing, subscribed: tuple[dict[str, Any], str],
) -> None:
    tenant, subscription_id = subscribed
    billing.deliver_all(billing.stripe.control.payment_failed(subscription_id)["events"])
    with billing.database.session() as db:
        changes = list(db.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "BillingStateChanged")))
    assert [(c.payload["previous"], c.payload["state"]) for c in changes] == [("none", "active"), ("active", "past_due")]
    assert all(c.status == "done" and c.attempts == 0 and c.last_error is None for c in changes)
    assert billing.tenant_state(tenant["id"]) == "past_due"
