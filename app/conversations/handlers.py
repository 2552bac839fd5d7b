"""Outbox handlers of the conversations domain (imported by app/handlers.py so every worker has them).

Each is idempotent: delivery is at least once, and every write below is keyed (dedupe keys, status checks).
"""

from __future__ import annotations

from app.compliance import events as compliance_events
from app.conversations import events, sender
from app.conversations import service as conversations_service
from app.conversations.message_templates import TemplateError
from app.errors import NotFound
from app.outbox.models import OutboxEvent
from app.outbox.service import HandlerContext, handles
from app.outbox.worker import PermanentFailure
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant


def _tenant(event: OutboxEvent, ctx: HandlerContext) -> Tenant:
    if not event.tenant_id:
        raise PermanentFailure(f"{event.event_type} without a tenant")
    try:
        return tenancy_service.get(db=ctx.db, tenant_id=event.tenant_id)
    except NotFound as exc:
        raise PermanentFailure(f"tenant {event.tenant_id} no longer exists") from exc


@handles(events.MISSED_CALL_DETECTED)
def on_missed_call(event: OutboxEvent, ctx: HandlerContext) -> None:
    tenant = _tenant(event, ctx)
    try:
        conversations_service.send_first_reply(db=ctx.db, tenant=tenant, conversation_id=event.payload["conversation_id"],
                                               call_sid=event.payload["call_sid"])
    except TemplateError as exc:  # retrying cannot fill a missing variable
        raise PermanentFailure(str(exc)) from exc


@handles(events.INBOUND_MESSAGE_RECEIVED)
def on_inbound_message(event: OutboxEvent, ctx: HandlerContext) -> None:
    tenant = _tenant(event, ctx)
    try:
        conversations_service.reply_to_inbound(db=ctx.db, tenant=tenant, message_id=event.payload["message_id"],
                                               settings=ctx.services.settings)
    except TemplateError as exc:
        raise PermanentFailure(str(exc)) from exc


@handles(events.OUTBOUND_MESSAGE_QUEUED)
def on_outbound_queued(event: OutboxEvent, ctx: HandlerContext) -> None:
    tenant = _tenant(event, ctx)
    sender.send_queued_message(
        db=ctx.db, tenant=tenant, message_id=event.payload["message_id"], telephony=ctx.services.telephony,
        settings=ctx.services.settings, previous_attempts=event.attempts, queued_at=event.created_at,
    )


@handles(compliance_events.COMPLIANCE_STATUS_CHANGED)
def on_compliance_status_changed(event: OutboxEvent, ctx: HandlerContext) -> None:
    """Approval releases held texts (younger than 24 h on the tenant clock); older ones are dropped with a note."""
    if event.payload.get("status") != "approved":
        return
    conversations_service.release_held_messages(db=ctx.db, tenant=_tenant(event, ctx))
