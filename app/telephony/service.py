"""Storing verified webhooks once, and finding them again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import upsert_insert
from app.telephony.models import WebhookEvent

# The provider ids (and status) that identify one event of each kind when Twilio sent no idempotency token.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "voice-status": ("CallSid", "CallStatus"),
    "sms": ("MessageSid",),
    "message-status": ("MessageSid", "MessageStatus"),
    "compliance": ("BrandRegistrationSid", "Status"),
}


def dedupe_key(*, kind: str, params: Mapping[str, str], idempotency_token: str | None) -> str:
    """"token:<I-Twilio-Idempotency-Token>" when present, else "<kind>:<provider ids>:<status>"."""
    token = (idempotency_token or "").strip()
    if token:
        return f"token:{token}"[:200]
    parts = [params.get(name, "") for name in NATURAL_KEYS[kind]]
    return f"{kind}:{':'.join(parts)}"[:200]


def record_webhook(
    *, db: Session, tenant_id: str, kind: str, key: str, provider_ref: str | None, payload: Mapping[str, Any]
) -> bool:
    """Stores the webhook; False when the same one was stored before (or is being stored right now).

    One statement: ``INSERT ... ON CONFLICT (provider, dedupe_key) DO NOTHING RETURNING id``. A row comes
    back only when this call stored it; on PostgreSQL a concurrent replay waits on the unique index for
    the first delivery's transaction and then inserts nothing (or inserts, if that one rolled back).
    """
    statement = (
        upsert_insert(db, WebhookEvent)
        .values(tenant_id=tenant_id, provider="twilio", kind=kind, dedupe_key=key, provider_ref=provider_ref,
                payload=dict(payload))
        .on_conflict_do_nothing(index_elements=["provider", "dedupe_key"])
        .returning(WebhookEvent.id)
    )
    return db.scalar(statement) is not None


def stored_payloads(*, db: Session, tenant_id: str, kind: str, provider_ref: str) -> list[dict[str, Any]]:
    """Payloads of the stored webhooks of one kind about one provider object, oldest first."""
    rows = db.scalars(select(WebhookEvent).where(WebhookEvent.tenant_id == tenant_id, WebhookEvent.kind == kind,
                                                 WebhookEvent.provider_ref == provider_ref)
                      .order_by(WebhookEvent.received_at, WebhookEvent.id))
    return [dict(row.payload) for row in rows]


def events_of(*, db: Session, tenant_id: str, kind: str | None = None) -> list[WebhookEvent]:
    query = select(WebhookEvent).where(WebhookEvent.tenant_id == tenant_id)
    if kind:
        query = query.where(WebhookEvent.kind == kind)
    return list(db.scalars(query.order_by(WebhookEvent.received_at, WebhookEvent.id)))
