"""The catalog table: one row per service a tenant sells."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, id_column, utcnow

# Bounds, enforced by the service (clear 422s) and again by CHECK constraints (no way around them).
MIN_PRICE_CENTS = 1
MAX_PRICE_CENTS = 10_000_000  # $100,000
MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 480  # one working day
DURATION_STEP_MINUTES = 15  # the scheduling block size
MIN_PRIORITY = 0
MAX_PRIORITY = 100


class CatalogItem(Base):
    __tablename__ = "catalog_items"
    __table_args__ = (
        # Unique per tenant, case- and whitespace-insensitively ("Leak Repair" == "leak  repair").
        UniqueConstraint("tenant_id", "name_key"),
        CheckConstraint(f"price_cents BETWEEN {MIN_PRICE_CENTS} AND {MAX_PRICE_CENTS}", name="price_bounds"),
        CheckConstraint(
            f"duration_minutes BETWEEN {MIN_DURATION_MINUTES} AND {MAX_DURATION_MINUTES}"
            f" AND duration_minutes % {DURATION_STEP_MINUTES} = 0",
            name="duration_bounds",
        ),
    )

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    price_cents: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
