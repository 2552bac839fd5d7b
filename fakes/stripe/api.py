"""The ``/v1/`` endpoints: parameter checking the way Stripe does it, then a call into the state.

Each handler receives an :class:`ApiCall` (already authenticated, parameters parsed from Stripe's
bracket notation, the account lock held) and returns the response object. Errors are raised as
:class:`~fakes.stripe.errors.StripeApiError`. Endpoints refuse parameters Stripe does not know,
accept-and-ignore real Stripe parameters the fake does not model, and refuse clearly the few real
ones whose meaning the fake cannot honour (e.g. trials), so the app never gets a silently wrong answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fakes.core.http import Request
from fakes.stripe.errors import invalid_request, missing_param, no_such
from fakes.stripe.expand import line_items_list
from fakes.stripe.objects import Obj, invoice_subscription, list_object
from fakes.stripe.params import Params, merge_metadata, to_integer
from fakes.stripe.state import LineItemRequest, Origin, StateConflict, StripeState, public_copy


@dataclass
class ApiCall:
    request: Request
    params: Params
    state: StripeState
    origin: Origin
    base_url: str

    def path_param(self, name: str) -> str:
        return self.request.path_params[name]


ApiHandler = Callable[[ApiCall], Obj]


# -- shared checks ----------------------------------------------------------------------------------
def _url(params: Params, name: str, *, required: bool = False) -> str | None:
    value = params.string(name, required=required, max_length=5000)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid_request(
            f"Not a valid URL: {name} must be an absolute http(s) URL, got {value!r}.", param=name, code="url_invalid"
        )
    return value


def _email(params: Params, name: str) -> str | None:
    value = params.string(name, max_length=512)
    if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise invalid_request(f"Invalid email address: {value}", param=name, code="email_invalid")
    return value


def _created_metadata(params: Params) -> dict[str, str]:
    # On create an empty value means "no key", the same as on update.
    return merge_metadata({}, params.metadata() or {})


def paginate(call: ApiCall, url: str, items: list[Obj], *, hide: tuple[str, ...] = ()) -> Obj:
    """Stripe list semantics: newest first, ``limit`` (1-100, default 10), ``starting_after``/``ending_before``."""
    params = call.params
    limit = params.integer("limit", minimum=1, maximum=100) or 10
    newest = list(reversed(items))
    ids = [item["id"] for item in newest]
    after, before = params.string("starting_after"), params.string("ending_before")
    if after is not None and before is not None:
        raise invalid_request(
            "You may only specify one of these parameters: starting_after, ending_before.", param="ending_before"
        )
    if after is not None:
        if after not in ids:
            raise no_such("object", after, param="starting_after")
        remaining = newest[ids.index(after) + 1 :]
        page, has_more = remaining[:limit], len(remaining) > limit
    elif before is not None:
        if before not in ids:
            raise no_such("object", before, param="ending_before")
        remaining = newest[: ids.index(before)]
        page, has_more = remaining[-limit:], len(remaining) > limit
    else:
        page, has_more = newest[:limit], len(newest) > limit
    return list_object(url, [public_copy(item, hide=hide) for item in page], has_more=has_more)


LIST_PARAMS = ("limit", "starting_after", "ending_before")


# -- customers ----------------------------------------------------------------------------------------
CUSTOMER_IGNORED = (
    "address",
    "balance",
    "cash_balance",
    "invoice_prefix",
    "invoice_settings",
    "next_invoice_sequence",
    "payment_method",
    "preferred_locales",
    "shipping",
    "source",
    "tax",
    "tax_exempt",
    "tax_id_data",
    "test_clock",
)


def create_customer(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown({"email", "name", "description", "phone", "metadata", *CUSTOMER_IGNORED})
    return call.state.create_customer(
        email=_email(p, "email"),
        name=p.string("name", max_length=256),
        description=p.string("description"),
        phone=p.string("phone", max_length=20),
        metadata=_created_metadata(p),
    )


def retrieve_customer(call: ApiCall) -> Obj:
    call.params.reject_unknown(())
    return call.state.customer(call.path_param("id"))


def update_customer(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown({"email", "name", "description", "phone", "metadata", *CUSTOMER_IGNORED})
    customer = call.state.customer(call.path_param("id"))
    changes: dict[str, Any] = {}
    for name in ("name", "description", "phone"):
        if name in p:
            changes[name] = p.string(name)
    if "email" in p:
        changes["email"] = _email(p, "email")
    metadata = p.metadata()
    customer.update(changes)
    if metadata is not None:
        customer["metadata"] = merge_metadata(customer["metadata"], metadata)
    return customer


def list_customers(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown({*LIST_PARAMS, "email", "created", "test_clock"})
    email = p.string("email")
    items = [c for c in call.state.customers.values() if email is None or c["email"] == email]
    return paginate(call, "/v1/customers", items)


# -- prices and products --------------------------------------------------------------------------
def retrieve_price(call: ApiCall) -> Obj:
    call.params.reject_unknown(())
    return call.state.price(call.path_param("id"))


def list_prices(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown({*LIST_PARAMS, "active", "currency", "lookup_keys", "product", "type", "recurring", "created"})
    active, currency, product = p.boolean("active"), p.string("currency"), p.string("product")
    lookup_keys, price_type = p.string_list("lookup_keys"), p.string("type")
    recurring = p.hash("recurring") or {}
    items = [
        price
        for price in call.state.prices.values()
        if (active is None or price["active"] == active)
        and (currency is None or price["currency"] == currency)
        and (product is None or price["product"] == product)
        and (lookup_keys is None or price["lookup_key"] in lookup_keys)
        and (price_type is None or price["type"] == price_type)
        and ("interval" not in recurring or price["recurring"]["interval"] == recurring["interval"])
    ]
    # Catalog order reads naturally (first configured = first listed); reverse so paginate keeps it.
    return paginate(call, "/v1/prices", list(reversed(items)))


def retrieve_product(call: ApiCall) -> Obj:
    call.params.reject_unknown(())
    return call.state.product(call.path_param("id"))


# -- checkout sessions ------------------------------------------------------------------------------
CHECKOUT_IGNORED = (
    "adaptive_pricing",
    "after_expiration",
    "allow_promotion_codes",
    "automatic_tax",
    "billing_address_collection",
    "branding_settings",
    "consent_collection",
    "currency",
    "custom_fields",
    "custom_text",
    "customer_creation",
    "customer_update",
    "discounts",
    "excluded_payment_method_types",
    "invoice_creation",
    "locale",
    "name_collection",
    "optional_items",
    "origin_context",
    "payment_method_collection",
    "payment_method_configuration",
    "payment_method_options",
    "payment_method_types",
    "permissions",
    "phone_number_collection",
    "saved_payment_method_options",
    "shipping_address_collection",
    "shipping_options",
    "submit_type",
    "tax_id_collection",
    "wallet_options",
)
CHECKOUT_PARAMS = (
    "mode",
    "line_items",
    "success_url",
    "cancel_url",
    "client_reference_id",
    "customer",
    "customer_email",
    "metadata",
    "subscription_data",
    "expires_at",
    "ui_mode",
)
SUBSCRIPTION_DATA_UNSUPPORTED = ("trial_period_days", "trial_end", "trial_settings", "billing_cycle_anchor")


def _line_items(p: Params) -> list[LineItemRequest]:
    raw = p.object_list("line_items")
    if not raw:
        raise invalid_request(
            "You must provide at least one recurring price in `subscription` mode when using prices.",
            param="line_items",
        )
    if len(raw) > 1:
        raise invalid_request("The Stripe fake supports exactly one line item per Checkout Session.", param="line_items")
    items = []
    for index, item in enumerate(raw):
        name = f"line_items[{index}]"
        if "price_data" in item:
            raise invalid_request(
                "The Stripe fake does not support price_data; use a catalog price.", param=f"{name}[price_data]"
            )
        price = item.get("price")
        if not isinstance(price, str) or not price:
            raise missing_param(f"{name}[price]")
        quantity = to_integer(item.get("quantity"), f"{name}[quantity]", minimum=1, maximum=999_999)
        if quantity is None:
            raise missing_param(f"{name}[quantity]")
        items.append(LineItemRequest(price, quantity))
    return items


def create_checkout_session(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown({*CHECKOUT_PARAMS, *CHECKOUT_IGNORED})
    mode = p.string("mode", required=True)
    if mode not in ("payment", "setup", "subscription"):
        raise invalid_request(
            f"Invalid mode: must be one of payment, setup, or subscription (got {mode!r}).",
            param="mode",
            code="parameter_invalid_string",
        )
    if mode != "subscription":
        raise invalid_request("The Stripe fake supports mode=subscription only.", param="mode")
    ui_mode = p.string("ui_mode")
    if ui_mode not in (None, "hosted", "hosted_page"):  # "hosted" is the name before API version 2026-10-28
        raise invalid_request("The Stripe fake supports ui_mode=hosted_page only.", param="ui_mode")
    line_items = _line_items(p)
    success_url, cancel_url = _url(p, "success_url"), _url(p, "cancel_url")
    customer, customer_email = p.string("customer"), _email(p, "customer_email")
    if customer is not None and customer_email is not None:
        raise invalid_request(
            "You may only specify one of these parameters: customer, customer_email.", param="customer_email"
        )
    subscription_data = p.hash("subscription_data") or {}
    for unsupported in SUBSCRIPTION_DATA_UNSUPPORTED:
        if unsupported in subscription_data:
            raise invalid_request(
                f"The Stripe fake does not model trials or anchors: subscription_data[{unsupported}] is not supported.",
                param=f"subscription_data[{unsupported}]",
            )
    subscription_metadata = merge_metadata({}, Params(subscription_data).metadata() or {})
    expires_at = p.integer("expires_at")
    now = call.state.now()
    if expires_at is not None and not now + 1800 <= expires_at <= now + 86_400:
        raise invalid_request("expires_at must be between 30 minutes and 24 hours from now.", param="expires_at")
    session = call.state.create_checkout_session(
        base_url=call.base_url,
        line_items=line_items,
        success_url=success_url,
        cancel_url=cancel_url,
        client_reference_id=p.string("client_reference_id", max_length=200),
        customer_id=customer,
        customer_email=customer_email,
        metadata=_created_metadata(p),
        subscription_metadata=subscription_metadata,
        create_params=p.data,
    )
    if expires_at is not None:
        session["expires_at"] = expires_at
    return session


def _session_virtuals(state: StripeState) -> dict[tuple[str, str], Callable[[Obj], Any]]:
    return {("checkout.session", "line_items"): lambda s: line_items_list(s, state.session_records[s["id"]].line_items)}


def retrieve_checkout_session(call: ApiCall) -> Obj:
    call.params.reject_unknown(())
    return call.state.session(call.path_param("id"))


def expire_checkout_session(call: ApiCall) -> Obj:
    call.params.reject_unknown(())
    return call.state.expire_checkout_session(call.path_param("id"), call.origin)


def list_checkout_sessions(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown(
        {*LIST_PARAMS, "customer", "customer_details", "status", "subscription", "created", "payment_intent", "payment_link"}
    )
    customer, status, subscription = p.string("customer"), p.string("status"), p.string("subscription")
    items = [
        s
        for s in call.state.sessions.values()
        if (customer is None or s["customer"] == customer)
        and (status is None or s["status"] == status)
        and (subscription is None or s["subscription"] == subscription)
    ]
    return paginate(call, "/v1/checkout/sessions", items)


def list_checkout_line_items(call: ApiCall) -> Obj:
    call.params.reject_unknown(LIST_PARAMS)
    session = call.state.session(call.path_param("id"))
    items = call.state.session_records[session["id"]].line_items
    return paginate(call, f"/v1/checkout/sessions/{session['id']}/line_items", list(reversed(items)))


# -- subscriptions ---------------------------------------------------------------------------------
SUBSCRIPTION_UPDATE_IGNORED = (
    "proration_behavior",
    "proration_date",
    "payment_behavior",
    "off_session",
    "default_payment_method",
    "collection_method",
    "cancellation_details",
)


def retrieve_subscription(call: ApiCall) -> Obj:
    call.params.reject_unknown(())
    return call.state.subscription(call.path_param("id"))


def update_subscription(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown({"cancel_at_period_end", "metadata", "description", "items", "cancel_at", *SUBSCRIPTION_UPDATE_IGNORED})
    if "items" in p or "cancel_at" in p:
        raise invalid_request(
            "The Stripe fake does not support changing items or cancel_at; "
            "use cancel_at_period_end or DELETE /v1/subscriptions/{id}.",
            param="items" if "items" in p else "cancel_at",
        )
    return call.state.update_subscription(
        call.path_param("id"),
        cancel_at_period_end=p.boolean("cancel_at_period_end"),
        metadata=p.metadata(),
        # An empty description unsets it (Stripe's rule for optional strings).
        description=(p.string("description", max_length=500) or "") if "description" in p else None,
        origin=call.origin,
    )


def cancel_subscription(call: ApiCall) -> Obj:
    call.params.reject_unknown({"invoice_now", "prorate", "cancellation_details"})
    try:
        return call.state.cancel_subscription(call.path_param("id"), call.origin)
    except StateConflict as conflict:
        raise invalid_request(f"{conflict}.") from conflict


def list_subscriptions(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown(
        {
            *LIST_PARAMS,
            "customer",
            "price",
            "status",
            "created",
            "current_period_end",
            "current_period_start",
            "collection_method",
            "test_clock",
            "automatic_tax",
        }
    )
    customer, price, status = p.string("customer"), p.string("price"), p.string("status")
    items = [
        s
        for s in call.state.subscriptions.values()
        if (customer is None or s["customer"] == customer)
        and (price is None or s["items"]["data"][0]["price"]["id"] == price)
        # Stripe leaves canceled subscriptions out unless status=canceled or status=all.
        and (s["status"] == status if status not in (None, "all") else status == "all" or s["status"] != "canceled")
    ]
    return paginate(call, "/v1/subscriptions", items)


# -- invoices ---------------------------------------------------------------------------------------
def retrieve_invoice(call: ApiCall) -> Obj:
    call.params.reject_unknown(())
    return call.state.invoice(call.path_param("id"))


def list_invoices(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown({*LIST_PARAMS, "customer", "subscription", "status", "created", "collection_method"})
    customer, subscription, status = p.string("customer"), p.string("subscription"), p.string("status")
    items = [
        i
        for i in call.state.invoices.values()
        if (customer is None or i["customer"] == customer)
        and (subscription is None or invoice_subscription(i) == subscription)
        and (status is None or i["status"] == status)
    ]
    return paginate(call, "/v1/invoices", items)


# -- billing portal ---------------------------------------------------------------------------------
def create_portal_session(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown({"customer", "return_url", "configuration", "flow_data", "locale", "on_behalf_of"})
    if "flow_data" in p:
        raise invalid_request("The Stripe fake does not support portal flows (flow_data).", param="flow_data")
    customer = p.string("customer", required=True)
    assert customer is not None
    return call.state.create_portal_session(base_url=call.base_url, customer_id=customer, return_url=_url(p, "return_url"))


# -- events -----------------------------------------------------------------------------------------
def retrieve_event(call: ApiCall) -> Obj:
    call.params.reject_unknown(())
    return call.state.event(call.path_param("id"))


def _type_matches(event_type: str, wanted: str) -> bool:
    # Stripe allows one trailing wildcard: ``type=customer.subscription.*``.
    if wanted.endswith(".*"):
        return event_type.startswith(wanted[:-1])
    return event_type == wanted


def list_events(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown({*LIST_PARAMS, "type", "types", "created", "delivery_success"})
    wanted_type, wanted_types = p.string("type"), p.string_list("types")
    if wanted_type is not None and wanted_types is not None:
        raise invalid_request("You may only specify one of these parameters: type, types.", param="types")
    wanted = [wanted_type] if wanted_type else wanted_types
    items = [e for e in call.state.events if wanted is None or any(_type_matches(e["type"], w) for w in wanted)]
    return paginate(call, "/v1/events", items)


# -- webhook endpoints ------------------------------------------------------------------------------
_EVENT_TYPE = re.compile(r"^(\*|[a-z_0-9]+(\.[a-z_0-9]+)*(\.\*)?)$")


def _enabled_events(p: Params, *, required: bool) -> list[str] | None:
    events = p.string_list("enabled_events")
    if events is None:
        if required:
            raise missing_param("enabled_events")
        return None
    for index, name in enumerate(events):
        if not _EVENT_TYPE.match(name):
            raise invalid_request(
                f"Invalid enabled_events[{index}]: {name!r} is not an event type.", param=f"enabled_events[{index}]"
            )
    return events


WEBHOOK_ENDPOINT_IGNORED = ("connect", "application")


def create_webhook_endpoint(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown({"url", "enabled_events", "description", "metadata", "api_version", *WEBHOOK_ENDPOINT_IGNORED})
    url = _url(p, "url", required=True)
    assert url is not None
    enabled = _enabled_events(p, required=True)
    assert enabled is not None
    # The secret is only ever returned here, at creation — as in Stripe.
    return call.state.create_webhook_endpoint(
        url=url,
        enabled_events=enabled,
        description=p.string("description"),
        metadata=_created_metadata(p),
        api_version=p.string("api_version"),
    )


def retrieve_webhook_endpoint(call: ApiCall) -> Obj:
    call.params.reject_unknown(())
    return public_copy(call.state.webhook_endpoint(call.path_param("id")), hide=("secret",))


def update_webhook_endpoint(call: ApiCall) -> Obj:
    p = call.params
    p.reject_unknown({"url", "enabled_events", "description", "metadata", "disabled"})
    endpoint = call.state.webhook_endpoint(call.path_param("id"))
    url, enabled, disabled = _url(p, "url"), _enabled_events(p, required=False), p.boolean("disabled")
    metadata, description = p.metadata(), p.string("description")
    if url is not None:
        endpoint["url"] = url
    if enabled is not None:
        endpoint["enabled_events"] = enabled
    if "description" in p:
        endpoint["description"] = description
    if metadata is not None:
        endpoint["metadata"] = merge_metadata(endpoint["metadata"], metadata)
    if disabled is not None:
        endpoint["status"] = "disabled" if disabled else "enabled"
    return public_copy(endpoint, hide=("secret",))


def delete_webhook_endpoint(call: ApiCall) -> Obj:
    call.params.reject_unknown(())
    return call.state.delete_webhook_endpoint(call.path_param("id"))


def list_webhook_endpoints(call: ApiCall) -> Obj:
    call.params.reject_unknown(LIST_PARAMS)
    return paginate(call, "/v1/webhook_endpoints", list(call.state.webhook_endpoints.values()), hide=("secret",))


_ID = r"(?P<id>[^/]+)"

#: (method, path pattern, handler). Patterns are full matches on the request path.
ROUTES: list[tuple[str, str, ApiHandler]] = [
    ("POST", r"/v1/customers", create_customer),
    ("GET", r"/v1/customers", list_customers),
    ("GET", rf"/v1/customers/{_ID}", retrieve_customer),
    ("POST", rf"/v1/customers/{_ID}", update_customer),
    ("GET", r"/v1/prices", list_prices),
    ("GET", rf"/v1/prices/{_ID}", retrieve_price),
    ("GET", rf"/v1/products/{_ID}", retrieve_product),
    ("POST", r"/v1/checkout/sessions", create_checkout_session),
    ("GET", r"/v1/checkout/sessions", list_checkout_sessions),
    ("GET", rf"/v1/checkout/sessions/{_ID}", retrieve_checkout_session),
    ("GET", rf"/v1/checkout/sessions/{_ID}/line_items", list_checkout_line_items),
    ("POST", rf"/v1/checkout/sessions/{_ID}/expire", expire_checkout_session),
    ("GET", r"/v1/subscriptions", list_subscriptions),
    ("GET", rf"/v1/subscriptions/{_ID}", retrieve_subscription),
    ("POST", rf"/v1/subscriptions/{_ID}", update_subscription),
    ("DELETE", rf"/v1/subscriptions/{_ID}", cancel_subscription),
    ("GET", r"/v1/invoices", list_invoices),
    ("GET", rf"/v1/invoices/{_ID}", retrieve_invoice),
    ("POST", r"/v1/billing_portal/sessions", create_portal_session),
    ("GET", r"/v1/events", list_events),
    ("GET", rf"/v1/events/{_ID}", retrieve_event),
    ("POST", r"/v1/webhook_endpoints", create_webhook_endpoint),
    ("GET", r"/v1/webhook_endpoints", list_webhook_endpoints),
    ("GET", rf"/v1/webhook_endpoints/{_ID}", retrieve_webhook_endpoint),
    ("POST", rf"/v1/webhook_endpoints/{_ID}", update_webhook_endpoint),
    ("DELETE", rf"/v1/webhook_endpoints/{_ID}", delete_webhook_endpoint),
]


def virtual_fields(state: StripeState) -> dict[tuple[str, str], Callable[[Obj], Any]]:
    """Fields that only exist when expanded (see :mod:`fakes.stripe.expand`)."""
    return _session_virtuals(state)


__all__ = ["ROUTES", "ApiCall", "ApiHandler", "virtual_fields"]
