"""Billing operations: start checkout, open the billing portal, receive and mirror Stripe events.

How webhooks converge (the choice the issue asked us to make and explain)
=======================================================================
Stripe delivers events at least once, in any order, sometimes long after they happened. We never
apply an event's *snapshot* to our state. Instead:

1. `record_webhook_event` (in the request) stores the verified event once, keyed by its event id, and
   queues an outbox `StripeEventReceived` in the same transaction. A replay of the same event finds the
   row and stops: one row, one outbox event, one state change at most.
2. `process_event` (in the outbox worker) works out which subscription the event is about, *retrieves
   that subscription from Stripe* and mirrors what Stripe says now into `bill_subscriptions`.

Whatever order events arrive in, the last one processed reads Stripe's current state, so every order
converges on the truth; a stale event (a `past_due` update delivered after the recovery) simply
re-reads `active`. Comparing event `created` timestamps cannot do that: they have one-second
resolution, and a failure and its recovery often share a second. The cost is one Stripe API call
per event, made by the worker, which retries with backoff when Stripe is down (the webhook itself
is already acknowledged, so Stripe does not pile up retries).

An event that names no tenant of ours (no `client_reference_id` or `tenant_id` metadata, a customer and
subscription we do not know, or a tenant that was deleted) is acknowledged, logged as ignored and not
stored: no row is left without a tenant, where no tenant delete would ever clean it up. A subscription
event that overtakes its `checkout.session.completed` this way loses nothing: the session event, when it
comes, retrieves the subscription from Stripe and so catches up. (Our checkouts also put the tenant in
the subscription's metadata, so their events normally name it anyway.)

The tenant's `billing_state` is derived from all its mirrored subscriptions (`derive_state`): any
active -> active, else any past_due/unpaid -> past_due, else any ended -> canceled, else none.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import stripe
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.billing import events
from app.billing.gateway import BillingGateway, BillingNotConfigured, BillingProviderError, CheckoutSession
from app.billing.models import BillSubscription, StripeWebhookEvent
from app.db import utcnow
from app.errors import AppError, BadRequest, Conflict, NotFound, ProviderUnavailable, ValidationFailed
from app.outbox import service as outbox_service
from app.outbox.worker import PermanentFailure
from app.settings import Settings
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

log = logging.getLogger("app.billing")

BILLING_STATES = ("none", "active", "past_due", "canceled")
ACTIVE_STATUSES = frozenset({"active", "trialing"})
PAST_DUE_STATUSES = frozenset({"past_due", "unpaid"})
ENDED_STATUSES = frozenset({"canceled", "incomplete_expired", "paused"})
# States in which a second subscription would double-bill: the owner manages the plan in the portal.
SUBSCRIBED_STATES = frozenset({"active", "past_due"})

ATTEMPT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

RETRY_MESSAGE = "Stripe is not answering right now, so checkout could not start. Nothing was charged — please try again."
NOT_CONFIGURED_MESSAGE = "Billing is not configured on this server yet, so no plan can be bought here. Nothing was charged."


class BillingNotConfiguredError(AppError):
    """503: this server has no Stripe key or plan price. Not a provider failure: nothing was asked of Stripe."""

    status_code, default_code = 503, "billing_not_configured"


# --- reading -----------------------------------------------------------------------------------------
def derive_state(statuses: list[str]) -> str:
    """The tenant's billing state from the Stripe statuses of all its subscriptions."""
    if any(s in ACTIVE_STATUSES for s in statuses):
        return "active"
    if any(s in PAST_DUE_STATUSES for s in statuses):
        return "past_due"
    if any(s in ENDED_STATUSES for s in statuses):
        return "canceled"
    return "none"


def subscriptions_of(*, db: Session, tenant_id: str) -> list[BillSubscription]:
    """The tenant's mirrored subscriptions, newest first."""
    query = (
        select(BillSubscription)
        .where(BillSubscription.tenant_id == tenant_id)
        .order_by(BillSubscription.created_at.desc(), BillSubscription.id)
    )
    return list(db.scalars(query))


def current_subscription(*, db: Session, tenant_id: str) -> BillSubscription | None:
    """The subscription that decides the tenant's state (an active one first, else the newest)."""
    subscriptions = subscriptions_of(db=db, tenant_id=tenant_id)
    for wanted in (ACTIVE_STATUSES, PAST_DUE_STATUSES):
        for subscription in subscriptions:
            if subscription.status in wanted:
                return subscription
    return subscriptions[0] if subscriptions else None


def customer_id_of(*, db: Session, tenant_id: str) -> str | None:
    """The tenant's Stripe customer (from its newest subscription), if it ever paid."""
    for subscription in subscriptions_of(db=db, tenant_id=tenant_id):
        if subscription.stripe_customer_id:
            return subscription.stripe_customer_id
    return None


# --- checkout and portal -----------------------------------------------------------------------------
def release_database(db: Session) -> None:
    """Ends the request's (read-only) transaction before a call to Stripe.

    A transaction must not stay open across a network call: on SQLite every transaction holds the
    database's write lock (BEGIN IMMEDIATE), so a slow Stripe would stall every other request.
    Nothing was written, so this commits nothing; commit rather than rollback keeps the objects already
    loaded (the signed-in user and tenant) usable, since sessions do not expire them on commit.
    """
    if db.new or db.dirty or db.deleted:
        raise RuntimeError("release_database() is for read-only transactions")
    db.commit()


def new_attempt_key() -> str:
    """A fresh checkout attempt id; the page embeds it so a double submit reuses one Stripe session."""
    return secrets.token_urlsafe(16)


def idempotency_key_for(*, tenant_id: str, attempt_key: str | None) -> str:
    """The Idempotency-Key sent to Stripe: one per tenant and checkout attempt."""
    if attempt_key is None:
        attempt_key = new_attempt_key()
    elif not ATTEMPT_KEY.match(attempt_key):
        raise ValidationFailed("Idempotency-Key must be 8-64 letters, digits, '-' or '_'", code="invalid_idempotency_key")
    return f"nmc-checkout-{tenant_id}-{attempt_key}"


def _provider_error(exc: BillingProviderError, action: str) -> AppError:
    if isinstance(exc, BillingNotConfigured):
        return BillingNotConfiguredError(NOT_CONFIGURED_MESSAGE, extra={"retryable": False})
    if exc.retryable:
        message = RETRY_MESSAGE if action == "checkout" else "Stripe is not answering right now. Please try again."
        return ProviderUnavailable(message, code="stripe_unavailable", extra={"retryable": True})
    suffix = " Nothing was charged." if action == "checkout" else ""
    return ProviderUnavailable(f"{exc}{suffix}", code="stripe_rejected", extra={"retryable": False})


def is_configured(*, settings: Settings, gateway: BillingGateway | None) -> bool:
    """Whether this server can sell the plan: a Stripe key (so a gateway) and the plan's price."""
    return gateway is not None and bool(settings.stripe_price_id)


def start_checkout(
    *, db: Session, settings: Settings, gateway: BillingGateway | None, tenant: Tenant, attempt_key: str | None
) -> CheckoutSession:
    """Creates a Stripe Checkout Session for the tenant's plan; writes nothing locally (the webhook will)."""
    if tenant.billing_state in SUBSCRIBED_STATES:
        raise Conflict("This business already has a plan. Use “Manage billing” to change it.",
                       code="already_subscribed")
    if gateway is None or not is_configured(settings=settings, gateway=gateway):
        raise _provider_error(BillingNotConfigured(), "checkout")
    base = settings.public_base_url.rstrip("/")
    tenant_id = tenant.id
    key = idempotency_key_for(tenant_id=tenant_id, attempt_key=attempt_key)
    customer_id = customer_id_of(db=db, tenant_id=tenant_id)
    release_database(db)
    try:
        session = gateway.create_checkout_session(
            tenant_id=tenant_id,
            price_id=settings.stripe_price_id,
            success_url=f"{base}/billing/success?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{base}/billing?canceled=1",
            customer_id=customer_id,
            idempotency_key=key,
        )
    except BillingProviderError as exc:
        raise _provider_error(exc, "checkout") from exc
    log.info("checkout session created", extra={"tenant_id": tenant_id, "checkout_session": session.id})
    return session


def open_portal(*, db: Session, settings: Settings, gateway: BillingGateway | None, tenant: Tenant) -> str:
    """A Stripe billing-portal URL for the tenant's customer; 409 when the tenant never paid."""
    customer_id = customer_id_of(db=db, tenant_id=tenant.id)
    if customer_id is None:
        raise Conflict("There is no Stripe customer for this business yet: subscribe first.", code="no_customer")
    if gateway is None:
        raise _provider_error(BillingNotConfigured(), "portal")
    release_database(db)
    try:
        return gateway.create_portal_session(customer_id=customer_id,
                                             return_url=f"{settings.public_base_url.rstrip('/')}/billing")
    except BillingProviderError as exc:
        raise _provider_error(exc, "portal") from exc


# --- webhooks: receiving -----------------------------------------------------------------------------
# The latest timestamp a datetime can hold (9999-12-31T23:59:59Z): Stripe's `created` is Unix seconds.
MAX_UNIX_SECONDS = 253_402_300_799


class _EventData(BaseModel):
    model_config = ConfigDict(extra="allow")
    object: dict[str, Any]


class _EventShape(BaseModel):
    """What the rest of the code relies on in a Stripe event; anything else in it is kept but not trusted."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(pattern=r"^[A-Za-z0-9_]{1,255}$")  # evt_...; the primary key of stripe_webhook_events
    type: str = Field(pattern=r"^[a-z0-9_.]{1,100}$")  # e.g. customer.subscription.updated
    created: StrictInt = Field(default=0, ge=0, le=MAX_UNIX_SECONDS)
    livemode: StrictBool = False
    data: _EventData


def verify_webhook(*, payload: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    """The event, if `Stripe-Signature` proves Stripe sent this exact body recently; else a 400.

    A correctly signed body is still checked for the shape of an event (a signing secret can leak, and a
    test or a replaying proxy can sign anything): a malformed one is a 400, never a 500 further in.
    """
    if not secret:
        log.error("STRIPE_WEBHOOK_SECRET is empty: every Stripe webhook is refused")
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature, secret,
                                              stripe.Webhook.DEFAULT_TOLERANCE)
    except stripe.SignatureVerificationError as exc:
        raise BadRequest(f"Stripe signature check failed: {exc.user_message or exc}", code="invalid_signature") from exc
    except UnicodeDecodeError as exc:
        raise BadRequest("webhook body is not UTF-8 text", code="invalid_payload") from exc
    try:
        data = json.loads(payload)
    except ValueError as exc:  # signed, but not JSON: cannot be from Stripe
        raise BadRequest("webhook body is not a JSON Stripe event", code="invalid_payload") from exc
    if not isinstance(data, dict):
        raise BadRequest("webhook body is not a JSON Stripe event", code="invalid_payload")
    try:
        _EventShape.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'event'}: {e['msg']}" for e in exc.errors())
        raise BadRequest(f"not a valid Stripe event ({problems})", code="invalid_payload") from exc
    return data


@dataclass(frozen=True)
class EventReferences:
    """What an event points at: the subscription it is about, the customer, and a tenant it names."""

    subscription_id: str | None
    customer_id: str | None
    tenant_hint: str | None


def _dict(value: Any) -> dict[str, Any]:
    """A nested part of an event as a dict; anything else (a string where an object belongs) counts as absent."""
    return value if isinstance(value, dict) else {}


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):  # an expanded object
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def references_in(event: dict[str, Any]) -> EventReferences:
    """Reads the subscription / customer / tenant an event refers to, by the object it carries."""
    obj = _dict(_dict(event.get("data")).get("object"))
    kind = obj.get("object")
    metadata = _dict(obj.get("metadata"))
    if kind == "checkout.session":
        return EventReferences(_id_of(obj.get("subscription")), _id_of(obj.get("customer")),
                               _id_of(obj.get("client_reference_id")) or _id_of(metadata.get("tenant_id")))
    if kind == "subscription":
        return EventReferences(_id_of(obj.get("id")), _id_of(obj.get("customer")), _id_of(metadata.get("tenant_id")))
    if kind == "invoice":
        details = _dict(_dict(obj.get("parent")).get("subscription_details"))
        subscription = _id_of(obj.get("subscription")) or _id_of(details.get("subscription"))
        return EventReferences(subscription, _id_of(obj.get("customer")),
                               _id_of(_dict(details.get("metadata")).get("tenant_id")))
    if kind == "customer":  # the object is the customer itself
        return EventReferences(None, _id_of(obj.get("id")), _id_of(metadata.get("tenant_id")))
    return EventReferences(None, _id_of(obj.get("customer")), None)


def _existing_tenant_id(db: Session, tenant_id: str | None) -> str | None:
    if tenant_id is None:
        return None
    try:
        return tenancy_service.get(db=db, tenant_id=tenant_id).id
    except NotFound:
        return None


def _mapped_tenant_id(db: Session, refs: EventReferences) -> str | None:
    """The tenant an event belongs to: our own record of the subscription first, then what the event says."""
    if refs.subscription_id:
        known = db.scalar(select(BillSubscription.tenant_id)
                          .where(BillSubscription.stripe_subscription_id == refs.subscription_id))
        if known:
            if refs.tenant_hint and refs.tenant_hint != known:
                log.warning("event names tenant %s for subscription %s of tenant %s; keeping ours",
                            refs.tenant_hint, refs.subscription_id, known)
            return known
    hinted = _existing_tenant_id(db, refs.tenant_hint)
    if hinted:
        return hinted
    if refs.customer_id:
        return db.scalar(select(BillSubscription.tenant_id)
                         .where(BillSubscription.stripe_customer_id == refs.customer_id).limit(1))
    return None


RecordOutcome = Literal["recorded", "duplicate", "ignored"]


def record_webhook_event(*, db: Session, event: dict[str, Any]) -> RecordOutcome:
    """Stores a verified event of one of our tenants once and queues its processing.

    "duplicate" when the event was stored before; "ignored" (nothing stored) when it names no tenant of ours.
    """
    event_id = str(event["id"])
    if db.get(StripeWebhookEvent, event_id) is not None:
        return "duplicate"
    tenant_id = _mapped_tenant_id(db, references_in(event))
    # Held so a tenant deleted meanwhile (an ephemeral tenant's teardown) cannot fail the insert below,
    # which would otherwise be taken for a concurrent duplicate.
    if tenant_id is not None and not tenancy_service.hold_against_deletion(db=db, tenant_id=tenant_id):
        tenant_id = None
    if tenant_id is None:
        log.info("stripe event %s (%s) ignored: it names no tenant of ours (no client_reference_id or tenant "
                 "metadata, unknown customer and subscription, or the tenant was deleted)",
                 event_id, event.get("type"))
        return "ignored"
    row = StripeWebhookEvent(
        id=event_id,
        tenant_id=tenant_id,
        event_type=str(event["type"])[:100],
        event_created_at=datetime.fromtimestamp(int(event.get("created") or 0), UTC),
        livemode=bool(event.get("livemode")),
        payload=json.loads(json.dumps(event, default=str)),
    )
    try:
        with db.begin_nested():  # a concurrent delivery of the same event loses the race here, cleanly
            db.add(row)
            db.flush()
    except IntegrityError:
        return "duplicate"
    outbox_service.emit(db=db, event_type=events.STRIPE_EVENT_RECEIVED,
                        payload={"stripe_event_id": event_id, "type": row.event_type},
                        tenant_id=tenant_id, schema_version=1)
    log.info("stripe event %s (%s) recorded", event_id, row.event_type, extra={"tenant_id": tenant_id})
    return "recorded"


# --- webhooks: mirroring -----------------------------------------------------------------------------
def process_event(*, db: Session, gateway: BillingGateway, stripe_event_id: str) -> None:
    """Mirrors the subscription a recorded event is about, as Stripe reports it now. Idempotent."""
    row = db.get(StripeWebhookEvent, stripe_event_id)
    if row is None or row.processed_at is not None:
        return  # deleted with its tenant, or already done by an earlier delivery of this job
    refs = references_in(row.payload)
    row.outcome = _mirror_for(db=db, gateway=gateway, row=row, refs=refs)
    row.processed_at = utcnow()
    db.flush()


def _mirror_for(*, db: Session, gateway: BillingGateway, row: StripeWebhookEvent, refs: EventReferences) -> str:
    if refs.subscription_id is None:
        return "ignored: the event is not about a subscription"
    # Lock our copy first (PostgreSQL), so two workers cannot interleave retrieve-and-write for one subscription.
    mirrored = db.scalar(select(BillSubscription)
                         .where(BillSubscription.stripe_subscription_id == refs.subscription_id)
                         .with_for_update())
    # The row's own tenant (mapped when it was recorded) is the fallback; only rows recorded before
    # tenant-less events were ignored can still lack one.
    tenant_id = mirrored.tenant_id if mirrored else (_mapped_tenant_id(db, refs) or row.tenant_id)
    if tenant_id is None:
        return f"unmapped: no tenant known for {refs.subscription_id} yet (its checkout event will catch up)"
    row.tenant_id = tenant_id
    try:
        snapshot = gateway.retrieve_subscription(subscription_id=refs.subscription_id)
    except BillingProviderError as exc:
        if exc.retryable:
            raise  # the outbox retries with backoff
        raise PermanentFailure(f"cannot retrieve {refs.subscription_id}: {exc}") from exc
    if snapshot is None:
        return f"ignored: Stripe has no subscription {refs.subscription_id}"
    if mirrored is None:
        mirrored = BillSubscription(tenant_id=tenant_id, stripe_subscription_id=snapshot.id, created_at=utcnow())
        db.add(mirrored)
    mirrored.stripe_customer_id = snapshot.customer_id or refs.customer_id or mirrored.stripe_customer_id
    mirrored.status = snapshot.status
    mirrored.price_id = snapshot.price_id
    mirrored.current_period_end = snapshot.current_period_end
    mirrored.cancel_at_period_end = snapshot.cancel_at_period_end
    if mirrored.last_event_created_at is None or row.event_created_at >= mirrored.last_event_created_at:
        mirrored.last_event_id, mirrored.last_event_created_at = row.id, row.event_created_at
    mirrored.updated_at = utcnow()
    db.flush()
    state = refresh_tenant_state(db=db, tenant_id=tenant_id, cause_event_id=row.id,
                                 subscription_id=snapshot.id)
    return f"mirrored {snapshot.id}: {snapshot.status}; tenant {state}"


def refresh_tenant_state(*, db: Session, tenant_id: str, cause_event_id: str | None, subscription_id: str | None) -> str:
    """Re-derives the tenant's billing state; on a change, saves it and emits BillingStateChanged."""
    tenant = tenancy_service.get(db=db, tenant_id=tenant_id)
    state = derive_state([s.status for s in subscriptions_of(db=db, tenant_id=tenant_id)])
    previous = tenant.billing_state
    if state == previous:
        return state
    tenancy_service.set_billing_state(db=db, tenant=tenant, state=state)
    outbox_service.emit(
        db=db,
        event_type=events.BILLING_STATE_CHANGED,
        payload=events.billing_state_changed(tenant_id=tenant_id, previous=previous, state=state,
                                             subscription_id=subscription_id, stripe_event_id=cause_event_id),
        tenant_id=tenant_id,
        schema_version=events.BILLING_STATE_CHANGED_VERSION,
    )
    log.info("billing state %s -> %s", previous, state, extra={"tenant_id": tenant_id})
    return state
