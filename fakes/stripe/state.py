"""The fake Stripe account: every object, the event log and the subscription state machine.

Not thread-safe by itself — :class:`fakes.stripe.app.StripeFake` holds its lock around every call.
Each operation validates everything first and only then changes state, so an error never leaves a
half-written object behind. Events an operation emits are queued in :attr:`StripeState.outbox`
and handed to the webhook sender after the lock is released.

Subscription states and the events each change emits::

    (checkout paid)      -> active     checkout.session.completed, customer.subscription.created, invoice.paid
    active   --fail-->      past_due   invoice.payment_failed, customer.subscription.updated
    past_due --succeed-->   active     invoice.paid, customer.subscription.updated
    active   --succeed-->   active     (a renewal) invoice.paid, customer.subscription.updated
    any      --cancel-->    canceled   customer.subscription.deleted
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fakes.stripe import objects
from fakes.stripe.catalog import CatalogPrice
from fakes.stripe.errors import invalid_request, no_such
from fakes.stripe.ids import new_id
from fakes.stripe.objects import Obj
from fakes.stripe.params import merge_metadata
from fakes.stripe.signing import new_webhook_secret

#: The API version the fake reports on events (the one stripe-python 16 pins).
DEFAULT_API_VERSION = "2026-10-28.endive"

#: Event types this fake emits; ``enabled_events`` may name these or ``*``.
EMITTED_EVENT_TYPES = (
    "checkout.session.completed",
    "checkout.session.expired",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
)


class StateConflict(Exception):
    """The operation does not apply to the object's current state (e.g. failing a canceled subscription)."""


@dataclass(frozen=True)
class Origin:
    """What caused a change; becomes the event's ``request`` (``id`` is null for dashboard-like actions)."""

    request_id: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class LineItemRequest:
    price_id: str
    quantity: int


@dataclass
class SessionRecord:
    """What the fake keeps about a checkout session besides the public object."""

    line_items: list[Obj]
    create_params: dict[str, Any]
    subscription_metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outgoing:
    """An event to deliver and the endpoints (id, url, secret) it was addressed to when it happened."""

    event: Obj
    endpoints: tuple[tuple[str, str, str], ...]


class StripeState:
    def __init__(
        self,
        *,
        catalog: tuple[CatalogPrice, ...],
        api_version: str = DEFAULT_API_VERSION,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self.api_version = api_version
        self._clock = clock
        self.portal_configuration = new_id("bpc")
        #: Endpoints given at start-up (``--webhook-url``): configuration, so they survive a reset.
        self.preregistered_endpoints: list[Obj] = []
        self.clear()

    def now(self) -> int:
        return int(self._clock())

    def clear(self) -> None:
        created = self.now()
        self.products: dict[str, Obj] = {p.product_id: objects.product(p, created) for p in self.catalog}
        self.prices: dict[str, Obj] = {p.id: objects.price(p, created) for p in self.catalog}
        self.customers: dict[str, Obj] = {}
        self.sessions: dict[str, Obj] = {}
        self.session_records: dict[str, SessionRecord] = {}
        self.subscriptions: dict[str, Obj] = {}
        self.invoices: dict[str, Obj] = {}
        self.portal_sessions: dict[str, Obj] = {}
        self.webhook_endpoints: dict[str, Obj] = {
            endpoint["id"]: copy.deepcopy(endpoint) for endpoint in self.preregistered_endpoints
        }
        self.events: list[Obj] = []
        self.events_by_id: dict[str, Obj] = {}
        self.outbox: list[Outgoing] = []
        self._invoice_numbers = itertools.count(1)

    # -- lookups ------------------------------------------------------------------------------
    def _collections(self) -> dict[str, tuple[str, dict[str, Obj]]]:
        """id prefix -> (resource name for "No such ..." messages, collection)."""
        return {
            "cus_": ("customer", self.customers),
            "price_": ("price", self.prices),
            "prod_": ("product", self.products),
            "cs_": ("checkout.session", self.sessions),
            "sub_": ("subscription", self.subscriptions),
            "in_": ("invoice", self.invoices),
            "bps_": ("billing_portal.session", self.portal_sessions),
            "we_": ("webhook_endpoint", self.webhook_endpoints),
            "evt_": ("event", self.events_by_id),
        }

    def find(self, object_id: str) -> Obj | None:
        """Any object by id (used by ``expand``)."""
        for prefix, (_, collection) in self._collections().items():
            if object_id.startswith(prefix):
                found = collection.get(object_id)
                if prefix == "cs_" and found is not None:
                    self._expire_if_due(found)
                return found
        return None

    def get(self, resource: str, collection: dict[str, Obj], object_id: str, *, param: str = "id") -> Obj:
        found = collection.get(object_id)
        if found is None:
            raise no_such(resource, object_id, param=param)
        return found

    def customer(self, customer_id: str, *, param: str = "id") -> Obj:
        return self.get("customer", self.customers, customer_id, param=param)

    def price(self, price_id: str, *, param: str = "id") -> Obj:
        return self.get("price", self.prices, price_id, param=param)

    def product(self, product_id: str) -> Obj:
        return self.get("product", self.products, product_id)

    def session(self, session_id: str) -> Obj:
        found = self.get("checkout.session", self.sessions, session_id)
        self._expire_if_due(found)
        return found

    def subscription(self, subscription_id: str) -> Obj:
        return self.get("subscription", self.subscriptions, subscription_id)

    def invoice(self, invoice_id: str) -> Obj:
        return self.get("invoice", self.invoices, invoice_id)

    def portal_session(self, session_id: str) -> Obj:
        return self.get("billing_portal.session", self.portal_sessions, session_id)

    def webhook_endpoint(self, endpoint_id: str) -> Obj:
        return self.get("webhook_endpoint", self.webhook_endpoints, endpoint_id)

    def event(self, event_id: str) -> Obj:
        return self.get("event", self.events_by_id, event_id)

    # -- events -------------------------------------------------------------------------------
    def endpoints_for(self, event_type: str) -> list[Obj]:
        return [
            endpoint
            for endpoint in self.webhook_endpoints.values()
            if endpoint["status"] == "enabled"
            and ("*" in endpoint["enabled_events"] or event_type in endpoint["enabled_events"])
        ]

    def emit(self, event_type: str, obj: Obj, origin: Origin | None, previous: Obj | None = None) -> Obj:
        """Record an event with a snapshot of ``obj`` and queue it for the matching endpoints."""
        endpoints = self.endpoints_for(event_type)
        origin = origin or Origin()
        event = objects.event(
            created=self.now(),
            event_type=event_type,
            data_object=copy.deepcopy(obj),
            previous_attributes=previous,
            api_version=self.api_version,
            pending_webhooks=len(endpoints),
            request_id=origin.request_id,
            idempotency_key=origin.idempotency_key,
        )
        self.events.append(event)
        self.events_by_id[event["id"]] = event
        self.outbox.append(Outgoing(event, tuple((e["id"], e["url"], e["secret"]) for e in endpoints)))
        return event

    def take_outbox(self) -> list[Outgoing]:
        taken, self.outbox = self.outbox, []
        return taken

    def mark_delivered(self, event_id: str) -> None:
        """An endpoint answered 2xx: Stripe counts that delivery as done."""
        event = self.events_by_id.get(event_id)
        if event is not None and event["pending_webhooks"] > 0:
            event["pending_webhooks"] -= 1

    # -- customers ----------------------------------------------------------------------------
    def create_customer(
        self, *, email: str | None, name: str | None, description: str | None, phone: str | None, metadata: dict[str, str]
    ) -> Obj:
        created = objects.customer(
            created=self.now(), email=email, name=name, description=description, phone=phone, metadata=metadata
        )
        self.customers[created["id"]] = created
        return created

    # -- checkout -----------------------------------------------------------------------------
    def create_checkout_session(
        self,
        *,
        base_url: str,
        line_items: list[LineItemRequest],
        success_url: str | None,
        cancel_url: str | None,
        client_reference_id: str | None,
        customer_id: str | None,
        customer_email: str | None,
        metadata: dict[str, str],
        subscription_metadata: dict[str, str],
        create_params: dict[str, Any],
    ) -> Obj:
        if customer_id is not None:
            self.customer(customer_id, param="customer")
        prices = []
        for index, item in enumerate(line_items):
            price_obj = self.price(item.price_id, param=f"line_items[{index}][price]")
            if price_obj["type"] != "recurring":
                raise invalid_request(
                    "You must provide at least one recurring price in `subscription` mode when using prices.",
                    param="line_items",
                )
            prices.append(price_obj)
        currencies = {p["currency"] for p in prices}
        if len(currencies) > 1:
            raise invalid_request("All prices in a Checkout Session must use the same currency.", param="line_items")
        records = [
            objects.checkout_line_item(copy.deepcopy(p), item.quantity, p["nickname"])
            for p, item in zip(prices, line_items, strict=True)
        ]
        session = objects.checkout_session(
            created=self.now(),
            base_url=base_url,
            mode="subscription",
            currency=prices[0]["currency"],
            amount=sum(int(r["amount_total"]) for r in records),
            success_url=success_url,
            cancel_url=cancel_url,
            client_reference_id=client_reference_id,
            customer_id=customer_id,
            customer_email=customer_email,
            metadata=metadata,
        )
        self.sessions[session["id"]] = session
        self.session_records[session["id"]] = SessionRecord(records, create_params, subscription_metadata)
        return session

    def _expire_if_due(self, session: Obj) -> None:
        if session["status"] == "open" and self.now() >= session["expires_at"]:
            self._expire(session, None)

    def _expire(self, session: Obj, origin: Origin | None) -> None:
        session.update(status="expired", url=None)
        self.emit("checkout.session.expired", session, origin)

    def expire_checkout_session(self, session_id: str, origin: Origin | None) -> Obj:
        session = self.session(session_id)
        if session["status"] != "open":
            raise invalid_request(
                f'Only Checkout Sessions with a status in ["open"] can be expired; this one is {session["status"]}.',
            )
        self._expire(session, origin)
        return session

    def complete_checkout(self, session_id: str) -> Obj:
        """The customer paid on the hosted page: customer + active subscription + paid invoice.

        Emits ``checkout.session.completed``, ``customer.subscription.created``, ``invoice.paid``
        in that order (they are delivered as one burst).
        """
        session = self.session(session_id)
        if session["status"] != "open":
            raise StateConflict(f"checkout session {session_id} is {session['status']}, not open")
        record = self.session_records[session_id]
        now = self.now()
        if session["customer"]:
            customer_obj = self.customers[session["customer"]]
        else:
            customer_obj = self.create_customer(
                email=session["customer_email"], name=None, description=None, phone=None, metadata={}
            )
        first = record.line_items[0]
        sub = objects.subscription(
            created=now,
            customer_id=customer_obj["id"],
            price_obj=copy.deepcopy(first["price"]),
            quantity=int(first["quantity"]),
            metadata=dict(record.subscription_metadata),
        )
        self.subscriptions[sub["id"]] = sub
        inv = self._new_invoice(sub, "subscription_create", paid=True)
        sub["latest_invoice"] = inv["id"]
        session.update(
            status="complete",
            payment_status="paid",
            customer=customer_obj["id"],
            customer_details=objects.checkout_customer_details(customer_obj),
            subscription=sub["id"],
            invoice=inv["id"],
            url=None,
        )
        self.emit("checkout.session.completed", session, None)
        self.emit("customer.subscription.created", sub, None)
        self.emit("invoice.paid", inv, None)
        return session

    def _new_invoice(self, sub: Obj, billing_reason: str, *, paid: bool) -> Obj:
        customer_obj = self.customers[sub["customer"]]
        number = f"{customer_obj['invoice_prefix']}-{next(self._invoice_numbers):04d}"
        inv = objects.invoice(
            created=self.now(), sub=sub, customer_obj=customer_obj, billing_reason=billing_reason, number=number, paid=paid
        )
        self.invoices[inv["id"]] = inv
        return inv

    # -- subscriptions ------------------------------------------------------------------------
    def update_subscription(
        self,
        subscription_id: str,
        *,
        cancel_at_period_end: bool | None,
        metadata: dict[str, str] | None,
        description: str | None,
        origin: Origin | None,
    ) -> Obj:
        sub = self.subscription(subscription_id)
        if sub["status"] == "canceled" and (cancel_at_period_end is not None or description is not None):
            raise invalid_request("A canceled subscription can only update its cancellation_details and metadata.")
        before = copy.deepcopy(sub)
        if cancel_at_period_end is not None and cancel_at_period_end != sub["cancel_at_period_end"]:
            sub["cancel_at_period_end"] = cancel_at_period_end
            sub["cancel_at"] = objects.period_end(sub) if cancel_at_period_end else None
            sub["canceled_at"] = self.now() if cancel_at_period_end else None
            sub["cancellation_details"] = objects.cancellation_details(
                "cancellation_requested" if cancel_at_period_end else None
            )
        if metadata is not None:
            sub["metadata"] = merge_metadata(sub["metadata"], metadata)
        if description is not None:
            sub["description"] = description or None
        previous = {key: before[key] for key in sub if sub[key] != before[key]}
        if previous:
            self.emit("customer.subscription.updated", sub, origin, previous)
        return sub

    def move_subscription(self, subscription_id: str, status: str) -> Obj:
        """What Stripe does to a live subscription without the app asking (customer.subscription.updated):
        ``trialing``, a free trial given in the Dashboard (14 days from now); ``unpaid``, every retry of a failed
        renewal exhausted under "mark the subscription as unpaid"; ``paused``, a trial that ended without a
        payment method under ``trial_settings.end_behavior.missing_payment_method=pause``."""
        sub = self.subscription(subscription_id)
        allowed_from = {"trialing": ("active", "past_due"), "unpaid": ("past_due",), "paused": ("trialing",)}
        if status not in allowed_from:
            raise StateConflict(f"status must be one of {', '.join(allowed_from)}; got {status!r}")
        if sub["status"] not in allowed_from[status]:
            raise StateConflict(f"subscription {subscription_id} is {sub['status']}; only a subscription that is "
                                f"{' or '.join(allowed_from[status])} becomes {status}")
        previous: Obj = {"status": sub["status"]}
        if status == "trialing":
            previous.update(trial_start=sub["trial_start"], trial_end=sub["trial_end"])
            now = self.now()
            sub.update(trial_start=now, trial_end=now + 14 * 86400)
        sub["status"] = status
        self.emit("customer.subscription.updated", sub, None, previous)
        return sub

    def cancel_subscription(self, subscription_id: str, origin: Origin | None) -> Obj:
        sub = self.subscription(subscription_id)
        if sub["status"] == "canceled":
            raise StateConflict(f"subscription {subscription_id} is already canceled")
        now = self.now()
        sub.update(status="canceled", canceled_at=now, ended_at=now, cancel_at=None)
        sub["cancellation_details"] = objects.cancellation_details("cancellation_requested")
        self.emit("customer.subscription.deleted", sub, origin)
        return sub

    def _renew(self, sub: Obj, *, paid: bool) -> tuple[Obj, Obj]:
        """Start the next billing period with a new invoice; returns (invoice, previous attributes)."""
        previous = {"items": copy.deepcopy(sub["items"]), "latest_invoice": sub["latest_invoice"]}
        recurring = sub["items"]["data"][0]["price"]["recurring"]
        start = objects.period_end(sub)
        objects.set_period(sub, start, objects.add_interval(start, recurring["interval"], recurring["interval_count"]))
        inv = self._new_invoice(sub, "subscription_cycle", paid=paid)
        sub["latest_invoice"] = inv["id"]
        return inv, previous

    def fail_payment(self, subscription_id: str) -> Obj:
        """A renewal (or retry) charge failed -> past_due. Emits invoice.payment_failed + subscription.updated."""
        sub = self.subscription(subscription_id)
        if sub["status"] == "canceled":
            raise StateConflict(f"subscription {subscription_id} is canceled; a canceled subscription is not billed")
        latest = self.invoices.get(sub["latest_invoice"] or "")
        previous: Obj = {}
        if latest is not None and latest["status"] == "open":
            inv = latest  # Stripe retries the same unpaid invoice
        else:
            inv, previous = self._renew(sub, paid=False)
        objects.mark_invoice_failed(inv, self.now())
        if sub["status"] != "past_due":
            previous["status"] = sub["status"]
            sub["status"] = "past_due"
        self.emit("invoice.payment_failed", inv, None)
        self.emit("customer.subscription.updated", sub, None, previous)
        return sub

    def succeed_payment(self, subscription_id: str) -> Obj:
        """The open invoice got paid (or a renewal succeeded) -> active. Emits invoice.paid + subscription.updated."""
        sub = self.subscription(subscription_id)
        if sub["status"] == "canceled":
            raise StateConflict(f"subscription {subscription_id} is canceled; a canceled subscription is not billed")
        latest = self.invoices.get(sub["latest_invoice"] or "")
        previous: Obj = {}
        if latest is not None and latest["status"] == "open":
            inv = latest
            objects.mark_invoice_paid(inv, self.now())
        else:
            inv, previous = self._renew(sub, paid=True)
        if sub["status"] != "active":
            previous["status"] = sub["status"]
            sub["status"] = "active"
        self.emit("invoice.paid", inv, None)
        self.emit("customer.subscription.updated", sub, None, previous)
        return sub

    # -- billing portal -------------------------------------------------------------------------
    def create_portal_session(self, *, base_url: str, customer_id: str, return_url: str | None) -> Obj:
        self.customer(customer_id, param="customer")
        created = objects.portal_session(
            created=self.now(),
            base_url=base_url,
            customer_id=customer_id,
            return_url=return_url,
            configuration=self.portal_configuration,
        )
        self.portal_sessions[created["id"]] = created
        return created

    def customer_subscriptions(self, customer_id: str) -> list[Obj]:
        return [sub for sub in self.subscriptions.values() if sub["customer"] == customer_id]

    # -- webhook endpoints --------------------------------------------------------------------
    def create_webhook_endpoint(
        self,
        *,
        url: str,
        enabled_events: list[str],
        description: str | None,
        metadata: dict[str, str],
        api_version: str | None,
        secret: str | None = None,
    ) -> Obj:
        endpoint = objects.webhook_endpoint(
            created=self.now(),
            url=url,
            enabled_events=enabled_events,
            description=description,
            metadata=metadata,
            api_version=api_version,
            secret=secret or new_webhook_secret(),
        )
        self.webhook_endpoints[endpoint["id"]] = endpoint
        return endpoint

    def preregister_webhook_endpoint(self, *, url: str, enabled_events: list[str], secret: str | None) -> Obj:
        endpoint = self.create_webhook_endpoint(
            url=url,
            enabled_events=enabled_events,
            description="registered at start-up",
            metadata={},
            api_version=None,
            secret=secret,
        )
        self.preregistered_endpoints.append(copy.deepcopy(endpoint))
        return endpoint

    def delete_webhook_endpoint(self, endpoint_id: str) -> Obj:
        self.webhook_endpoint(endpoint_id)
        del self.webhook_endpoints[endpoint_id]
        self.preregistered_endpoints = [e for e in self.preregistered_endpoints if e["id"] != endpoint_id]
        return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


def public_copy(obj: Obj, *, hide: tuple[str, ...] = ()) -> Obj:
    result = copy.deepcopy(obj)
    for key in hide:
        result.pop(key, None)
    return result


__all__ = [
    "DEFAULT_API_VERSION",
    "EMITTED_EVENT_TYPES",
    "LineItemRequest",
    "Origin",
    "Outgoing",
    "StateConflict",
    "StripeState",
    "public_copy",
]
