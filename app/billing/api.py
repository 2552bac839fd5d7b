"""Billing JSON API (`/api/v1/billing`, owner only) and the Stripe webhook (`POST /webhooks/stripe`)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field

from app.billing import service
from app.billing import teardown as _teardown  # noqa: F401  registers the operator teardown (cancel at Stripe)
from app.billing.views import banner_for, request_gateway
from app.deps import AppSettings, DbSession, OwnerAuth

log = logging.getLogger("app.billing")

router = APIRouter(prefix="/api/v1/billing", tags=["billing"])
webhook_router = APIRouter(tags=["webhooks"])


async def raw_body(request: Request) -> bytes:
    """The exact request bytes: Stripe's signature covers them, not a re-encoded JSON."""
    return await request.body()


class ErrorBody(BaseModel):
    detail: Any
    code: str


class ProviderErrorBody(ErrorBody):
    retryable: bool = Field(description="True when the same request may succeed later (Stripe was unavailable)")


OWNER_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in"},
    403: {"model": ErrorBody, "description": "Not the business owner, or a missing CSRF token (cookie sessions)"},
}

BillingState = Literal["none", "active", "past_due", "canceled"]


class SubscriptionOut(BaseModel):
    id: str = Field(description="Stripe subscription id")
    status: str = Field(description="Stripe's status of the subscription")
    current_period_end: datetime | None
    cancel_at_period_end: bool


class BannerOut(BaseModel):
    level: Literal["info", "warning", "danger", "success"]
    message: str
    link_text: str
    link_path: str
    state: BillingState


class BillingStatus(BaseModel):
    state: BillingState
    subscription: SubscriptionOut | None
    can_subscribe: bool = Field(description="False while a plan is active or past due (manage it in the portal)")
    has_customer: bool = Field(description="True once the business has a Stripe customer (the portal works)")
    banner: BannerOut


class CheckoutOut(BaseModel):
    session_id: str
    url: str = Field(description="Stripe's hosted checkout page; send the user there")


class PortalOut(BaseModel):
    url: str = Field(description="Stripe's billing portal for this business")


class WebhookAck(BaseModel):
    received: bool
    duplicate: bool = Field(description="The event was received before; nothing changed")
    ignored: bool = Field(False, description="The event names no tenant of ours; acknowledged, not stored")


@router.get("/status", response_model=BillingStatus, responses=OWNER_ERRORS)
def billing_status(db: DbSession, auth: OwnerAuth) -> BillingStatus:
    """The business's plan as last reported by Stripe's webhooks (the success page polls this)."""
    tenant = auth.tenant
    current = service.current_subscription(db=db, tenant_id=tenant.id)
    banner = banner_for(tenant, is_owner=True)
    return BillingStatus(
        state=banner.state,  # normalised to a BillingState by banner_for
        subscription=SubscriptionOut(
            id=current.stripe_subscription_id, status=current.status,
            current_period_end=current.current_period_end, cancel_at_period_end=current.cancel_at_period_end,
        ) if current else None,
        can_subscribe=tenant.billing_state not in service.SUBSCRIBED_STATES,
        has_customer=service.customer_id_of(db=db, tenant_id=tenant.id) is not None,
        banner=BannerOut(level=banner.level, message=banner.message, link_text=banner.link_text,
                         link_path=banner.link_path, state=banner.state),
    )


@router.post(
    "/checkout",
    status_code=201,
    response_model=CheckoutOut,
    responses={
        **OWNER_ERRORS,
        409: {"model": ErrorBody, "description": "A plan is already active or past due"},
        422: {"model": ErrorBody, "description": "Malformed Idempotency-Key"},
        502: {"model": ProviderErrorBody, "description": "Stripe failed; nothing was created or charged"},
        503: {"model": ProviderErrorBody, "description": "Billing is not configured on this server"},
    },
)
def create_checkout(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    auth: OwnerAuth,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", pattern=r"^[A-Za-z0-9_-]{8,64}$",
               description="Repeat it to get the same checkout session back (e.g. after a timeout)"),
    ] = None,
) -> CheckoutOut:
    """Starts Stripe Checkout for the business's plan (mode subscription, client_reference_id = tenant id)."""
    session = service.start_checkout(db=db, settings=settings, gateway=request_gateway(request), tenant=auth.tenant,
                                     attempt_key=idempotency_key)
    return CheckoutOut(session_id=session.id, url=session.url)


@router.post(
    "/portal",
    status_code=201,
    response_model=PortalOut,
    responses={
        **OWNER_ERRORS,
        409: {"model": ErrorBody, "description": "The business has no Stripe customer yet"},
        502: {"model": ProviderErrorBody, "description": "Stripe failed"},
        503: {"model": ProviderErrorBody, "description": "Billing is not configured on this server"},
    },
)
def create_portal(request: Request, db: DbSession, settings: AppSettings, auth: OwnerAuth) -> PortalOut:
    """Opens Stripe's billing portal (update card, invoices, cancel) for the business's customer."""
    url = service.open_portal(db=db, settings=settings, gateway=request_gateway(request), tenant=auth.tenant)
    return PortalOut(url=url)


@webhook_router.post(
    "/webhooks/stripe",
    response_model=WebhookAck,
    responses={400: {"model": ErrorBody, "description": "Missing or bad Stripe-Signature, or not a Stripe event"}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}},
)
def stripe_webhook(
    payload: Annotated[bytes, Depends(raw_body)],
    db: DbSession,
    settings: AppSettings,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> WebhookAck:
    """Stripe's events: verified with the endpoint secret, stored once per event id, mirrored by the worker."""
    event = service.verify_webhook(payload=payload, signature=stripe_signature, secret=settings.stripe_webhook_secret)
    outcome = service.record_webhook_event(db=db, event=event)
    db.commit()
    if outcome == "duplicate":
        log.info("stripe event %s delivered again; ignored", event["id"])
    return WebhookAck(received=True, duplicate=outcome == "duplicate", ignored=outcome == "ignored")
