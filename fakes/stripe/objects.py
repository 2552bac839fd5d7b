"""Builders for Stripe-shaped JSON objects (customer, price, checkout session, subscription, ...).

Each builder sets the fields the fake models; :func:`fakes.stripe.unmodelled.stripe_object` adds
every other field Stripe returns (``null``, ``[]`` or Stripe's default), so code that reads a field
the fake does not model gets what a real account that never set it would give, never a KeyError.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

from fakes.stripe.catalog import CatalogPrice
from fakes.stripe.ids import new_id
from fakes.stripe.unmodelled import stripe_object

Obj = dict[str, Any]


def add_interval(timestamp: int, interval: str, count: int) -> int:
    """``timestamp`` moved forward by ``count`` billing intervals (calendar months clamp the day)."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    if interval == "day":
        return timestamp + 86_400 * count
    if interval == "week":
        return timestamp + 7 * 86_400 * count
    months = count * (12 if interval == "year" else 1)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def list_object(url: str, data: list[Obj], *, has_more: bool = False) -> Obj:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def product(price: CatalogPrice, created: int) -> Obj:
    return stripe_object(
        "product",
        {
            "id": price.product_id,
            "object": "product",
            "active": True,
            "created": created,
            "default_price": price.id,
            "description": None,
            "images": [],
            "livemode": False,
            "metadata": {},
            "name": price.product_name,
            "type": "service",
            "updated": created,
            "url": None,
        },
    )


def price(entry: CatalogPrice, created: int) -> Obj:
    return stripe_object(
        "price",
        {
            "id": entry.id,
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": created,
            "currency": entry.currency,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": entry.lookup_key,
            "metadata": {},
            "nickname": entry.product_name,
            "product": entry.product_id,
            "recurring": {
                "aggregate_usage": None,
                "interval": entry.interval,
                "interval_count": entry.interval_count,
                "meter": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            },
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring",
            "unit_amount": entry.unit_amount,
            "unit_amount_decimal": str(entry.unit_amount),
        },
    )


def customer(
    *,
    created: int,
    email: str | None,
    name: str | None,
    description: str | None,
    phone: str | None,
    metadata: dict[str, str],
) -> Obj:
    object_id = new_id("cus")
    return stripe_object(
        "customer",
        {
            "id": object_id,
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": created,
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": description,
            "discount": None,
            "email": email,
            "invoice_prefix": object_id[4:12].upper(),
            "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
            "livemode": False,
            "metadata": metadata,
            "name": name,
            "phone": phone,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
        },
    )


def checkout_session(
    *,
    created: int,
    base_url: str,
    mode: str,
    currency: str,
    amount: int,
    success_url: str | None,
    cancel_url: str | None,
    client_reference_id: str | None,
    customer_id: str | None,
    customer_email: str | None,
    metadata: dict[str, str],
) -> Obj:
    object_id = new_id("cs_test")
    return stripe_object(
        "checkout.session",
        {
            "id": object_id,
            "object": "checkout.session",
            "after_expiration": None,
            "allow_promotion_codes": None,
            "amount_subtotal": amount,
            "amount_total": amount,
            "billing_address_collection": None,
            "cancel_url": cancel_url,
            "client_reference_id": client_reference_id,
            "created": created,
            "currency": currency,
            "customer": customer_id,
            "customer_creation": None if customer_id else "always",
            "customer_details": None,
            "customer_email": customer_email,
            "expires_at": created + 24 * 3600,
            "invoice": None,
            "livemode": False,
            "locale": None,
            "metadata": metadata,
            "mode": mode,
            "payment_intent": None,
            "payment_method_types": ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "subscription": None,
            "success_url": success_url,
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": "hosted_page",  # "hosted" before API version 2026-10-28 (endive)
            "url": f"{base_url}/checkout/{object_id}",
        },
    )


def checkout_customer_details(customer_obj: Obj) -> Obj:
    """What checkout collected from the payer: the fake's page asks for a card number only."""
    return stripe_object(
        "checkout.session.customer_details", {"email": customer_obj["email"], "name": customer_obj["name"]}
    )


def checkout_line_item(price_obj: Obj, quantity: int, description: str) -> Obj:
    amount = int(price_obj["unit_amount"]) * quantity
    return stripe_object(
        "item",
        {
            "id": new_id("li"),
            "object": "item",
            "amount_discount": 0,
            "amount_subtotal": amount,
            "amount_tax": 0,
            "amount_total": amount,
            "currency": price_obj["currency"],
            "description": description,
            "price": price_obj,
            "quantity": quantity,
        },
    )


def legacy_plan(price_obj: Obj) -> Obj:
    """The ``plan`` view of a price that older integrations still read on subscriptions."""
    recurring = price_obj["recurring"]
    return stripe_object(
        "plan",
        {
            "id": price_obj["id"],
            "object": "plan",
            "active": True,
            "amount": price_obj["unit_amount"],
            "amount_decimal": price_obj["unit_amount_decimal"],
            "billing_scheme": "per_unit",
            "created": price_obj["created"],
            "currency": price_obj["currency"],
            "interval": recurring["interval"],
            "interval_count": recurring["interval_count"],
            "livemode": False,
            "metadata": {},
            "nickname": price_obj["nickname"],
            "product": price_obj["product"],
            "usage_type": "licensed",
        },
    )


def subscription(*, created: int, customer_id: str, price_obj: Obj, quantity: int, metadata: dict[str, str]) -> Obj:
    object_id = new_id("sub")
    recurring = price_obj["recurring"]
    period_end = add_interval(created, recurring["interval"], recurring["interval_count"])
    item = stripe_object(
        "subscription_item",
        {
            "id": new_id("si"),
            "object": "subscription_item",
            "created": created,
            "current_period_end": period_end,
            "current_period_start": created,
            "metadata": {},
            "plan": legacy_plan(price_obj),
            "price": price_obj,
            "quantity": quantity,
            "subscription": object_id,
            "tax_rates": [],
        },
    )
    return stripe_object(
        "subscription",
        {
            "id": object_id,
            "object": "subscription",
            "application": None,
            "billing_cycle_anchor": created,
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "cancellation_details": cancellation_details(None),
            "collection_method": "charge_automatically",
            "created": created,
            "currency": price_obj["currency"],
            "customer": customer_id,
            "days_until_due": None,
            "default_payment_method": new_id("pm"),
            "description": None,
            "discounts": [],
            "ended_at": None,
            "items": {
                "object": "list",
                "data": [item],
                "has_more": False,
                "total_count": 1,
                "url": f"/v1/subscription_items?subscription={object_id}",
            },
            "latest_invoice": None,
            "livemode": False,
            "metadata": metadata,
            "pending_update": None,
            "plan": legacy_plan(price_obj),
            "quantity": quantity,
            "start_date": created,
            "status": "active",
            "trial_end": None,
            "trial_start": None,
        },
    )


def cancellation_details(reason: str | None) -> Obj:
    return stripe_object("subscription.cancellation_details", {"reason": reason})


def set_period(sub: Obj, start: int, end: int) -> None:
    """Move a subscription to a billing period: its items carry it (API versions since 2025-03-31 have no
    current_period_start/end on the subscription itself, as Stripe's published fixtures show)."""
    for item in sub["items"]["data"]:
        item["current_period_start"], item["current_period_end"] = start, end


def invoice_subscription(inv: Obj) -> str | None:
    """The subscription an invoice bills (named under parent.subscription_details in current API versions)."""
    details = (inv.get("parent") or {}).get("subscription_details") or {}
    found = details.get("subscription")
    return str(found) if found else None


def period_end(sub: Obj) -> int:
    """The end of the subscription's current billing period (its first item's)."""
    return int(sub["items"]["data"][0]["current_period_end"])


def invoice(*, created: int, sub: Obj, customer_obj: Obj, billing_reason: str, number: str, paid: bool) -> Obj:
    object_id = new_id("in")
    item = sub["items"]["data"][0]
    price_obj = item["price"]
    amount = int(price_obj["unit_amount"]) * int(item["quantity"])
    period = {"start": item["current_period_start"], "end": item["current_period_end"]}
    line = stripe_object(
        "line_item",
        {
            "id": new_id("il"),
            "object": "line_item",
            "amount": amount,
            "currency": price_obj["currency"],
            "description": f"{item['quantity']} x {price_obj['nickname']}",
            "invoice": object_id,
            "livemode": False,
            "metadata": {},
            "parent": {
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": sub["id"],
                    "subscription_item": item["id"],
                },
                "type": "subscription_item_details",
            },
            "period": period,
            "price": price_obj,  # before API version 2025-03-31 (basil); newer ones read pricing
            "pricing": {
                "price_details": {"price": price_obj["id"], "product": price_obj["product"]},
                "type": "price_details",
                "unit_amount_decimal": price_obj["unit_amount_decimal"],
            },
            "quantity": item["quantity"],
            "subscription": sub["id"],
            "subtotal": amount,
            "type": "subscription",
        },
    )
    result = stripe_object(
        "invoice",
        {
            "id": object_id,
            "object": "invoice",
            "account_country": "US",
            "amount_due": amount,
            "amount_paid": 0,
            "amount_remaining": amount,
            "attempt_count": 0,
            "attempted": False,
            "billing_reason": billing_reason,
            "collection_method": "charge_automatically",
            "created": created,
            "currency": price_obj["currency"],
            "customer": customer_obj["id"],
            "customer_email": customer_obj.get("email"),
            "customer_name": customer_obj.get("name"),
            "effective_at": created,
            "hosted_invoice_url": None,
            "lines": {
                "object": "list",
                "data": [line],
                "has_more": False,
                "total_count": 1,
                "url": f"/v1/invoices/{object_id}/lines",
            },
            "livemode": False,
            "metadata": {},
            "next_payment_attempt": None,
            "number": number,
            "paid": False,
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": stripe_object(
                    "invoice.parent.subscription_details", {"metadata": dict(sub["metadata"]), "subscription": sub["id"]}
                ),
            },
            "period_end": period["end"],
            "period_start": period["start"],
            "status": "open",
            "status_transitions": {
                "finalized_at": created,
                "marked_uncollectible_at": None,
                "paid_at": None,
                "voided_at": None,
            },
            "subscription": None,  # current API versions name it under parent.subscription_details only
            "subtotal": amount,
            "subtotal_excluding_tax": amount,
            "total": amount,
            "total_excluding_tax": amount,
        },
    )
    if paid:
        mark_invoice_paid(result, created)
    return result


def mark_invoice_paid(inv: Obj, now: int) -> None:
    inv.update(
        amount_paid=inv["amount_due"],
        amount_remaining=0,
        attempt_count=inv["attempt_count"] + 1,
        attempted=True,
        next_payment_attempt=None,
        paid=True,
        status="paid",
    )
    inv["status_transitions"]["paid_at"] = now


def mark_invoice_failed(inv: Obj, now: int) -> None:
    inv.update(
        attempt_count=inv["attempt_count"] + 1,
        attempted=True,
        next_payment_attempt=now + 3 * 86_400,  # Stripe's Smart Retries try again a few days later
        paid=False,
        status="open",
    )


def portal_session(*, created: int, base_url: str, customer_id: str, return_url: str | None, configuration: str) -> Obj:
    object_id = new_id("bps")
    return stripe_object(
        "billing_portal.session",
        {
            "id": object_id,
            "object": "billing_portal.session",
            "configuration": configuration,
            "created": created,
            "customer": customer_id,
            "flow": None,
            "livemode": False,
            "locale": None,
            "on_behalf_of": None,
            "return_url": return_url,
            "url": f"{base_url}/portal/{object_id}",
        },
    )


def webhook_endpoint(
    *,
    created: int,
    url: str,
    enabled_events: list[str],
    description: str | None,
    metadata: dict[str, str],
    api_version: str | None,
    secret: str,
    object_id: str | None = None,
) -> Obj:
    return stripe_object(
        "webhook_endpoint",
        {
            "id": object_id or new_id("we"),
            "object": "webhook_endpoint",
            "api_version": api_version,
            "application": None,
            "created": created,
            "description": description,
            "enabled_events": enabled_events,
            "livemode": False,
            "metadata": metadata,
            "secret": secret,
            "status": "enabled",
            "url": url,
        },
    )


def event(
    *,
    created: int,
    event_type: str,
    data_object: Obj,
    previous_attributes: Obj | None,
    api_version: str,
    pending_webhooks: int,
    request_id: str | None,
    idempotency_key: str | None,
) -> Obj:
    data: Obj = {"object": data_object}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return stripe_object(
        "event",
        {
            "id": new_id("evt"),
            "object": "event",
            "api_version": api_version,
            "created": created,
            "data": data,
            "livemode": False,
            "pending_webhooks": pending_webhooks,
            "request": {"id": request_id, "idempotency_key": idempotency_key},
            "type": event_type,
        },
    )
