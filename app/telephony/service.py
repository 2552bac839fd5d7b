"""Storing verified webhooks once, and finding them again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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
    """Stores the webhook; False when the same one was stored before (or is being stored right now)."""
    if db.scalar(select(WebhookEvent.id).where(WebhookEvent.provider == "twilio", WebhookEvent.dedupe_key == key)):
        return False
    savepoint = db.begin_nested()
    db.add(WebhookEvent(tenant_id=tenant_id, provider="twilio", kind=kind, dedupe_key=key,
                        provider_ref=provider_ref, payload=dict(payload)))
    try:
        savepoint.commit()
    except IntegrityError:
        # A concurrent replay committed first (PostgreSQL waits for it on the unique index).
        savepoint.rollback()
        return False
    return True


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
