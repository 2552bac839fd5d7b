"""Connecting an external calendar (Google Calendar or Jobber), mirroring its busy time into the shadow table,
and writing appointments to it. Google's own steps are here; Jobber's are in jobber_sync.py, run from here so
both share the outbox, the poll, the failure status and its jittered backoff.

Every "now" is the tenant clock (database time plus the tenant's offset), so a test can move a tenant past
its poll interval without waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import secrets
import time as _time
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.calendars import google, jobber, jobber_sync, token_box
from app.calendars.jobber_sync import JOBBER
from app.calendars.models import CalendarConnection, ExternalBusy
from app.db import Database, new_id
from app.outbox import service as outbox_service
from app.scheduling.models import Appointment
from app.settings import Settings
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

log = logging.getLogger("app.calendars")

GOOGLE = "google"
PROVIDER_NAMES = {GOOGLE: "Google Calendar", JOBBER: "Jobber"}
CALENDAR_CHANGED = "CalendarChanged"
CALENDAR_PUSH_REQUESTED = "CalendarPushRequested"
SCHEMA_VERSION = 1
# Google event ids are base32hex; ours are this prefix plus the appointment id (hex), so a retried insert
# of one appointment collides (409) instead of creating a second event, and the sync can skip our own events.
OWN_EVENT_PREFIX = "nmc"
CHANNEL_RENEW_BEFORE = timedelta(days=1)  # Google's channels live a week by default
RETRY_LIMIT = 5  # webhook-started syncs retried this often (jittered backoff); after that, the poll carries on
_rng = random.Random()  # nosec B311  # retry jitter, not a secret


# --- connecting -------------------------------------------------------------------------------------
def connect_state(*, settings: Settings, tenant_id: str, provider: str = GOOGLE) -> str:
    """The OAuth `state`: binds the round trip through the provider to the tenant (and provider) that started it."""
    purpose = "calendar-connect" if provider == GOOGLE else f"calendar-connect:{provider}"
    return hmac.new(settings.secret_key.encode(), f"{purpose}:{tenant_id}".encode(), hashlib.sha256).hexdigest()


def connection_for(*, db: Session, tenant_id: str, provider: str = GOOGLE) -> CalendarConnection | None:
    return db.scalar(select(CalendarConnection).where(CalendarConnection.tenant_id == tenant_id,
                                                      CalendarConnection.provider == provider))


def complete_jobber_connect(*, db: Session, settings: Settings, tenant: Tenant, code: str,
                            redirect_uri: str) -> CalendarConnection:
    """Exchanges the code, learns the Jobber account id (its webhooks name it) and stores the connection; the
    first sync follows through the outbox. Raises CalendarError."""
    tokens = jobber.exchange_code(settings=settings, code=code, redirect_uri=redirect_uri)
    account_id = jobber.JobberApi(settings=settings, access_token=tokens["access_token"]).account_id()
    connection = connection_for(db=db, tenant_id=tenant.id, provider=JOBBER)
    if connection is None:
        connection = CalendarConnection(  # nosec B106  # an empty placeholder, replaced on the next line
            tenant_id=tenant.id, provider=JOBBER, calendar_id=account_id, access_token="")
        db.add(connection)
    connection.calendar_id = account_id
    token_box.store(settings, connection, access_token=tokens["access_token"], refresh_token=tokens.get("refresh_token"))
    connection.status, connection.last_error, connection.failures = "connected", None, 0
    connection.next_poll_at = _poll_after(settings, tenancy_service.now(tenant=tenant))
    db.flush()
    request_sync(db=db, connection=connection, reason="connected")
    log.info("jobber connected", extra={"tenant_id": tenant.id})
    return connection


def jobber_connections(*, db: Session, account_id: str) -> list[CalendarConnection]:
    """The connections of a Jobber account (what a webhook's accountId names)."""
    return list(db.scalars(select(CalendarConnection).where(CalendarConnection.provider == JOBBER,
                                                            CalendarConnection.calendar_id == account_id)))


def complete_connect(*, db: Session, settings: Settings, tenant: Tenant, code: str, redirect_uri: str) -> CalendarConnection:
    """Exchanges the authorization code and stores the connection; the first sync and the push channel
    follow through the outbox. Raises google.CalendarError."""
    tokens = google.exchange_code(settings=settings, code=code, redirect_uri=redirect_uri)
    if not isinstance(tokens.get("access_token"), str):
        raise google.CalendarRefused("Google answered without an access token")
    connection = connection_for(db=db, tenant_id=tenant.id)
    if connection is None:
        connection = CalendarConnection(  # nosec B106  # an empty placeholder, replaced on the next line
            tenant_id=tenant.id, provider=GOOGLE, calendar_id="primary", access_token="")
        db.add(connection)
    token_box.store(settings, connection, access_token=tokens["access_token"], refresh_token=tokens.get("refresh_token"))
    connection.sync_token = None
    connection.channel_id = new_id()
    connection.channel_token = secrets.token_urlsafe(24)
    connection.status, connection.last_error, connection.failures = "connected", None, 0
    connection.next_poll_at = _poll_after(settings, tenancy_service.now(tenant=tenant))
    db.flush()
    request_sync(db=db, connection=connection, reason="connected")
    log.info("google calendar connected", extra={"tenant_id": tenant.id})
    return connection


def _poll_after(settings: Settings, moment: datetime) -> datetime:
    """When the poll next looks at a connection synced (or connected) at `moment`: an interval later. A new
    connection's first sync goes through the outbox; left unset, the poll would sync it too, at the same moment."""
    return moment + timedelta(seconds=settings.calendar_poll_interval_seconds)


def request_sync(*, db: Session, connection: CalendarConnection, reason: str, attempt: int = 1,
                 delay_seconds: float = 0.0) -> None:
    event = outbox_service.emit(db=db, event_type=CALENDAR_CHANGED, tenant_id=connection.tenant_id,
                                schema_version=SCHEMA_VERSION,
                                payload={"connection_id": connection.id, "reason": reason, "attempt": attempt})
    if delay_seconds:
        event.available_at = datetime.now(UTC) + timedelta(seconds=delay_seconds)


def start_watch(*, db: Session, settings: Settings, connection: CalendarConnection) -> None:
    """Opens Google's push channel to our webhook (its id and token are chosen before, and committed, so the
    channel's first message finds them) and notes when it expires."""
    opened = _gateway(settings, connection).watch(
        channel_id=connection.channel_id or "", token=connection.channel_token or "",
        address=f"{settings.public_base_url.rstrip('/')}/webhooks/google/calendar")
    connection.channel_resource_id = str(opened.get("resourceId") or "") or None
    expiration = str(opened.get("expiration") or "")
    if expiration.isdigit():
        # Google says when in real time; the connection keeps it on the tenant clock (the same, but for a
        # test's offset), so renewal is due when the channel's lifetime has passed on that clock.
        lifetime = int(expiration) / 1000 - _time.time()
        tenant = tenancy_service.get(db=db, tenant_id=connection.tenant_id)
        connection.channel_expires_at = tenancy_service.now(tenant=tenant) + timedelta(seconds=max(0.0, lifetime))
    else:
        connection.channel_expires_at = None  # Google did not say: nothing to renew
    db.flush()


def renewal_due_at(connection: CalendarConnection) -> datetime | None:
    """When the push channel must be renewed: CHANNEL_RENEW_BEFORE ahead of its expiry (tenant clock)."""
    return None if connection.channel_expires_at is None else connection.channel_expires_at - CHANNEL_RENEW_BEFORE


def channel_due(connection: CalendarConnection, now: datetime) -> bool:
    """Whether the push channel must be renewed now."""
    due_at = renewal_due_at(connection)
    return due_at is not None and now >= due_at


def next_work_in(*, db: Session, tenant: Tenant) -> float | None:
    """Seconds from now until the poll has work for this tenant's connections (a sync, or a channel renewal,
    coming due on its clock; 0 or less: due now); None without a connection. The operator API reports it, so a
    test can tell "nothing is scheduled" from "nothing was done yet"."""
    now = tenancy_service.now(tenant=tenant)
    due: list[datetime] = []
    for connection in db.scalars(select(CalendarConnection).where(CalendarConnection.tenant_id == tenant.id)):
        due.append(connection.next_poll_at or now)
        renewal = renewal_due_at(connection)
        if renewal is not None and not connection.failures:  # as in poll_due: after a failure, the poll decides
            due.append(renewal)
    return (min(due) - now).total_seconds() if due else None


def renew_channel(*, db: Session, settings: Settings, connection: CalendarConnection) -> None:
    """Opens a new push channel before the old one expires, then stops the old one. Raises google.CalendarError
    when Google refuses the new channel (the poll keeps the calendar in step meanwhile, and tries again)."""
    old_id, old_token, old_resource = connection.channel_id, connection.channel_token, connection.channel_resource_id
    connection.channel_id, connection.channel_token = new_id(), secrets.token_urlsafe(24)
    db.commit()  # the new channel's first message must find it; the old one's late messages are refused
    try:
        start_watch(db=db, settings=settings, connection=connection)
    except google.CalendarError:
        # Google never opened the new channel: the old one is still the business's (and the one the next try
        # must stop once a new one is open).
        connection.channel_id, connection.channel_token = old_id, old_token
        db.commit()
        raise
    db.commit()
    if old_id and old_resource:
        try:
            _gateway(settings, connection).stop_channel(channel_id=old_id, resource_id=old_resource)
        except google.CalendarError as error:  # it expires by itself anyway
            log.info("google channel not stopped: %s", error, extra={"tenant_id": connection.tenant_id})
    log.info("google push channel renewed", extra={"tenant_id": connection.tenant_id})


# --- syncing ----------------------------------------------------------------------------------------
def sync(*, db: Session, settings: Settings, connection: CalendarConnection) -> int:
    """Brings the shadow table up to date with the connection's provider; returns how many items were read."""
    if connection.provider == JOBBER:
        tenant = tenancy_service.get(db=db, tenant_id=connection.tenant_id)
        count = jobber_sync.sync(db=db, settings=settings, connection=connection, now=tenancy_service.now(tenant=tenant))
        _synced(db, settings, connection, tenant)
        return count
    return _sync_google(db=db, settings=settings, connection=connection)


def _synced(db: Session, settings: Settings, connection: CalendarConnection, tenant: Tenant) -> None:
    """A sync succeeded: the status clears and the next poll is an interval away (tenant clock)."""
    now = tenancy_service.now(tenant=tenant)
    token_box.seal_legacy(settings, connection)
    connection.status, connection.last_error, connection.failures = "connected", None, 0
    connection.last_synced_at = now
    connection.next_poll_at = _poll_after(settings, now)
    db.flush()


def _sync_google(*, db: Session, settings: Settings, connection: CalendarConnection) -> int:
    """Brings the shadow table up to date with Google; returns how many events changed.

    Incremental with the stored sync token; a 410 (token expired) means a full sync, which replaces the
    connection's rows. Every Google call happens before the first write, so a failure changes nothing.
    """
    gateway = _gateway(settings, connection)
    full = connection.sync_token is None
    try:
        items, next_token = _fetch(gateway, connection.sync_token)
    except google.SyncTokenExpired:
        log.info("google sync token expired: full sync", extra={"tenant_id": connection.tenant_id})
        full = True
        items, next_token = _fetch(gateway, None)
    tenant = tenancy_service.get(db=db, tenant_id=connection.tenant_id)
    if full:
        db.execute(delete(ExternalBusy).where(ExternalBusy.connection_id == connection.id))
    existing = {row.external_id: row for row in db.scalars(
        select(ExternalBusy).where(ExternalBusy.connection_id == connection.id,
                                   ExternalBusy.external_id.in_([str(i.get("id")) for i in items])))}
    for item in items:
        _apply(db, tenant, connection, item, existing.get(str(item.get("id"))))
    connection.sync_token = next_token
    _synced(db, settings, connection, tenant)
    return len(items)


def record_failure(*, db: Session, settings: Settings, connection: CalendarConnection, error: Exception) -> float:
    """Shows the failure (status `error`) and schedules the next poll; returns that delay in seconds.

    The delay doubles with each failure in a row (with jitter, so tenants do not retry in step), capped
    at the poll interval: an outage costs Google one call per tenant per interval, not one per second.
    """
    tenant = tenancy_service.get(db=db, tenant_id=connection.tenant_id)
    connection.failures = (connection.failures or 0) + 1
    delay = jittered_delay(connection.failures, float(settings.calendar_poll_interval_seconds))
    connection.status, connection.last_error = "error", str(error)[:500]
    connection.next_poll_at = tenancy_service.now(tenant=tenant) + timedelta(seconds=delay)
    db.flush()
    log.warning("%s sync failed: %s", connection.provider, error, extra={"tenant_id": connection.tenant_id})
    return delay


def jittered_delay(failures: int, cap_seconds: float) -> float:
    """2^failures seconds, capped, times a random factor in [0.5, 1), so many tenants do not retry in step."""
    return min(cap_seconds, 2.0 ** min(failures, 20)) * (0.5 + _rng.random() / 2)


def rollback_keeping_tokens(*, db: Session, connection: CalendarConnection) -> CalendarConnection | None:
    """Rolls back a failed sync but keeps tokens refreshed during it: Jobber rotates refresh tokens, so losing
    the new one with the rollback would lose the connection. Returns the connection, reloaded (None if gone).
    (The stored values are copied as they are: sealed.)"""
    connection_id, tokens = connection.id, (connection.access_token, connection.refresh_token)
    db.rollback()
    reloaded = db.get(CalendarConnection, connection_id)
    if reloaded is not None:
        reloaded.access_token, reloaded.refresh_token = tokens
    return reloaded


def _fetch(gateway: google.GoogleCalendar, sync_token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    items: list[dict[str, Any]] = []
    page_token: str | None = None
    while True:
        page = gateway.list_events(sync_token=sync_token, page_token=page_token)
        items.extend(i for i in page.get("items", []) if isinstance(i, dict))
        page_token = page.get("nextPageToken")
        if not page_token:
            return items, page.get("nextSyncToken")


def _apply(db: Session, tenant: Tenant, connection: CalendarConnection, item: dict[str, Any],
           row: ExternalBusy | None) -> None:
    external_id = str(item.get("id") or "")
    if not external_id or external_id.startswith(OWN_EVENT_PREFIX):
        return  # our own appointments block their time already
    span = _span(item, tenant.timezone)
    if item.get("status") == "cancelled" or item.get("transparency") == "transparent" or span is None:
        if row is not None:
            db.delete(row)
        return
    if row is None:
        row = ExternalBusy(tenant_id=tenant.id, connection_id=connection.id, external_id=external_id,
                           starts_at=span[0], ends_at=span[1])
        db.add(row)
    row.starts_at, row.ends_at = span
    row.summary = str(item.get("summary") or "")[:200]
    row.updated_at = tenancy_service.now(tenant=tenant)


def _span(item: dict[str, Any], timezone: str) -> tuple[datetime, datetime] | None:
    """The event's [start, end) in UTC; all-day events cover their local days. None when unreadable."""
    start, end = item.get("start") or {}, item.get("end") or {}
    try:
        if "dateTime" in start and "dateTime" in end:
            begins, ends = datetime.fromisoformat(start["dateTime"]), datetime.fromisoformat(end["dateTime"])
            if begins.tzinfo is None or ends.tzinfo is None:
                return None
            return begins.astimezone(UTC), ends.astimezone(UTC)
        if "date" in start and "date" in end:
            zone = ZoneInfo(timezone)
            return (datetime.combine(date.fromisoformat(start["date"]), time(0), tzinfo=zone).astimezone(UTC),
                    datetime.combine(date.fromisoformat(end["date"]), time(0), tzinfo=zone).astimezone(UTC))
    except (TypeError, ValueError):
        return None
    return None


def _gateway(settings: Settings, connection: CalendarConnection) -> google.GoogleCalendar:
    def refresh() -> str:
        """Google's access tokens last an hour: the refresh token gets the next one, kept (sealed) with the
        connection; a failed call keeps it too (rollback_keeping_tokens)."""
        stored_refresh = token_box.refresh_token(settings, connection)
        if not stored_refresh:
            raise google.CalendarRefused("Google no longer accepts the connection and it has no refresh token: "
                                         "connect the calendar again")
        fresh = google.refresh_access_token(settings=settings, refresh_token=stored_refresh)
        token_box.store(settings, connection, access_token=fresh, refresh_token=None)
        log.info("google access token refreshed", extra={"tenant_id": connection.tenant_id})
        return fresh

    return google.GoogleCalendar(settings=settings, access_token=token_box.access_token(settings, connection),
                                 calendar_id=connection.calendar_id, refresh=refresh)


# --- the poll ---------------------------------------------------------------------------------------
def poll_due(*, database: Database, settings: Settings) -> int:
    """Syncs every connection whose next poll is due on its tenant's clock, renewing its push channel first
    when that is due; returns how many synced."""
    due: list[tuple[str, bool]] = []
    with database.session() as db:
        for c in db.scalars(select(CalendarConnection)):
            now = tenancy_service.now(tenant=tenancy_service.get(db=db, tenant_id=c.tenant_id))
            renew, poll = channel_due(c, now), c.next_poll_at is None or now >= c.next_poll_at
            if poll or (renew and not c.failures):  # after a failure, renewing waits for the backed-off poll too
                due.append((c.id, renew))
        db.commit()
    synced = 0
    for connection_id, renew in due:
        with database.session() as db:
            connection = db.get(CalendarConnection, connection_id)
            if connection is None:
                continue
            try:
                if renew:
                    renew_channel(db=db, settings=settings, connection=connection)
                sync(db=db, settings=settings, connection=connection)
                db.commit()
                synced += 1
            except google.CalendarError as error:
                reloaded = rollback_keeping_tokens(db=db, connection=connection)
                if reloaded is not None:
                    record_failure(db=db, settings=settings, connection=reloaded, error=error)
                db.commit()
    return synced


# --- busy time for scheduling -------------------------------------------------------------------------
def busy_intervals(*, db: Session, tenant_id: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """External busy time overlapping [start, end)."""
    rows = db.execute(select(ExternalBusy.starts_at, ExternalBusy.ends_at).where(
        ExternalBusy.tenant_id == tenant_id, ExternalBusy.starts_at < end, ExternalBusy.ends_at > start))
    return [(a, b) for a, b in rows]


# --- writing appointments out ------------------------------------------------------------------------
def queue_push(*, db: Session, appointment: Appointment) -> None:
    """Asks for the appointment to be written to each of the tenant's external calendars (those connected)."""
    for connection in db.scalars(select(CalendarConnection).where(
            CalendarConnection.tenant_id == appointment.tenant_id).order_by(CalendarConnection.provider)):
        outbox_service.emit(db=db, event_type=CALENDAR_PUSH_REQUESTED, tenant_id=appointment.tenant_id,
                            schema_version=SCHEMA_VERSION,
                            payload={"appointment_id": appointment.id, "connection_id": connection.id})


def requeue_push(*, db: Session, settings: Settings, tenant_id: str, payload: dict[str, Any], attempt: int) -> None:
    """Asks for the same push again after a jittered delay (used when failing would roll back refreshed tokens)."""
    event = outbox_service.emit(db=db, event_type=CALENDAR_PUSH_REQUESTED, tenant_id=tenant_id,
                                schema_version=SCHEMA_VERSION, payload=payload)
    event.available_at = datetime.now(UTC) + timedelta(
        seconds=jittered_delay(attempt, settings.outbox_backoff_cap_seconds))


def push(*, settings: Settings, connection: CalendarConnection, appointment: Appointment) -> bool:
    """Writes the appointment out; False when an earlier attempt already did (Google's 409; Jobber answers a
    repeated key with the first visit, so it always says True). Raises CalendarError."""
    if connection.provider == JOBBER:
        jobber_sync.push(settings=settings, connection=connection, appointment=appointment)
        return True
    body = {"id": external_event_id(appointment), "summary": f"{appointment.service_name} (NeverMissCall)",
            "description": f"Booked through NeverMissCall. Customer: {appointment.customer_name or 'unknown'}",
            "start": {"dateTime": appointment.starts_at.isoformat()},
            "end": {"dateTime": appointment.ends_at.isoformat()}}
    return _gateway(settings, connection).insert_event(body)


def external_event_id(appointment: Appointment) -> str:
    return OWN_EVENT_PREFIX + appointment.id
