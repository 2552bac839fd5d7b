"""Availability, offers, holds and bookings. Every "now" here is the TENANT CLOCK (tenancy_service.now).

- Business hours come from tenant.business_hours ({"mon": ["08:00", "17:00"], ...}, local time); a
  weekday that is missing or null is closed. An empty setting means Mon-Fri 08:00-17:00.
- Slots start on the 15-minute grid, lie entirely inside one day's opening hours and are free of
  appointments and live holds. Offers start at least LEAD_MINUTES from now (never in the past) and
  do not overlap each other: for a one-hour job, 08:00, 09:00, 10:00 rather than 08:00, 08:15, 08:30.
- A hold lives HOLD_TTL_MINUTES on the tenant clock: live while now < expires_at, so at 14:59 it can
  be booked and at 15:00 it is expired (410).
- Double booking is impossible because each hold/appointment writes its 15-minute blocks into
  occupied_blocks (UNIQUE tenant_id, block_start) in the same transaction (see models.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.calendars import service as calendars_service
from app.catalog import service as catalog_service
from app.db import utcnow
from app.errors import Conflict, Gone, NotFound, ValidationFailed
from app.outbox import service as outbox_service
from app.scheduling.models import BLOCK_MINUTES, HOLD_TTL_MINUTES, Appointment, Hold, HoldStatus, OccupiedBlock
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_BUSINESS_HOURS: dict[str, list[str]] = {day: ["08:00", "17:00"] for day in WEEKDAYS[:5]}
LEAD_MINUTES = 30  # the earliest offer starts this long after now, so it cannot pass while held
SEARCH_HORIZON_DAYS = 14  # how far ahead offers are searched
MAX_DAYS_AHEAD = 180  # how far ahead a hold may be placed
DEFAULT_OFFER_COUNT = 3
APPOINTMENT_BOOKED = "AppointmentBooked"

BLOCK = timedelta(minutes=BLOCK_MINUTES)
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- business hours --------------------------------------------------------------------------------
def _parse_hhmm(value: Any, *, day: str) -> time:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise ValidationFailed(
            f"business hours for {day}: {value!r} is not a time like 08:00", code="invalid_business_hours"
        )
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def parse_business_hours(raw: dict[str, Any] | None) -> dict[int, tuple[time, time]]:
    """{weekday 0..6: (open, close)} from the stored setting; 422 for anything malformed."""
    if not raw:
        raw = DEFAULT_BUSINESS_HOURS
    if not isinstance(raw, dict):
        raise ValidationFailed("business hours must map weekdays to [open, close]", code="invalid_business_hours")
    parsed: dict[int, tuple[time, time]] = {}
    for day, span in raw.items():
        if day not in WEEKDAYS:
            raise ValidationFailed(f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})", code="invalid_business_hours")
        if span is None or span == []:
            continue  # closed that day
        if not isinstance(span, list | tuple) or len(span) != 2:
            raise ValidationFailed(f"business hours for {day} must be [open, close]", code="invalid_business_hours")
        opens, closes = _parse_hhmm(span[0], day=day), _parse_hhmm(span[1], day=day)
        if opens >= closes:
            raise ValidationFailed(f"business hours for {day}: open must be before close", code="invalid_business_hours")
        parsed[WEEKDAYS.index(day)] = (opens, closes)
    return parsed


def _zone(tenant: Tenant) -> ZoneInfo:
    return ZoneInfo(tenant.timezone or "UTC")


def _opening_on(tenant: Tenant, day: date, hours: dict[int, tuple[time, time]]) -> tuple[datetime, datetime] | None:
    """That local day's opening hours as UTC instants, or None when closed."""
    span = hours.get(day.weekday())
    if span is None:
        return None
    zone = _zone(tenant)
    opens = datetime.combine(day, span[0], tzinfo=zone).astimezone(UTC)
    closes = datetime.combine(day, span[1], tzinfo=zone).astimezone(UTC)
    return (opens, closes) if opens < closes else None


def _open_intervals(tenant: Tenant, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Opening hours between two UTC instants, day by day in the tenant's time zone."""
    hours = parse_business_hours(tenant.business_hours)
    zone = _zone(tenant)
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    while day <= last:
        opening = _opening_on(tenant, day, hours)
        if opening is not None and opening[1] > start and opening[0] < end:
            yield max(opening[0], start), min(opening[1], end)
        day += timedelta(days=1)


# --- time helpers ----------------------------------------------------------------------------------
def ceil_to_block(moment: datetime) -> datetime:
    """The first 15-minute boundary at or after `moment` (UTC)."""
    moment = moment.astimezone(UTC)
    floored = moment.replace(minute=moment.minute - moment.minute % BLOCK_MINUTES, second=0, microsecond=0)
    return floored if floored == moment else floored + BLOCK


def floor_to_block(moment: datetime) -> datetime:
    """The last 15-minute boundary at or before `moment` (UTC)."""
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % BLOCK_MINUTES, second=0, microsecond=0)


def blocks_of(starts_at: datetime, duration_minutes: int) -> list[datetime]:
    return [starts_at + i * BLOCK for i in range(duration_minutes // BLOCK_MINUTES)]


def format_local(moment: datetime, timezone: str) -> str:
    """'Tue Jan 6, 9:00 AM' in the tenant's time zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    hour = local.hour % 12 or 12
    return f"{local:%a} {local:%b} {local.day}, {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def format_local_time(moment: datetime, timezone: str) -> str:
    """'9:15 AM' in the tenant's time zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime

    def label(self, timezone: str) -> str:
        return format_local(self.starts_at, timezone)


# --- availability ----------------------------------------------------------------------------------
def busy_blocks(*, db: Session, tenant_id: str, start: datetime, end: datetime, now: datetime) -> set[datetime]:
    """Blocks in [start, end) taken by an appointment or a hold that is still live at `now`."""
    query = select(OccupiedBlock.block_start).where(
        OccupiedBlock.tenant_id == tenant_id,
        OccupiedBlock.block_start >= start,
        OccupiedBlock.block_start < end,
        (OccupiedBlock.expires_at.is_(None)) | (OccupiedBlock.expires_at > now),
    )
    busy = set(db.scalars(query))
    # Busy time in the tenant's external calendar (app/calendars' shadow table) takes every block it touches.
    for begins, ends in calendars_service.busy_intervals(db=db, tenant_id=tenant_id, start=start, end=end):
        block = max(floor_to_block(begins), start)
        while block < min(ends, end):
            busy.add(block)
            block += BLOCK
    return busy


def free_slots(
    *,
    db: Session,
    tenant: Tenant,
    duration_minutes: int,
    not_before: datetime,
    until: datetime,
    limit: int | None = None,
    spread: bool = True,
) -> list[Slot]:
    """Free slots of the given length starting in [not_before, until), earliest first.

    `spread` makes each slot start where the previous one ends (offers); without it every free
    15-minute start is listed (a day's availability).
    """
    catalog_service.check_duration(duration_minutes)
    now = tenancy_service.now(tenant=tenant)
    length = timedelta(minutes=duration_minutes)
    first = ceil_to_block(max(not_before, now))
    if first >= until:
        return []
    busy = busy_blocks(db=db, tenant_id=tenant.id, start=first, end=until + length, now=now)
    slots: list[Slot] = []
    for opens, closes in _open_intervals(tenant, first, until + length):
        start = ceil_to_block(opens)
        while start < until and start + length <= closes:
            taken = [b for b in blocks_of(start, duration_minutes) if b in busy]
            if taken:
                start = taken[-1] + BLOCK  # nothing can start before the last taken block ends
                continue
            slots.append(Slot(starts_at=start, ends_at=start + length))
            if limit is not None and len(slots) >= limit:
                return slots
            start = start + length if spread else start + BLOCK
    return slots


def offers(*, db: Session, tenant: Tenant, duration_minutes: int, count: int = DEFAULT_OFFER_COUNT) -> list[Slot]:
    """The next `count` non-overlapping free slots, from now + LEAD_MINUTES on the tenant clock."""
    now = tenancy_service.now(tenant=tenant)
    return free_slots(
        db=db, tenant=tenant, duration_minutes=duration_minutes, not_before=now + timedelta(minutes=LEAD_MINUTES),
        until=now + timedelta(days=SEARCH_HORIZON_DAYS), limit=count,
    )


def day_availability(*, db: Session, tenant: Tenant, day: date, duration_minutes: int) -> list[Slot]:
    """Every free start on one local day (past starts excluded)."""
    zone = _zone(tenant)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return free_slots(db=db, tenant=tenant, duration_minutes=duration_minutes, not_before=start, until=end, spread=False)


# --- holds -----------------------------------------------------------------------------------------
def check_slot(*, tenant: Tenant, starts_at: datetime, duration_minutes: int, now: datetime) -> datetime:
    """The slot's UTC start if it can be reserved at all (ignoring other reservations); else 422."""
    if starts_at.tzinfo is None:
        raise ValidationFailed("starts_at must include a UTC offset", code="invalid_start")
    try:
        starts_at = starts_at.astimezone(UTC)
    except (OverflowError, ValueError) as exc:  # e.g. year 1 with a positive offset
        raise ValidationFailed("starts_at is out of range", code="invalid_start") from exc
    catalog_service.check_duration(duration_minutes)
    if starts_at != ceil_to_block(starts_at):
        raise ValidationFailed("slots start on the quarter hour (:00, :15, :30, :45)", code="invalid_start")
    if starts_at <= now:
        raise ValidationFailed("that time is in the past", code="slot_in_past")
    if starts_at > now + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationFailed(f"slots can be reserved at most {MAX_DAYS_AHEAD} days ahead", code="slot_too_far")
    local_day = starts_at.astimezone(_zone(tenant)).date()
    opening = _opening_on(tenant, local_day, parse_business_hours(tenant.business_hours))
    if opening is None or starts_at < opening[0] or starts_at + timedelta(minutes=duration_minutes) > opening[1]:
        raise ValidationFailed("that time is outside business hours", code="outside_business_hours")
    return starts_at


def hold_is_live(hold: Hold, now: datetime) -> bool:
    return hold.status == HoldStatus.HELD and now < hold.expires_at


def create_hold(
    *,
    db: Session,
    tenant: Tenant,
    starts_at: datetime,
    duration_minutes: int,
    service_name: str,
    price_cents: int,
    catalog_item_id: str | None = None,
    customer_phone: str | None = None,
    conversation_id: str | None = None,
    booking_link_id: str | None = None,
    source: str = "api",
) -> Hold:
    """Reserves a slot for HOLD_TTL_MINUTES (not committed): 422 invalid time, 409 slot taken."""
    now = tenancy_service.now(tenant=tenant)
    starts_at = check_slot(tenant=tenant, starts_at=starts_at, duration_minutes=duration_minutes, now=now)
    if calendars_service.busy_intervals(db=db, tenant_id=tenant.id, start=starts_at,
                                        end=starts_at + timedelta(minutes=duration_minutes)):
        raise Conflict("that time is busy in the business's calendar", code="slot_taken")
    blocks = blocks_of(starts_at, duration_minutes)
    hold = Hold(
        tenant_id=tenant.id, catalog_item_id=catalog_item_id, service_name=service_name, price_cents=price_cents,
        duration_minutes=duration_minutes, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=duration_minutes),
        expires_at=now + timedelta(minutes=HOLD_TTL_MINUTES), status=HoldStatus.HELD,
        customer_phone=customer_phone, conversation_id=conversation_id, booking_link_id=booking_link_id, source=source,
    )
    try:
        # A savepoint: when the slot is taken only this part rolls back; the caller's transaction
        # (e.g. the inbound message being answered) lives on.
        with db.begin_nested():
            # Blocks of expired holds no longer count; clear them so the UNIQUE constraint sees only live ones.
            db.execute(
                delete(OccupiedBlock)
                .where(
                    OccupiedBlock.tenant_id == tenant.id,
                    OccupiedBlock.block_start.in_(blocks),
                    OccupiedBlock.expires_at.is_not(None),
                    OccupiedBlock.expires_at <= now,
                )
                .execution_options(synchronize_session=False)
            )
            db.add(hold)
            db.flush()
            db.add_all(
                OccupiedBlock(tenant_id=tenant.id, block_start=b, hold_id=hold.id, expires_at=hold.expires_at)
                for b in blocks
            )
            db.flush()
    except IntegrityError as exc:
        raise Conflict("that time was just taken", code="slot_taken") from exc
    return hold


def hold_item(
    *,
    db: Session,
    tenant: Tenant,
    item_id: str,
    starts_at: datetime,
    customer_phone: str | None = None,
    source: str = "api",
) -> Hold:
    """Holds a slot for a catalog item at its current price: 404 unknown item, 410 inactive."""
    quote = catalog_service.quote(db=db, tenant_id=tenant.id, item_id=item_id)
    if customer_phone is not None:
        customer_phone = tenancy_service.validate_e164(customer_phone)
    return create_hold(
        db=db, tenant=tenant, starts_at=starts_at, duration_minutes=quote.duration_minutes, service_name=quote.name,
        price_cents=quote.price_cents, catalog_item_id=quote.item_id, customer_phone=customer_phone, source=source,
    )


def get_hold(*, db: Session, tenant_id: str, hold_id: str) -> Hold:
    """One of the tenant's holds; anyone else's is a 404."""
    hold = db.get(Hold, hold_id) if catalog_service.is_id(hold_id) else None
    if hold is None or hold.tenant_id != tenant_id:
        raise NotFound("hold not found", code="hold_not_found")
    return hold


def release_hold(*, db: Session, hold: Hold) -> None:
    """Gives a live hold's slot back (a booked hold is left alone)."""
    if hold.status != HoldStatus.HELD:
        return
    hold.status = HoldStatus.RELEASED
    db.execute(
        delete(OccupiedBlock)
        .where(OccupiedBlock.tenant_id == hold.tenant_id, OccupiedBlock.hold_id == hold.id)
        .execution_options(synchronize_session=False)
    )
    db.flush()


# --- booking ---------------------------------------------------------------------------------------
def appointment_for_hold(*, db: Session, tenant_id: str, hold_id: str) -> Appointment | None:
    return db.scalar(select(Appointment).where(Appointment.tenant_id == tenant_id, Appointment.hold_id == hold_id))


def _appointment_for_key(*, db: Session, tenant_id: str, key: str) -> Appointment | None:
    return db.scalar(select(Appointment).where(Appointment.tenant_id == tenant_id, Appointment.idempotency_key == key))


def _replay(*, db: Session, hold: Hold, idempotency_key: str | None) -> Appointment | None:
    """The appointment an earlier identical request made, if any; 409 when the key was used for another hold."""
    if idempotency_key:
        earlier = _appointment_for_key(db=db, tenant_id=hold.tenant_id, key=idempotency_key)
        if earlier is not None:
            if earlier.hold_id != hold.id:
                raise Conflict("this Idempotency-Key was already used for another booking", code="idempotency_key_reused")
            return earlier
    return appointment_for_hold(db=db, tenant_id=hold.tenant_id, hold_id=hold.id)


@dataclass(frozen=True)
class Booking:
    appointment: Appointment
    created: bool  # False when an earlier request with the same hold/key had already booked it


def book(
    *,
    db: Session,
    tenant: Tenant,
    hold: Hold,
    customer_phone: str | None = None,
    customer_name: str = "",
    idempotency_key: str | None = None,
    source: str | None = None,
) -> Booking:
    """Turns a live hold into an appointment and emits AppointmentBooked (not committed).

    Idempotent: the same hold (or Idempotency-Key) books once and later calls return that booking.
    410 when the hold expired or was released or its time has started, 422 for an invalid phone number.
    """
    earlier = _replay(db=db, hold=hold, idempotency_key=idempotency_key)
    if earlier is not None:
        return Booking(appointment=earlier, created=False)
    now = tenancy_service.now(tenant=tenant)
    if hold.status == HoldStatus.RELEASED:
        raise Gone("this hold was released; pick a time again", code="hold_released")
    if not hold_is_live(hold, now):
        raise Gone("this hold expired; pick a time again", code="hold_expired")
    if hold.starts_at <= now:  # a hold placed just before its slot can outlive the slot's start
        raise Gone("this time has already started; pick another one", code="slot_started")
    phone = customer_phone or hold.customer_phone
    if phone is not None:
        phone = tenancy_service.validate_e164(phone)
    appointment = Appointment(
        tenant_id=tenant.id, hold_id=hold.id, catalog_item_id=hold.catalog_item_id, service_name=hold.service_name,
        price_cents=hold.price_cents, duration_minutes=hold.duration_minutes, starts_at=hold.starts_at,
        ends_at=hold.ends_at, customer_phone=phone, customer_name=_printable(customer_name)[:120],
        conversation_id=hold.conversation_id, booking_link_id=hold.booking_link_id, source=source or hold.source,
        status="booked", idempotency_key=idempotency_key, booked_at=now,
    )
    try:
        with db.begin_nested():
            db.add(appointment)
            db.flush()
            # Hand the hold's blocks to the appointment, but only while the hold is still live: if it
            # expired and someone else took the time meanwhile, fewer rows match and nothing is booked.
            moved = db.execute(
                update(OccupiedBlock)
                .where(
                    OccupiedBlock.tenant_id == tenant.id,
                    OccupiedBlock.hold_id == hold.id,
                    OccupiedBlock.expires_at > now,
                )
                .values(appointment_id=appointment.id, hold_id=None, expires_at=None)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != hold.duration_minutes // BLOCK_MINUTES:  # type: ignore[attr-defined]
                raise _HoldLost()
            hold.status = HoldStatus.BOOKED
            db.flush()
    except _HoldLost as exc:
        raise Gone("this hold expired; pick a time again", code="hold_expired") from exc
    except IntegrityError:
        # A concurrent request booked this hold (or used this key) first: answer with its booking.
        earlier = _replay(db=db, hold=hold, idempotency_key=idempotency_key)
        if earlier is None:
            raise
        return Booking(appointment=earlier, created=False)
    outbox_service.emit(
        db=db, event_type=APPOINTMENT_BOOKED, tenant_id=tenant.id,
        payload={
            "appointment_id": appointment.id, "conversation_id": appointment.conversation_id,
            "starts_at": appointment.starts_at.isoformat(), "service_name": appointment.service_name,
            "price_cents": appointment.price_cents,
        },
    )
    return Booking(appointment=appointment, created=True)


def _printable(text: str) -> str:
    """Control characters (NUL breaks PostgreSQL text) become spaces; ends trimmed."""
    return _CONTROL.sub(" ", text or "").strip()


class _HoldLost(Exception):
    """Inside `book`: the hold's blocks were gone, so the savepoint must roll back."""


def get_appointment(*, db: Session, tenant_id: str, appointment_id: str) -> Appointment:
    """One of the tenant's appointments; anyone else's is a 404."""
    appointment = db.get(Appointment, appointment_id) if catalog_service.is_id(appointment_id) else None
    if appointment is None or appointment.tenant_id != tenant_id:
        raise NotFound("appointment not found", code="appointment_not_found")
    return appointment


def list_appointments(
    *, db: Session, tenant_id: str, starts_from: datetime | None = None, starts_before: datetime | None = None,
    limit: int = 200,
) -> list[Appointment]:
    """The tenant's appointments by start time."""
    query = select(Appointment).where(Appointment.tenant_id == tenant_id)
    if starts_from is not None:
        query = query.where(Appointment.starts_at >= starts_from)
    if starts_before is not None:
        query = query.where(Appointment.starts_at < starts_before)
    return list(db.scalars(query.order_by(Appointment.starts_at).limit(limit)))


def mark_confirmation_queued(*, db: Session, appointment: Appointment) -> None:
    """Records that the confirmation SMS is on its way (the AppointmentBooked handler then sends none)."""
    appointment.confirmation_queued_at = utcnow()
    db.flush()


def confirmation_text(*, appointment: Appointment, tenant: Tenant) -> str:
    """The confirmation SMS."""
    return (
        f"You're booked: {appointment.service_name} on {format_local(appointment.starts_at, tenant.timezone)}, "
        f"{catalog_service.price_display(appointment.price_cents)}. {tenant.name} will see you then. "
        "Reply here if you need to change it."
    )
