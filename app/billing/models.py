"""Billing tables: the mirror of each Stripe subscription, and every Stripe webhook event received."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, id_column, utcnow


class BillSubscription(Base):
    """One Stripe subscription of a tenant, as Stripe last reported it."""

    __tablename__ = "bill_subscriptions"

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    stripe_subscription_id: Mapped[str] = mapped_column(String(255), unique=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    # Stripe's own status (active, past_due, unpaid, canceled, incomplete, trialing...), unmapped.
    status: Mapped[str] = mapped_column(String(32))
    price_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    # The newest event that made us look at this subscription (its `created`, Stripe's clock).
    last_event_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_event_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StripeWebhookEvent(Base):
    """A verified Stripe event of one of our tenants, stored once by its id: replays find this row and stop.

    Events that name no tenant are not stored at all (see `service.record_webhook_event`), so every row
    has a tenant and goes with it. The column stays nullable only because the 0004 migration made it so.
    """

    __tablename__ = "stripe_webhook_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # Stripe's event id, evt_...
    tenant_id: Mapped[str | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=True
    )
    event_type: Mapped[str] = mapped_column(String(100))
    event_created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # What processing did with it, for people reading the table ("mirrored sub_... active", "ignored: ...").
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
