"""Booking links: the quote a customer was sent and the token of their public booking page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, id_column, utcnow

LINK_TTL_HOURS = 72


class BookingLink(Base):
    """A quote for one customer: what, for how much, which slots were offered, where they got it."""

    __tablename__ = "booking_links"

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # Unguessable (128 bits); the only credential of the public page.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    conversation_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    customer_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Quote snapshot: the customer is held to the price they were told.
    catalog_item_id: Mapped[str] = mapped_column(String(32))
    service_name: Mapped[str] = mapped_column(String(120))
    price_cents: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    job_description: Mapped[str] = mapped_column(String(500), default="")
    # The slots last offered by SMS (ISO UTC), so a reply "2" means the second of them.
    offered_starts: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The hold a reply "YES" (or the page's Confirm) books.
    pending_hold_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    appointment_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
