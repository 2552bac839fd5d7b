"""Outbox handler of reporting: recompute a conversation's waits and its days' rollups."""

from __future__ import annotations

from app.errors import NotFound
from app.outbox.models import OutboxEvent
from app.outbox.service import HandlerContext, handles
from app.outbox.worker import PermanentFailure
from app.reporting import events
from app.reporting import service as reporting_service
from app.tenancy import service as tenancy_service


@handles(events.RESPONSE_SIGNAL_RECORDED)
def on_response_signal(event: OutboxEvent, ctx: HandlerContext) -> None:
    try:
        tenant = tenancy_service.get(db=ctx.db, tenant_id=event.tenant_id or "")
    except NotFound as exc:
        raise PermanentFailure("tenant no longer exists") from exc
    reporting_service.recompute_conversation(db=ctx.db, tenant=tenant, conversation_id=event.payload["conversation_id"])
