"""Billing's outbox handlers (the events themselves: app/billing/events.py)."""

from __future__ import annotations

from app.billing import service
from app.billing.events import BILLING_STATE_CHANGED, STRIPE_EVENT_RECEIVED
from app.billing.gateway import BillingNotConfigured, gateway_for
from app.outbox import service as outbox_service
from app.outbox.models import OutboxEvent
from app.outbox.worker import PermanentFailure


@outbox_service.handles(STRIPE_EVENT_RECEIVED)
def mirror_stripe_event(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
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
