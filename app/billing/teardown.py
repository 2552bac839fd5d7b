"""Billing's part of deleting a tenant: its Stripe subscriptions are canceled, so nobody is billed for it.

Registered with the operator's `@teardown` (imported by app/billing/api.py). The ids are read inside the
delete transaction, while the rows still exist; Stripe is called only after the delete committed, and a
failure there is logged with what to do by hand. It never holds up or undoes the delete.
"""

from __future__ import annotations

import logging

from app.billing import service
from app.billing.gateway import BillingNotConfigured, BillingProviderError, gateway_for
from app.operator.service import AfterDelete, TeardownContext, teardown

log = logging.getLogger("app.billing")

# Stripe statuses after which nothing is billed again; everything else (active, past_due, trialing,
# unpaid, incomplete, paused) could still charge the card or come back, so it is canceled.
FINAL_STATUSES = frozenset({"canceled", "incomplete_expired"})


@teardown
def cancel_stripe_subscriptions(ctx: TeardownContext) -> AfterDelete | None:
    """Cancels the deleted tenant's live subscriptions at Stripe (best effort, after the commit)."""
    subscription_ids = [s.stripe_subscription_id for s in service.subscriptions_of(db=ctx.db, tenant_id=ctx.tenant.id)
                        if s.status not in FINAL_STATUSES]
    if not subscription_ids:
        return None
    tenant_id, services = ctx.tenant.id, ctx.services

    def cancel() -> None:
        try:
            gateway = gateway_for(services)
        except BillingNotConfigured:
            log.warning("tenant deleted, but Stripe is not configured: cancel %s in the Stripe dashboard",
                        ", ".join(subscription_ids), extra={"tenant_id": tenant_id})
            return
        for subscription_id in subscription_ids:
            try:
                gateway.cancel_subscription(subscription_id=subscription_id)
            except BillingProviderError as exc:
                log.warning("tenant deleted, but Stripe did not cancel %s (%s): cancel it in the Stripe dashboard",
                            subscription_id, exc, extra={"tenant_id": tenant_id})
                continue
            log.info("subscription %s canceled at Stripe: its tenant was deleted", subscription_id,
                     extra={"tenant_id": tenant_id})

    return cancel
