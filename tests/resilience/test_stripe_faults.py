"""Stripe misbehaving:

- webhooks delivered three times each, late and in reverse order within each burst (the fake's hostile
  delivery), while the API the worker mirrors from answers 503 now and then: after every step of the
  lifecycle (pay, payment fails, recovers, cancel) the subscription converges on the right state, every
  event is stored once, and the state never goes back to an earlier one;
- the Stripe API failing (503, connection reset, a connection dropped without an answer) while the owner
  starts checkout: the billing page says to try again, nothing is written anywhere, and the same button
  works once Stripe is back, with exactly one checkout session at Stripe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.billing.models import StripeWebhookEvent
from app.db import Database
from app.main import create_app
from app.outbox.models import OutboxEvent
from app.settings import Settings
from fakes.stripe import RunningStripe
from stack.launcher import register_stripe_webhook
from tests.conftest import OPERATOR_TOKEN, csrf_of, tenant_spec
from tests.resilience.conftest import wait_for
from tests.resilience.served import free_socket, serving
from tests.security.snapshots import row_counts

pytestmark = pytest.mark.resilience


# --- hostile webhook delivery ---------------------------------------------------------------------------------
@dataclass
class LiveBilling:
    base_url: str
    database: Database
    stripe: RunningStripe
    owner: httpx.Client
    tenant: dict[str, Any]

    def state(self) -> str:
        return str(self.owner.get("/api/v1/billing/status").json()["state"])

    def stored_events(self) -> int:
        with self.database.session() as db:
            return int(db.scalar(select(func.count()).select_from(StripeWebhookEvent)) or 0)

    def state_history(self) -> list[str]:
        with self.database.session() as db:
            rows = db.scalars(select(OutboxEvent).where(OutboxEvent.tenant_id == self.tenant["id"],
                                                        OutboxEvent.event_type == "BillingStateChanged")
                              .order_by(OutboxEvent.seq))
            return [str(row.payload["state"]) for row in rows]


@pytest.fixture
def live(database_url: str, settings: Settings, stripe_fake: RunningStripe) -> Iterator[LiveBilling]:
    sock = free_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    secret = register_stripe_webhook(stripe_fake.base_url, stripe_fake.api_key, f"{base_url}/webhooks/stripe")
    served = settings.model_copy(update={"public_base_url": base_url, "stripe_webhook_secret": secret,
                                         "run_worker_in_process": True, "outbox_poll_interval_seconds": 0.05})
    database = Database(database_url)
    with serving(create_app(served, database=database), sock), \
            httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}) as operator:
        tenant = operator.post("/api/operator/tenants", json=tenant_spec()).json()
        owner_email = next(u["email"] for u in tenant["users"] if u["role"] == "OWNER")
        minted = operator.post(f"/api/operator/tenants/{tenant['id']}/sessions", json={"user": owner_email}).json()
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {minted['cookie_value']}"}) as owner:
            yield LiveBilling(base_url, database, stripe_fake, owner, tenant)
    database.dispose()
    sock.close()


def test_duplicated_delayed_reordered_webhooks_converge(live: LiveBilling) -> None:
    control = live.stripe.control
    control.configure_webhooks(duplicate=3, delay_ms=40, reorder=True)
    # The worker mirrors each event from Stripe's API; make that answer 503 a few times along the way.
    control.add_fault(r"^/v1/(subscriptions|checkout/sessions)/", "status", method="GET", code=503, times=3)

    checkout = live.owner.post("/api/v1/billing/checkout")
    assert checkout.status_code == 201, checkout.text
    subscription = control.complete_checkout(checkout.json()["session_id"])["session"]["subscription"]
    steps: list[tuple[Callable[[], Any], str]] = [
        (lambda: None, "active"),
        (lambda: control.payment_failed(subscription), "past_due"),
        (lambda: control.payment_succeeded(subscription), "active"),
        (lambda: control.cancel(subscription), "canceled"),
    ]
    for act, expected in steps:
        act()
        wait_for(lambda expected=expected: live.state() == expected, what=f"the plan to be {expected}")  # type: ignore[misc]
        wait_for(lambda: len(control.deliveries()) == 3 * len(control.events()), what="every delivery")
        wait_for(lambda: live.stored_events() == len(control.events()), what="every event stored")

    deliveries = control.deliveries()
    assert {d["status"] for d in deliveries} == {200}
    assert live.stored_events() == len(control.events())  # three copies of each, stored once
    assert [f["remaining"] for f in control.faults()] == [0]  # the 503s did happen
    history = live.state_history()
    assert history[-1] == "canceled"
    assert "canceled" not in history[:-1]  # never canceled and back


# --- Stripe down while the owner subscribes ------------------------------------------------------------------------
#: name -> fault rule on POST /v1/checkout/sessions: enough failures for the form and the API call, each tried
#: twice (the SDK retries once).
CHECKOUT_FAULTS: dict[str, dict[str, Any]] = {
    "503": {"action": "status", "code": 503, "times": 4},
    "connection reset": {"action": "reset", "times": 4},
    "no answer": {"action": "timeout", "hold_ms": 200, "times": 4},  # accepted, then dropped without a response
}


@pytest.mark.parametrize("fault", list(CHECKOUT_FAULTS))
def test_stripe_failing_during_checkout_is_a_retryable_message_and_writes_nothing(
    fault: str, stripe_fake: RunningStripe, database: Database, make_tenant: Callable[..., dict[str, Any]],
    login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    owner = login_as(tenant, "OWNER")
    rule = dict(CHECKOUT_FAULTS[fault])
    stripe_fake.control.add_fault(r"^/v1/checkout/sessions$", rule.pop("action"), method="POST", **rule)
    before = row_counts(database)

    form = owner.post("/billing/checkout", data={"csrf_token": csrf_of(owner), "attempt": f"attempt-{fault[:3]}-1"},
                      follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"] == "/billing?error=stripe_unavailable"
    page = owner.get(form.headers["location"])
    assert 'role="alert"' in page.text and "please try again" in page.text.lower()
    assert ">Subscribe</button>" in page.text
    api = owner.post("/api/v1/billing/checkout", headers={"X-CSRF-Token": csrf_of(owner)})
    assert api.status_code == 502 and api.json()["code"] == "stripe_unavailable" and api.json()["retryable"] is True
    assert row_counts(database) == before  # nothing half-written
    assert stripe_fake.control.checkout_sessions(client_reference_id=tenant["id"]) == []

    stripe_fake.control.clear_faults()
    retried = owner.post("/billing/checkout", data={"csrf_token": csrf_of(owner), "attempt": f"attempt-{fault[:3]}-2"},
                         follow_redirects=False)
    assert retried.status_code == 303
    [session] = stripe_fake.control.checkout_sessions(client_reference_id=tenant["id"])
    assert retried.headers["location"] == session["session"]["url"]
