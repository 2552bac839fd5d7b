"""Calendar connections and the shadow table of external busy time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, id_column, utcnow


class CalendarConnection(Base):
    """One tenant's link to an external calendar; tokens are secrets and never logged or shown."""

    __tablename__ = "calendar_connections"
    __table_args__ = (UniqueConstraint("tenant_id", "provider"),)

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16), default="google")  # google | jobber
    # Google: the calendar ("primary"); Jobber: the account id its webhooks name (accountId).
    calendar_id: Mapped[str] = mapped_column(String(255), default="primary")
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    sync_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    channel_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    channel_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel_resource_id: Mapped[str | None] = mapped_column(String(255), nullable=True)  # what stopping it names
    # When Google stops the push channel (tenant clock: now + the channel's lifetime at opening); renewed before.
    channel_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # connected | error (the last sync failed; `last_error` says why and the UI shows it until one succeeds)
    status: Mapped[str] = mapped_column(String(16), default="connected")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row; the retry delay doubles with each
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # tenant clock
    # When the poll next syncs (tenant clock): an interval after a success, sooner (jittered) after a failure.
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExternalBusy(Base):
    """A busy interval of an external calendar event (the shadow table)."""

    __tablename__ = "calendar_busy"
    __table_args__ = (
        UniqueConstraint("connection_id", "external_id"),
        Index("ix_calendar_busy_tenant_span", "tenant_id", "starts_at", "ends_at"),
    )

    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    connection_id: Mapped[str] = mapped_column(ForeignKey("calendar_connections.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16), default="google", server_default="google")  # the connection's
    external_id: Mapped[str] = mapped_column(String(1024))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    summary: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
