"""First-response tracker tables: raw signals, computed latencies, daily rollups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, id_column, utcnow


class ResponseSignal(Base):
    """Something that starts (a missed call, an inbound text) or ends (the first outbound) a wait.

    Signals may arrive in any order; latencies are recomputed from all of a conversation's signals.
    """

    __tablename__ = "report_response_signals"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source_key"),
        Index("ix_report_response_signals_conversation", "tenant_id", "conversation_id"),
    )

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))  # trigger | response
    source_key: Mapped[str] = mapped_column(String(120))  # e.g. "call:CA...", "message:<id>"
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FirstResponse(Base):
    """One wait: from its trigger to the first outbound after it (NULL while unanswered)."""

    __tablename__ = "report_first_responses"
    __table_args__ = (
        UniqueConstraint("tenant_id", "conversation_id", "trigger_at"),
        Index("ix_report_first_responses_day", "tenant_id", "day"),
    )

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(32))
    trigger_at: Mapped[datetime] = mapped_column(UTCDateTime())
    day: Mapped[date] = mapped_column(Date)  # the trigger's date in the tenant's time zone
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    latency_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)


class FirstResponseDaily(Base):
    """p50/p95 first-response latency of one tenant-local day, upserted whenever its data changes."""

    __tablename__ = "report_first_response_daily"
    __table_args__ = (UniqueConstraint("tenant_id", "day"),)

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    unanswered: Mapped[int] = mapped_column(Integer, default=0)
    p50_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    p95_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
