"""Scheduling tables: holds, appointments, and the occupied blocks that make double booking impossible.

The calendar is cut into 15-minute blocks (UTC-aligned; every real time zone offset is a multiple of
15 minutes, so they are aligned locally too). A hold or an appointment writes one `occupied_blocks`
row per block it covers, in the same transaction, and (tenant_id, block_start) is UNIQUE: whatever
the code does, two live reservations cannot cover the same block on SQLite or PostgreSQL.

A hold's blocks carry the hold's `expires_at`; an expired hold's blocks are ignored when searching
and deleted by whoever reserves that time next. Booking a hold hands its blocks to the appointment
(expires_at cleared) in one UPDATE that also checks the hold has not expired.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, id_column, utcnow

BLOCK_MINUTES = 15
HOLD_TTL_MINUTES = 15


class HoldStatus:
    HELD = "held"
    BOOKED = "booked"
    RELEASED = "released"


class Hold(Base):
    """A slot reserved for a customer for HOLD_TTL_MINUTES on the tenant clock, with the quote snapshot."""

    __tablename__ = "scheduling_holds"

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # Catalog item and booking link are other domains: referenced by id, never joined.
    catalog_item_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    service_name: Mapped[str] = mapped_column(String(120))
    price_cents: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default=HoldStatus.HELD)
    customer_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    conversation_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    booking_link_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    source: Mapped[str] = mapped_column(String(12), default="api")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Appointment(Base):
    """A booked job. Price, name and duration are snapshots: later catalog changes do not rewrite revenue."""

    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_appointments_tenant_starts", "tenant_id", "starts_at"),
    )

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # One appointment per hold: booking the same hold twice returns the first appointment.
    hold_id: Mapped[str | None] = mapped_column(
        ForeignKey("scheduling_holds.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    catalog_item_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    service_name: Mapped[str] = mapped_column(String(120))
    price_cents: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    customer_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    customer_name: Mapped[str] = mapped_column(String(120), default="")
    conversation_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    booking_link_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source: Mapped[str] = mapped_column(String(12), default="api")
    status: Mapped[str] = mapped_column(String(12), default="booked")
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Set by the AppointmentBooked handler in the same transaction as the SMS it queues: never twice.
    confirmation_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OccupiedBlock(Base):
    """One 15-minute block taken by a live hold or an appointment. THE double-booking guard."""

    __tablename__ = "occupied_blocks"
    __table_args__ = (
        UniqueConstraint("tenant_id", "block_start"),
        CheckConstraint("(hold_id IS NULL) <> (appointment_id IS NULL)", name="one_owner"),
    )

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    block_start: Mapped[datetime] = mapped_column(UTCDateTime())
    hold_id: Mapped[str | None] = mapped_column(
        ForeignKey("scheduling_holds.id", ondelete="CASCADE"), nullable=True, index=True
    )
    appointment_id: Mapped[str | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # Copied from the hold; NULL once an appointment owns the block (appointments do not expire).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
