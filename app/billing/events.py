"""Billing's outbox events and their handlers.

* `StripeEventReceived` {stripe_event_id, type} — queued by the webhook with the stored event; its
  handler retrieves the subscription from Stripe and mirrors it (see `service.process_event`).
* `BillingStateChanged` v1 {tenant_id, previous, state, stripe_subscription_id, stripe_event_id,
  changed_at} — the tenant's billing state moved (none / active / past_due / canceled). It is the
  durable record of each transition (what moved it, when) and the place a future reaction belongs.
  Nothing has to react today: the new state was saved (and logged) in the same transaction that wrote
  this event, and the banner and billing page read it from the tenant. So its handler does nothing; it
  exists because the worker dead-letters, with an error, any event type without a handler.
  A domain that wants to react (e.g. pause auto-replies when a plan is canceled) puts its code there.
"""

from __future__ import annotations

from typing import Any

from app.db import utcnow
from app.outbox import service as outbox_service
from app.outbox.models import OutboxEvent
from app.outbox.worker import PermanentFailure

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


@outbox_service.handles(STRIPE_EVENT_RECEIVED)
def mirror_stripe_event(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
    from app.billing import service  # late: the service imports this module for the event names
    from app.billing.gateway import BillingNotConfigured, gateway_for

    stripe_event_id = event.payload.get("stripe_event_id")
    if not isinstance(stripe_event_id, str):
        raise PermanentFailure("StripeEventReceived without a stripe_event_id")
    try:
        gateway = gateway_for(ctx.services)
    except BillingNotConfigured as exc:
        raise PermanentFailure(str(exc)) from exc
    service.process_event(db=ctx.db, gateway=gateway, stripe_event_id=stripe_event_id)


@outbox_service.handles(BILLING_STATE_CHANGED)
def billing_state_changed_needs_no_reaction(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
    """Nothing to do (see the module doc): the state change it records is already saved and logged."""
