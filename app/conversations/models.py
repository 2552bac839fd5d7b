"""Conversation and message tables.

Timestamps in this domain are stamped with the TENANT CLOCK (tenancy.service.now), not the wall clock,
so auto-close, the 24-hour hold window and the reports move when an operator moves a tenant's clock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, id_column, utcnow


class Conversation(Base):
    """One thread with one customer on one of the tenant's numbers."""

    __tablename__ = "conversations"
    __table_args__ = (
        # One live (not closed) conversation per business number and customer: `live_key` holds
        # "business|customer" while live and NULL once closed; NULLs never collide on any database.
        UniqueConstraint("tenant_id", "live_key"),
        Index("ix_conversations_tenant_activity", "tenant_id", "last_activity_at"),
    )

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    customer_phone: Mapped[str] = mapped_column(String(20))
    business_phone: Mapped[str] = mapped_column(String(20))
    # open | human | blocked | closed; changed only through app.conversations.states.
    state: Mapped[str] = mapped_column(String(12), default="open")
    live_key: Mapped[str | None] = mapped_column(String(48), nullable=True)
    needs_attention: Mapped[bool] = mapped_column(Boolean, default=False)
    attention_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Message(Base):
    """A text in a thread. Outbound ones are rows first; the outbox worker sends them."""

    __tablename__ = "messages"
    __table_args__ = (
        # An automatic reply is written once per cause (e.g. "first-reply:CA..."), however often it runs.
        UniqueConstraint("tenant_id", "dedupe_key"),
        Index("ix_messages_conversation_created", "conversation_id", "created_at"),
        Index("ix_messages_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))  # inbound | outbound
    author: Mapped[str] = mapped_column(String(12))  # customer | assistant | human | system
    author_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    # inbound: received. outbound: held | queued | sending | sent | delivered | failed | undelivered
    # | dropped (held too long) | blocked (customer opted out before it went).
    status: Mapped[str] = mapped_column(String(16))
    provider_sid: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    keyword: Mapped[str | None] = mapped_column(String(8), nullable=True)  # STOP | START | HELP (inbound)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why failed/held/dropped
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
