"""Billing pages (owner only), the billing banner every page shows, and the Billing nav entry.

Forms post and redirect (303). A failed Stripe call never renders an error status: it redirects back to
/billing with an error *code* in the query, and the page shows the matching message (codes only, so
nothing a link carries is ever echoed into the page).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.billing import service
from app.billing.gateway import BillingGateway, BillingNotConfigured, gateway_for
from app.deps import AppSettings, DbSession, OwnerAuth
from app.errors import AppError
from app.tenancy.models import Tenant
from app.ui import banners, nav
from app.ui.banners import Banner
from app.ui.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
nav.register("Billing", "/billing", order=80, owner_only=True)

STATE_LABELS = {"none": "No plan", "active": "Active", "past_due": "Past due", "canceled": "Canceled"}

# What the billing page says for each error code a redirect can carry.
ERROR_MESSAGES = {
    "stripe_unavailable": service.RETRY_MESSAGE,
    "stripe_rejected": "Stripe refused to start checkout, so nothing was charged. Please try again; "
                       "if it keeps happening, contact support.",
    "billing_not_configured": service.NOT_CONFIGURED_MESSAGE,
    "already_subscribed": "This business already has a plan. Use “Manage billing” to change it.",
    "portal_unavailable": "Stripe is not answering right now, so the billing portal could not open. Please try again.",
    "no_customer": "There is no Stripe customer for this business yet: subscribe first.",
}
SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")


def banner_for(tenant: Tenant, is_owner: bool) -> Banner:
    """The billing banner for the tenant's state; only owners get the link, since only they can act on it."""
    state = tenant.billing_state if tenant.billing_state in service.BILLING_STATES else "none"
    level: Any
    if state == "active":
        level, message, link_text = "success", "Your NeverMissCall plan is active.", ""
    elif state == "past_due":
        level, message, link_text = "warning", "Payment failed — update your card", "Update card"
    elif state == "canceled":
        level, message, link_text = "danger", "Your plan is canceled — subscribe again to keep texting back callers", \
            "Subscribe again"
    else:
        level, message, link_text = "info", "No plan yet — subscribe to keep texting back callers", "Choose a plan"
    show_link = is_owner and bool(link_text)
    return Banner(test_id="billing-banner", level=level, message=message, state=state,
                  link_text=link_text if show_link else "", link_path="/billing" if show_link else "")


@banners.register
def billing_banners(db: Session, tenant: Tenant, is_owner: bool) -> list[Banner]:
    return [banner_for(tenant, is_owner)]


def request_gateway(request: Request) -> BillingGateway | None:
    """The app's Stripe gateway, or None when billing is not configured."""
    try:
        return gateway_for(request.app.state)
    except BillingNotConfigured:
        return None


def _local_date(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%B} {local.day}, {local.year}"


def _back_to_billing(code: str) -> Response:
    return RedirectResponse(f"/billing?error={code}", status_code=303)


@router.get("/billing")
def billing_page(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    auth: OwnerAuth,
    canceled: Annotated[str | None, Query(max_length=8)] = None,
    error: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    tenant = auth.tenant
    state = tenant.billing_state
    subscription = service.current_subscription(db=db, tenant_id=tenant.id)
    period_end = subscription.current_period_end if subscription else None
    context = {
        "state": state,
        "state_label": STATE_LABELS.get(state, state),
        "subscription": subscription,
        # In the business's own time zone: "Renews on March 3, 2027".
        "period_end_text": _local_date(period_end, tenant.timezone) if period_end else "",
        "has_customer": service.customer_id_of(db=db, tenant_id=tenant.id) is not None,
        "can_subscribe": state not in service.SUBSCRIBED_STATES,
        # Said up front, instead of a Subscribe button that can only fail.
        "billing_configured": service.is_configured(settings=settings, gateway=request_gateway(request)),
        "not_configured_message": service.NOT_CONFIGURED_MESSAGE,
        "attempt_key": service.new_attempt_key(),
        "error": ERROR_MESSAGES.get(error or ""),
        "checkout_canceled": canceled == "1",
    }
    return render(request, "billing/index.html", context)


@router.post("/billing/checkout")
def checkout(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    auth: OwnerAuth,
    attempt: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    """Subscribe: straight to Stripe's hosted checkout, or back to the billing page with a message."""
    if attempt is not None and not service.ATTEMPT_KEY.match(attempt):
        attempt = None  # a mangled form still gets a checkout, just without double-submit protection
    try:
        session = service.start_checkout(db=db, settings=settings, gateway=request_gateway(request),
                                         tenant=auth.tenant, attempt_key=attempt)
    except AppError as exc:
        return _back_to_billing(exc.code if exc.code in ERROR_MESSAGES else "stripe_rejected")
    return RedirectResponse(session.url, status_code=303)


@router.post("/billing/portal")
def portal(request: Request, db: DbSession, settings: AppSettings, auth: OwnerAuth) -> Response:
    """Manage billing: Stripe's billing portal for the tenant's customer."""
    try:
        url = service.open_portal(db=db, settings=settings, gateway=request_gateway(request), tenant=auth.tenant)
    except AppError as exc:
        code = exc.code if exc.code in ("no_customer", "billing_not_configured") else "portal_unavailable"
        return _back_to_billing(code)
    return RedirectResponse(url, status_code=303)


@router.get("/billing/success")
def checkout_success(
    request: Request,
    auth: OwnerAuth,
    session_id: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    """Where Stripe sends the owner after paying. The webhook may not have arrived yet: the page polls."""
    state = auth.tenant.billing_state
    context = {
        "state": state,
        "state_label": STATE_LABELS.get(state, state),
        # Only shown as a reference; the state always comes from our mirror of Stripe's webhooks.
        "session_id": session_id if session_id and SESSION_ID.match(session_id) else None,
    }
    return render(request, "billing/success.html", context)
