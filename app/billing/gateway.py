"""The seam between billing and Stripe: the few calls the app makes, through the official `stripe` SDK.

`StripeGateway` is a thin wrapper around `stripe.StripeClient`; pointing it at the local fake is only
`STRIPE_API_BASE`. It returns plain dataclasses and raises `BillingProviderError` (with `retryable`), so
the service never handles SDK types. Webhook verification lives in `service.verify_webhook`, because
it needs no client at all (`stripe.Webhook.construct_event`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import stripe

from app.settings import Settings

log = logging.getLogger("app.billing.gateway")

# Seconds a Stripe call may take before the user is told to try again (the SDK's default is 80).
HTTP_TIMEOUT_SECONDS = 10.0
# One retry of a 5xx/connection error inside the SDK: every create carries an Idempotency-Key, so a retry
# can never create a second session.
MAX_NETWORK_RETRIES = 1


class BillingProviderError(Exception):
    """Stripe did not do what we asked. `retryable` is True for outages (5xx, timeouts, rate limits)."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.code = code


class BillingNotConfigured(BillingProviderError):
    """STRIPE_API_KEY is empty: nothing can be bought, but the rest of the app works."""

    def __init__(self) -> None:
        super().__init__("Billing is not configured (STRIPE_API_KEY is empty).", retryable=False)


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


@dataclass(frozen=True)
class SubscriptionSnapshot:
    """A subscription as Stripe reports it right now."""

    id: str
    customer_id: str | None
    status: str
    price_id: str | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    metadata: dict[str, str]


class BillingGateway(Protocol):
    """What billing needs from a payments provider."""

    def create_checkout_session(
        self,
        *,
        tenant_id: str,
        price_id: str,
        success_url: str,
        cancel_url: str,
        customer_id: str | None,
        idempotency_key: str,
    ) -> CheckoutSession: ...

    def create_portal_session(self, *, customer_id: str, return_url: str) -> str: ...

    def retrieve_subscription(self, *, subscription_id: str) -> SubscriptionSnapshot | None: ...

    def cancel_subscription(self, *, subscription_id: str) -> None: ...


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if isinstance(value, int | float) and value else None


def snapshot_from(data: dict[str, Any]) -> SubscriptionSnapshot:
    """Reads a subscription object (a plain dict, as in API responses and webhook payloads)."""
    items = ((data.get("items") or {}).get("data") or [])
    first_item = items[0] if items else {}
    price = first_item.get("price") or {}
    # API versions since 2025-03 keep the period on the item; older ones on the subscription.
    period_end = data.get("current_period_end") or first_item.get("current_period_end")
    customer = data.get("customer")
    if isinstance(customer, dict):  # expanded
        customer = customer.get("id")
    return SubscriptionSnapshot(
        id=str(data["id"]),
        customer_id=str(customer) if customer else None,
        status=str(data.get("status") or ""),
        price_id=str(price.get("id")) if isinstance(price, dict) and price.get("id") else None,
        current_period_end=_timestamp(period_end),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
    )


def _translate(exc: stripe.StripeError, action: str) -> BillingProviderError:
    """SDK error -> our error; 5xx, connection trouble, rate limits and lock conflicts are worth a retry."""
    status = exc.http_status
    retryable = isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
        status is not None and (status >= 500 or status == 409)
    )
    message = f"Stripe could not {action}: {exc.user_message or exc}"
    log.warning("stripe call failed: %s (status=%s, retryable=%s)", message, status, retryable)
    return BillingProviderError(message, retryable=retryable, status=status, code=exc.code)


class StripeGateway:
    """Talks to Stripe (or the fake at STRIPE_API_BASE) with the official SDK."""

    def __init__(self, settings: Settings) -> None:
        if not settings.stripe_api_key:
            raise BillingNotConfigured()
        api_base = settings.stripe_api_base.rstrip("/") or None  # None: the real api.stripe.com
        self.client = stripe.StripeClient(
            settings.stripe_api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=HTTP_TIMEOUT_SECONDS),
        )

    def create_checkout_session(
        self,
        *,
        tenant_id: str,
        price_id: str,
        success_url: str,
        cancel_url: str,
        customer_id: str | None,
        idempotency_key: str,
    ) -> CheckoutSession:
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [{"price": price_id, "quantity": 1}],
            "client_reference_id": tenant_id,
            "metadata": {"tenant_id": tenant_id},
            # On the subscription too, so its own events name the tenant even if they overtake the session's.
            "subscription_data": {"metadata": {"tenant_id": tenant_id}},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if customer_id:
            params["customer"] = customer_id  # a returning customer keeps one Stripe customer
        try:
            session = self.client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _translate(exc, "start checkout") from exc
        if not session.url:
            raise BillingProviderError("Stripe returned a checkout session without a URL", retryable=True)
        return CheckoutSession(id=session.id, url=session.url)

    def create_portal_session(self, *, customer_id: str, return_url: str) -> str:
        try:
            session = self.client.v1.billing_portal.sessions.create(
                params={"customer": customer_id, "return_url": return_url}
            )
        except stripe.StripeError as exc:
            raise _translate(exc, "open the billing portal") from exc
        return str(session.url)

    def retrieve_subscription(self, *, subscription_id: str) -> SubscriptionSnapshot | None:
        try:
            subscription = self.client.v1.subscriptions.retrieve(subscription_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return None
            raise _translate(exc, "look up the subscription") from exc
        except stripe.StripeError as exc:
            raise _translate(exc, "look up the subscription") from exc
        return snapshot_from(subscription.to_dict())

    def cancel_subscription(self, *, subscription_id: str) -> None:
        """Cancels now (no proration, no final invoice); a subscription Stripe no longer has is already gone."""
        try:
            self.client.v1.subscriptions.cancel(subscription_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return
            raise _translate(exc, "cancel the subscription") from exc
        except stripe.StripeError as exc:
            raise _translate(exc, "cancel the subscription") from exc


def gateway_for(services: Any) -> BillingGateway:
    """The gateway kept on `app.state` (or a worker's services), built from its settings on first use.

    Tests put their own on `app.state.billing_gateway` before the first request.
    """
    gateway: BillingGateway | None = getattr(services, "billing_gateway", None)
    if gateway is None:
        gateway = StripeGateway(services.settings)
        services.billing_gateway = gateway
    return gateway
