"""Twilio webhooks: calls, texts, delivery status, brand (compliance) status.

Each one is verified (403 otherwise, nothing stored), routed to a tenant by our number (unknown number, or
a tenant deleted while the webhook was handled: 200, nothing done, a WARN line), stored once in
`webhook_events` and applied in the same transaction, so a replay (5x, concurrent or not) changes nothing
and emits no second outbox event. Twilio gets an empty TwiML answer: texts go out through the REST API via
the outbox, never in the webhook response.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api_errors import error_responses
from app.compliance import service as compliance_service
from app.conversations import service as conversations_service
from app.deps import AppSettings, DbSession
from app.errors import BadRequest
from app.logs import current_tenant_id
from app.telephony import service as telephony_service
from app.telephony.classification import is_missed_call
from app.telephony.signature import VerifiedWebhook, verified_webhook
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

log = logging.getLogger("app.telephony")

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])
Verified = Annotated[VerifiedWebhook, Depends(verified_webhook)]
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def webhook_route(path: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """router.post, documented for /openapi.json: a form Twilio signs in, TwiML out, 400 and 403 refusals."""
    return router.post(
        path, response_class=Response,
        responses={200: {"description": "Empty TwiML", "content": {"text/xml": {"schema": {"type": "string"}}}},
                   **error_responses(400, 403)},
        openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
            "schema": {"type": "object", "additionalProperties": {"type": "string"}}}}}},
    )


def twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


def _required(params: dict[str, str], *names: str) -> list[str]:
    missing = [name for name in names if not params.get(name)]
    if missing:
        raise BadRequest(f"webhook is missing {', '.join(missing)}", code="webhook_incomplete")
    return [params[name] for name in names]


def _tenant_for(db: Session, number: str, kind: str) -> Tenant | None:
    tenant = tenancy_service.tenant_for_number(db=db, e164=number)
    if tenant is None:
        log.warning("%s webhook for a number no tenant owns (%s): ignored", kind, number,
                    extra={"kind": kind, "number": number})
        return None
    current_tenant_id.set(tenant.id)
    return tenant


def _ingest(
    db: Session, hook: VerifiedWebhook, *, tenant_id: str, kind: str, provider_ref: str, apply: Callable[[], None]
) -> bool:
    """Stores the webhook and applies it in one transaction; False (and no change) for a replay.

    The caller has routed it to a tenant it holds against deletion (an ephemeral tenant's teardown races
    its last delivery receipts), so nothing stored here can lose its tenant halfway."""
    key = telephony_service.dedupe_key(kind=kind, params=hook.params, idempotency_token=hook.idempotency_token)
    if not telephony_service.record_webhook(db=db, tenant_id=tenant_id, kind=kind, key=key,
                                            provider_ref=provider_ref, payload=hook.params):
        db.rollback()
        log.info("%s webhook replayed (%s): already handled", kind, key, extra={"kind": kind})
        return False
    apply()
    db.commit()
    return True


@webhook_route("/voice-status")
def voice_status(hook: Verified, db: DbSession, settings: AppSettings) -> Response:
    """Call status callbacks: a missed call (table in app/telephony/classification.py) starts a conversation."""
    call_sid, call_status, to, caller = _required(hook.params, "CallSid", "CallStatus", "To", "From")
    tenant = _tenant_for(db, to, "voice-status")
    if tenant is None:
        return twiml()
    duration = hook.params.get("CallDuration", "")
    missed = is_missed_call(call_status, duration_seconds=int(duration) if duration.isdigit() else None,
                            short_completed_seconds=settings.missed_call_short_completed_seconds)

    def apply() -> None:
        if not missed:
            return
        if not tenancy_service.E164.match(caller):
            log.info("missed call from a withheld or invalid number (%s): nobody to text", caller)
            return
        conversations_service.record_missed_call(db=db, tenant=tenant, customer_phone=caller, business_phone=to,
                                                 call_sid=call_sid, call_status=call_status.lower())

    if _ingest(db, hook, tenant_id=tenant.id, kind="voice-status", provider_ref=call_sid, apply=apply):
        log.info("call %s: %s (%s)", call_sid, call_status, "missed" if missed else "not missed",
                 extra={"call_status": call_status})
    return twiml()


@webhook_route("/sms")
def inbound_sms(hook: Verified, db: DbSession) -> Response:
    """A customer's text."""
    message_sid, to, sender = _required(hook.params, "MessageSid", "To", "From")
    body = hook.params.get("Body", "")
    tenant = _tenant_for(db, to, "sms")
    if tenant is None:
        return twiml()

    def apply() -> None:
        if not tenancy_service.E164.match(sender):
            # Short codes, alphanumeric sender ids, garbage: nobody the assistant could (or should) answer.
            log.info("text from a sender that is not an E.164 number (%s): stored, no conversation", sender[:32])
            return
        conversations_service.record_inbound_message(db=db, tenant=tenant, customer_phone=sender, business_phone=to,
                                                     body=body, provider_sid=message_sid)

    _ingest(db, hook, tenant_id=tenant.id, kind="sms", provider_ref=message_sid, apply=apply)
    return twiml()


@webhook_route("/message-status")
def message_status(hook: Verified, db: DbSession) -> Response:
    """Delivery status of a text we sent; routed by our number (From). Only moves a status forward."""
    message_sid, status, sender = _required(hook.params, "MessageSid", "MessageStatus", "From")
    tenant = _tenant_for(db, sender, "message-status")
    if tenant is None:
        return twiml()

    def apply() -> None:
        conversations_service.apply_delivery_status(db=db, tenant_id=tenant.id, provider_sid=message_sid,
                                                    status=status, error_code=hook.params.get("ErrorCode") or None)

    _ingest(db, hook, tenant_id=tenant.id, kind="message-status", provider_ref=message_sid, apply=apply)
    return twiml()


@webhook_route("/compliance")
def compliance_status(hook: Verified, db: DbSession) -> Response:
    """Brand registration status (APPROVED / FAILED ...); routed by the brand SID we stored on submission."""
    brand_sid, status = _required(hook.params, "BrandRegistrationSid", "Status")
    registration = compliance_service.registration_for_brand(db=db, brand_sid=brand_sid)
    if registration is None:
        log.warning("compliance webhook for an unknown brand (%s): ignored", brand_sid, extra={"brand_sid": brand_sid})
        return twiml()
    if not tenancy_service.hold_against_deletion(db=db, tenant_id=registration.tenant_id):
        log.warning("compliance webhook for a tenant deleted meanwhile (%s): ignored", brand_sid,
                    extra={"brand_sid": brand_sid})
        return twiml()
    current_tenant_id.set(registration.tenant_id)
    known = compliance_service.compliance_status_for(status) is not None

    def apply() -> None:
        if not known:
            log.warning("brand %s reported an unknown status %r: stored, nothing changed", brand_sid, status)
            return
        compliance_service.apply_brand_status(db=db, registration=registration, provider_status=status,
                                              failure_reason=hook.params.get("FailureReason"))

    _ingest(db, hook, tenant_id=registration.tenant_id, kind="compliance", provider_ref=brand_sid, apply=apply)
    return twiml()
