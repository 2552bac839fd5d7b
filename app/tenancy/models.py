"""Tenant tables. Every tenant-owned table elsewhere points here with ON DELETE CASCADE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, id_column, utcnow


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    compliance_status: Mapped[str] = mapped_column(String(16), default="none")
    billing_state: Mapped[str] = mapped_column(String(16), default="none")
    ephemeral: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    business_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The tenant clock: now() for this tenant is the real time shifted by this many seconds.
    clock_offset_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PhoneNumber(Base):
    """A number the tenant texts from; each E.164 number belongs to exactly one tenant."""

    __tablename__ = "phone_numbers"

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(String(20), unique=True)
    provider_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
