"""Billing's outbox events and their handlers.

* `StripeEventReceived` {stripe_event_id, type} — queued by the webhook with the stored event; its
  handler (app/billing/handlers.py) retrieves the subscription from Stripe and mirrors it.
* `BillingStateChanged` v1 {tenant_id, previous, state, stripe_subscription_id, stripe_event_id,
  changed_at} — the tenant's billing state moved (none / active / past_due / canceled). It is the
  durable record of each transition (what moved it, when) and the place a future reaction belongs.
  Nothing has to react today: the new state was saved (and logged) in the same transaction that wrote
  this event, and the banner and billing page read it from the tenant. So its handler does nothing; it
  exists because the worker dead-letters, with an error, any event type without a handler.
  A domain that wants to react (e.g. pause auto-replies when a plan is canceled) puts its code there.

The names and payloads live here, the handlers in app/billing/handlers.py: the service emits these
events and the handlers call the service.
"""

from __future__ import annotations

from typing import Any

from app.db import utcnow

STRIPE_EVENT_RECEIVED = "StripeEventReceived"
BILLING_STATE_CHANGED = "BillingStateChanged"
BILLING_STATE_CHANGED_VERSION = 1


def billing_state_changed(
    *, tenant_id: str, previous: str, state: str, subscription_id: str | None, stripe_event_id: str | None
) -> dict[str, Any]:
    """The BillingStateChanged v1 payload."""
    return {
        "tenant_id": tenant_id,
        "previous": previous,
        "state": state,
        "stripe_subscription_id": subscription_id,
        "stripe_event_id": stripe_event_id,
        "changed_at": utcnow().isoformat(),
    }
