"""Outbox handlers of the calendars domain.

CalendarChanged v1 {connection_id, reason: connected | webhook, attempt}: sync the connection (after a
Google connect, open the push channel first; Jobber's webhooks are set per app, nothing to open).
A provider outage is shown on the connection and retried with
jittered backoff up to RETRY_LIMIT times; the poll carries on after that.
CalendarPushRequested v1 {appointment_id, connection_id}: write the appointment to the external calendar
under its own event id (a repeat is a no-op); outages are retried by the outbox's backoff.
"""

from __future__ import annotations

from app.calendars import google
from app.calendars import service as calendars_service
from app.calendars.models import CalendarConnection
from app.outbox import service as outbox_service
from app.outbox.models import OutboxEvent
from app.outbox.worker import PermanentFailure
from app.scheduling.models import Appointment


@outbox_service.handles(calendars_service.CALENDAR_CHANGED)
def on_calendar_changed(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
    connection = ctx.db.get(CalendarConnection, event.payload["connection_id"])
    if connection is None or connection.tenant_id != event.tenant_id:
        return  # disconnected or deleted with its tenant
    settings = ctx.services.settings
    attempt = int(event.payload.get("attempt", 1))
    try:
        if event.payload.get("reason") == "connected" and connection.provider == calendars_service.GOOGLE:
            calendars_service.start_watch(db=ctx.db, settings=settings, connection=connection)
        calendars_service.sync(db=ctx.db, settings=settings, connection=connection)
    except google.CalendarError as error:
        reloaded = calendars_service.rollback_keeping_tokens(db=ctx.db, connection=connection)
        if reloaded is None:
            return
        connection = reloaded
        delay = calendars_service.record_failure(db=ctx.db, settings=settings, connection=connection, error=error)
        if isinstance(error, google.CalendarUnavailable) and attempt < calendars_service.RETRY_LIMIT:
            calendars_service.request_sync(db=ctx.db, connection=connection, reason=event.payload["reason"],
                                           attempt=attempt + 1, delay_seconds=delay)


@outbox_service.handles(calendars_service.CALENDAR_PUSH_REQUESTED)
def on_push_requested(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
    connection = ctx.db.get(CalendarConnection, event.payload["connection_id"])
    appointment = ctx.db.get(Appointment, event.payload["appointment_id"])
    if connection is None or appointment is None or appointment.tenant_id != event.tenant_id:
        return
    stored = (connection.access_token, connection.refresh_token)
    try:
        calendars_service.push(settings=ctx.services.settings, connection=connection, appointment=appointment)
    except google.CalendarRefused as error:
        raise PermanentFailure(str(error)) from error
    except google.CalendarUnavailable:
        if (connection.access_token, connection.refresh_token) == stored:
            raise  # the outbox retries with jittered backoff; the event id / idempotency key keeps it single
        # The tokens were refreshed before the failure (Jobber rotates refresh tokens): raising would roll the
        # new ones back and lose the connection, so they are kept and the push is asked for again, later.
        calendars_service.requeue_push(db=ctx.db, settings=ctx.services.settings, tenant_id=event.tenant_id,
                                       payload=dict(event.payload), attempt=event.attempts or 1)
