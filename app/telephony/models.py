"""The record of every verified provider webhook, stored once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, id_column, utcnow


class WebhookEvent(Base):
    """One webhook as first received. A replay finds its `dedupe_key` taken and changes nothing."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "dedupe_key"),)

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16), default="twilio")
    kind: Mapped[str] = mapped_column(String(24))  # voice-status | sms | message-status | compliance
    # "token:<I-Twilio-Idempotency-Token>" when Twilio sent one, else "<kind>:<provider ids>:<status>".
    dedupe_key: Mapped[str] = mapped_column(String(200))
    # The provider object the webhook is about (CallSid, MessageSid, BrandRegistrationSid).
    provider_ref: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
