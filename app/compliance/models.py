"""Brand registrations and the opt-out ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, id_column, utcnow


class ComplianceRegistration(Base):
    """A business registration submitted to Twilio as an A2P brand. The newest one is the current one."""

    __tablename__ = "compliance_registrations"

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    ein: Mapped[str] = mapped_column(String(10))
    website: Mapped[str] = mapped_column(String(300))
    use_case: Mapped[str] = mapped_column(String(40))
    brand_sid: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | rejected
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    submitted_by: Mapped[str] = mapped_column(String(16), default="owner")  # owner | operator
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OptOut(Base):
    """Whether a customer currently refuses texts from this tenant (the ledger's latest word)."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_phone"),)

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    customer_phone: Mapped[str] = mapped_column(String(20))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=True)
    keyword: Mapped[str] = mapped_column(String(16))  # the word the customer sent last (STOP, START...)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OptOutEvent(Base):
    """Append-only ledger: every opt-out and opt-in, with the word and when (tenant clock)."""

    __tablename__ = "opt_out_events"

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    customer_phone: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(8))  # opt_out | opt_in
    keyword: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
