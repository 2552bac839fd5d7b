"""Sending one queued text through the provider, exactly once (the OutboundMessageQueued handler's body).

Why no retry can text the customer twice:
- a provider 5xx, a refused connection or a timeout *before* Twilio accepted the request created
  nothing there; the worker retries later with backoff;
- a timeout *after* Twilio accepted it is indistinguishable from the above for us, so every retry first
  asks the provider for a message it already created for this pair with this body (since the text was
  queued) and adopts its SID instead of sending again;
- a permanent refusal (4xx such as an invalid number or an opted-out recipient) is not retried.
A text that keeps failing ends `failed` with the reason on the last attempt, visible in the thread.

The attempt is recorded (status `sending`, `send_attempts` + 1) and COMMITTED before the provider is
called, on purpose, unlike the rest of the handler's writes: a worker killed after Twilio accepted the
text but before the final commit leaves that marker behind, so the next run looks at Twilio before
sending instead of texting the customer twice. It also means no database transaction (on SQLite: the
write lock) stays open while we wait for Twilio.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.compliance import service as compliance_service
from app.conversations import service as conversations_service
from app.conversations.models import Message
from app.providers import SentMessage, Telephony, TelephonyNotConfigured
from app.reporting import service as reporting_service
from app.settings import Settings
from app.telephony import service as telephony_service
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

log = logging.getLogger("app.conversations.sender")

MESSAGE_STATUS_PATH = "/webhooks/twilio/message-status"


class SendFailed(Exception):
    """A transient failure; the outbox worker retries the event with backoff, not before retry_after_seconds."""

    def __init__(self, reason: str, *, retry_after_seconds: float = 0.0) -> None:
        super().__init__(reason)
        self.retry_after_seconds = retry_after_seconds


def status_callback_url(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/") + MESSAGE_STATUS_PATH


def classify_failure(exc: Exception) -> tuple[bool, str, str | None]:
    """(permanent?, reason for people, provider error code) for an exception raised while sending."""
    if isinstance(exc, TelephonyNotConfigured):
        return True, f"Not sent: {exc}.", None
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    detail = getattr(exc, "msg", None) or str(exc)
    if isinstance(status, int):
        code_text = str(code) if code is not None else None
        if 400 <= status < 500 and status not in (408, 409, 429):
            return True, f"Twilio refused the text: {detail}" + (f" (error {code})." if code else "."), code_text
        return False, f"Twilio answered {status}: {detail}", code_text
    return False, f"Could not reach Twilio: {type(exc).__name__}: {exc}", None


def send_queued_message(
    *,
    db: Session,
    tenant: Tenant,
    message_id: str,
    telephony: Telephony,
    settings: Settings,
    previous_attempts: int,
    queued_at: datetime,
) -> None:
    """Sends the message if it is still queued; raises SendFailed for the worker to retry."""
    message = db.get(Message, message_id)
    if message is None or message.tenant_id != tenant.id or message.provider_sid:
        return  # gone with its tenant, or already sent (a redelivered event)
    if message.status not in ("queued", "sending"):
        return  # no longer meant to go (held, blocked, failed...)
    conversation = conversations_service.get_conversation(db=db, tenant_id=tenant.id,
                                                          conversation_id=message.conversation_id)
    from_, to = conversation.business_phone, conversation.customer_phone
    attempted_before = previous_attempts > 0 or message.send_attempts > 0 or message.status == "sending"
    known_sids = _known_sids(db=db, message=message) if attempted_before else set()
    if attempted_before:
        # Twilio may have created it during an attempt we never heard back from: adopt, never resend.
        adopted = _already_created(telephony=telephony, message=message, from_=from_, to=to, queued_at=queued_at,
                                   known_sids=known_sids)
        if adopted is not None:
            log.info("adopting %s created by an earlier attempt", adopted.provider_sid,
                     extra={"tenant_id": tenant.id, "message_id": message.id})
            _accepted(db=db, tenant=tenant, message=message, sent=adopted)
            return
    now = tenancy_service.now(tenant=tenant)
    # The world may have changed since the text was queued: a STOP, or compliance revoked.
    if conversation.state == "blocked" or compliance_service.is_opted_out(db=db, tenant_id=tenant.id,
                                                                          customer_phone=to):
        _set(message, "blocked", "Not sent: the customer opted out (STOP).", now)
        return
    gate = compliance_service.outbound_gate(tenant=tenant)
    if gate is not None:
        _set(message, "held", f"Held: {gate.reason}", now)
        return

    message.send_attempts += 1
    attempt = message.send_attempts
    _set(message, "sending", message.status_reason, now)
    db.commit()  # the durable marker (see the module docstring); nothing is held open during the call
    try:
        sent = telephony.send_sms(from_=from_, to=to, body=message.body, status_callback=status_callback_url(settings))
    except Exception as exc:
        permanent, reason, code = classify_failure(exc)
        if permanent or attempt >= settings.outbox_max_attempts:
            message.error_code = code
            _set(message, "failed", reason if permanent else f"Not sent after {attempt} attempts. {reason}",
                 tenancy_service.now(tenant=tenant))
            log.warning("text failed for good: %s", reason, extra={"tenant_id": tenant.id, "message_id": message.id})
            return
        message.status_reason = f"Retrying: {reason}"
        db.commit()  # shown in the thread while the worker backs off
        # No HTTP answer (timeout, dropped connection): Twilio may still be creating the text. Looking for it
        # before that request has surely finished would miss it and send a second one, so wait it out first.
        in_flight = 0.0 if isinstance(getattr(exc, "status", None), int) else \
            float(getattr(telephony, "in_flight_grace_seconds", 0.0))
        raise SendFailed(reason, retry_after_seconds=in_flight) from exc
    _accepted(db=db, tenant=tenant, message=message, sent=sent)


def _set(message: Message, status: str, reason: str | None, now: datetime) -> None:
    message.status = status
    message.status_reason = reason
    message.status_changed_at = now


def _known_sids(*, db: Session, message: Message) -> set[str]:
    """Provider SIDs already recorded for this conversation (never adopted twice)."""
    return set(db.scalars(select(Message.provider_sid).where(Message.conversation_id == message.conversation_id,
                                                             Message.provider_sid.is_not(None))))


def _already_created(
    *, telephony: Telephony, message: Message, from_: str, to: str, queued_at: datetime, known_sids: set[str]
) -> SentMessage | None:
    try:
        return telephony.find_sent_message(from_=from_, to=to, body=message.body, created_after=queued_at,
                                           exclude_sids=known_sids)
    except Exception as exc:  # cannot tell whether it went: do not risk a second text, retry later
        raise SendFailed(f"Could not check Twilio for an earlier attempt: {type(exc).__name__}: {exc}") from exc


def _accepted(*, db: Session, tenant: Tenant, message: Message, sent: SentMessage) -> None:
    """Records the provider's SID, counts it as the response to the customer's wait, applies early callbacks."""
    now = tenancy_service.now(tenant=tenant)
    message.provider_sid = sent.provider_sid
    message.sent_at = now
    message.status_reason = None
    message.error_code = None
    _set(message, "queued", None, now)
    db.flush()
    conversations_service.apply_delivery_status(db=db, tenant_id=tenant.id, provider_sid=sent.provider_sid,
                                                status=sent.status)
    # Status callbacks that overtook this commit were stored by the webhook; apply them now, in order.
    for payload in telephony_service.stored_payloads(db=db, tenant_id=tenant.id, kind="message-status",
                                                     provider_ref=sent.provider_sid):
        conversations_service.apply_delivery_status(db=db, tenant_id=tenant.id, provider_sid=sent.provider_sid,
                                                    status=_str(payload.get("MessageStatus")),
                                                    error_code=_str(payload.get("ErrorCode")) or None)
    reporting_service.record_response(db=db, tenant=tenant, conversation_id=message.conversation_id,
                                      source_key=f"message:{message.id}", at=now)
    log.info("text accepted by the provider", extra={"tenant_id": tenant.id, "message_id": message.id,
                                                     "provider_sid": sent.provider_sid})


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
