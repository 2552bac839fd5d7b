"""Outbox handlers of the scheduling domain: the booking confirmation SMS.

Also asks app/calendars to write the appointment to the tenant's external calendar (when one is connected).

AppointmentBooked (schema_version 1) payload: appointment_id, conversation_id (or null), starts_at
(ISO UTC), service_name, price_cents. The confirmation goes through conversations.service.queue_outbound
(outbox row, compliance gate, opt-out, retries with backoff), so a provider timeout never touches the
booking: the appointment is already committed, and only the SMS is retried.
"""

from __future__ import annotations

import logging

from app.calendars import service as calendars_service
from app.outbox import service as outbox_service
from app.outbox.models import OutboxEvent
from app.scheduling import service as scheduling_service
from app.scheduling.models import Appointment
from app.tenancy import service as tenancy_service

log = logging.getLogger("app.scheduling")


@outbox_service.handles(scheduling_service.APPOINTMENT_BOOKED)
def send_booking_confirmation(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
    """Queues the confirmation SMS once per appointment (the marker commits with the queued message)."""
    from app.conversations import service as conversations_service  # late: messaging imports scheduling's peers

    appointment = ctx.db.get(Appointment, event.payload.get("appointment_id", ""))
    if appointment is None or appointment.tenant_id != event.tenant_id:
        return  # deleted with its tenant
    calendars_service.queue_push(db=ctx.db, appointment=appointment)  # to the external calendar, if connected
    if appointment.confirmation_queued_at is not None:
        return  # already confirmed (a redelivery, or the SMS "YES" reply was the confirmation)
    if not appointment.conversation_id:
        log.info("appointment %s has no conversation: no confirmation SMS", appointment.id,
                 extra={"tenant_id": appointment.tenant_id})
        return
    tenant = tenancy_service.get(db=ctx.db, tenant_id=appointment.tenant_id)
    conversations_service.queue_outbound(
        db=ctx.db, tenant_id=tenant.id, conversation_id=appointment.conversation_id,
        body=scheduling_service.confirmation_text(appointment=appointment, tenant=tenant), author="assistant",
        dedupe_key=f"booking-confirmation:{appointment.id}",
    )
    scheduling_service.mark_confirmation_queued(db=ctx.db, appointment=appointment)
