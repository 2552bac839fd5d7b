"""Scheduling JSON API: availability and offers, holds, bookings (Idempotency-Key), appointments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.api_errors import AUTH_ERRORS, error_responses
from app.catalog import service as catalog_service
from app.deps import CurrentAuth, DbSession
from app.errors import ValidationFailed
from app.scheduling import provisioning as _provisioning  # noqa: F401  registers the operator provisioner
from app.scheduling import service as scheduling_service
from app.scheduling.models import Appointment, Hold
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

router = APIRouter(prefix="/api/v1", tags=["scheduling"])

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
           description="retrying with the same key returns the first booking instead of booking again"),
]


class SlotOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    label: str = Field(description="local time, e.g. 'Tue Jan 6, 9:00 AM'")


class OffersOut(BaseModel):
    timezone: str
    duration_minutes: int
    offers: list[SlotOut]


class AvailabilityOut(BaseModel):
    date: date
    timezone: str
    duration_minutes: int
    slots: list[SlotOut]


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str = Field(min_length=1, max_length=64)
    starts_at: AwareDatetime = Field(description="on the quarter hour, in the future, inside business hours")
    customer_phone: str | None = Field(default=None, max_length=20, description="E.164, e.g. +15550100123")


class HoldOut(BaseModel):
    id: str
    item_id: str | None
    service_name: str
    price_cents: int
    duration_minutes: int
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime
    status: str
    live: bool = Field(description="held and not expired on the tenant clock")


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hold_id: str = Field(min_length=1, max_length=64)
    customer_phone: str | None = Field(default=None, max_length=20, description="E.164; defaults to the hold's")
    customer_name: str = Field(default="", max_length=120)


class AppointmentOut(BaseModel):
    id: str
    hold_id: str | None
    item_id: str | None
    service_name: str
    price_cents: int = Field(description="price snapshot at booking time")
    price_display: str
    duration_minutes: int
    starts_at: datetime
    ends_at: datetime
    starts_label: str
    customer_phone: str | None
    customer_name: str
    conversation_id: str | None
    source: str
    status: str
    booked_at: datetime


class AppointmentList(BaseModel):
    appointments: list[AppointmentOut]


def slot_out(slot: scheduling_service.Slot, tenant: Tenant) -> SlotOut:
    return SlotOut(starts_at=slot.starts_at, ends_at=slot.ends_at, label=slot.label(tenant.timezone))


def hold_out(hold: Hold, tenant: Tenant) -> HoldOut:
    return HoldOut(
        id=hold.id, item_id=hold.catalog_item_id, service_name=hold.service_name, price_cents=hold.price_cents,
        duration_minutes=hold.duration_minutes, starts_at=hold.starts_at, ends_at=hold.ends_at,
        expires_at=hold.expires_at, status=hold.status,
        live=scheduling_service.hold_is_live(hold, tenancy_service.now(tenant=tenant)),
    )


def appointment_out(appointment: Appointment, tenant: Tenant) -> AppointmentOut:
    return AppointmentOut(
        id=appointment.id, hold_id=appointment.hold_id, item_id=appointment.catalog_item_id,
        service_name=appointment.service_name, price_cents=appointment.price_cents,
        price_display=catalog_service.price_display(appointment.price_cents),
        duration_minutes=appointment.duration_minutes, starts_at=appointment.starts_at, ends_at=appointment.ends_at,
        starts_label=scheduling_service.format_local(appointment.starts_at, tenant.timezone),
        customer_phone=appointment.customer_phone, customer_name=appointment.customer_name,
        conversation_id=appointment.conversation_id, source=appointment.source, status=appointment.status,
        booked_at=appointment.booked_at,
    )


def _utc(moment: datetime | None, name: str) -> datetime | None:
    """A query bound in UTC; 422 for one that has no UTC equivalent (e.g. year 1 at +14:00)."""
    if moment is None:
        return None
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationFailed(f"'{name}' is out of range", code="invalid_query") from exc


def _duration(db: DbSession, tenant: Tenant, item_id: str | None, duration_minutes: int | None) -> int:
    """The job length from an item (404/410) or given directly (422 out of bounds); exactly one."""
    if (item_id is None) == (duration_minutes is None):
        raise ValidationFailed("give exactly one of item_id or duration_minutes", code="invalid_query")
    if item_id is not None:
        return catalog_service.quote(db=db, tenant_id=tenant.id, item_id=item_id).duration_minutes
    assert duration_minutes is not None
    return catalog_service.check_duration(duration_minutes)


@router.get("/offers", response_model=OffersOut, responses=error_responses(*AUTH_ERRORS, 404, 410))
def offers(
    db: DbSession,
    auth: CurrentAuth,
    item_id: Annotated[str | None, Query(max_length=64)] = None,
    duration_minutes: int | None = None,
    count: Annotated[int, Query(ge=1, le=10)] = scheduling_service.DEFAULT_OFFER_COUNT,
) -> OffersOut:
    """The next free, non-overlapping slots from the tenant clock (never in the past)."""
    minutes = _duration(db, auth.tenant, item_id, duration_minutes)
    slots = scheduling_service.offers(db=db, tenant=auth.tenant, duration_minutes=minutes, count=count)
    return OffersOut(timezone=auth.tenant.timezone, duration_minutes=minutes,
                     offers=[slot_out(s, auth.tenant) for s in slots])


@router.get("/availability", response_model=AvailabilityOut, responses=error_responses(*AUTH_ERRORS, 404, 410))
def availability(
    db: DbSession,
    auth: CurrentAuth,
    day: Annotated[date, Query(alias="date", description="a local date, YYYY-MM-DD")],
    item_id: Annotated[str | None, Query(max_length=64)] = None,
    duration_minutes: int | None = None,
) -> AvailabilityOut:
    """Every free start on one local day for a job of this length."""
    minutes = _duration(db, auth.tenant, item_id, duration_minutes)
    today = tenancy_service.local_now(tenant=auth.tenant).date()
    if not (today - timedelta(days=1) <= day <= today + timedelta(days=scheduling_service.MAX_DAYS_AHEAD)):
        raise ValidationFailed(
            f"date must be within {scheduling_service.MAX_DAYS_AHEAD} days from today", code="invalid_date"
        )
    slots = scheduling_service.day_availability(db=db, tenant=auth.tenant, day=day, duration_minutes=minutes)
    return AvailabilityOut(date=day, timezone=auth.tenant.timezone, duration_minutes=minutes,
                           slots=[slot_out(s, auth.tenant) for s in slots])


@router.post("/holds", status_code=201, response_model=HoldOut, responses=error_responses(*AUTH_ERRORS, 404, 409, 410))
def create_hold(body: HoldIn, db: DbSession, auth: CurrentAuth) -> HoldOut:
    """Holds a slot for 15 minutes (tenant clock): 409 taken, 410 item inactive, 422 bad time or phone."""
    hold = scheduling_service.hold_item(
        db=db, tenant=auth.tenant, item_id=body.item_id, starts_at=body.starts_at, customer_phone=body.customer_phone,
    )
    db.commit()
    return hold_out(hold, auth.tenant)


@router.get("/holds/{hold_id}", response_model=HoldOut, responses=error_responses(*AUTH_ERRORS, 404))
def get_hold(hold_id: str, db: DbSession, auth: CurrentAuth) -> HoldOut:
    return hold_out(scheduling_service.get_hold(db=db, tenant_id=auth.tenant.id, hold_id=hold_id), auth.tenant)


@router.delete("/holds/{hold_id}", status_code=204, responses=error_responses(*AUTH_ERRORS, 404))
def release_hold(hold_id: str, db: DbSession, auth: CurrentAuth) -> Response:
    """Gives the slot back (a booked hold stays booked)."""
    hold = scheduling_service.get_hold(db=db, tenant_id=auth.tenant.id, hold_id=hold_id)
    scheduling_service.release_hold(db=db, hold=hold)
    db.commit()
    return Response(status_code=204)


@router.post(
    "/bookings", status_code=201, response_model=AppointmentOut,
    responses={
        200: {"model": AppointmentOut, "description": "a retry: the booking an earlier request already made"},
        **error_responses(*AUTH_ERRORS, 404, 409, 410),
    },
)
def create_booking(
    body: BookingIn, response: Response, db: DbSession, auth: CurrentAuth, idempotency_key: IdempotencyKey = None
) -> AppointmentOut:
    """Books a live hold: 201 booked, 200 replayed, 410 hold expired/released, 409 key reused."""
    hold = scheduling_service.get_hold(db=db, tenant_id=auth.tenant.id, hold_id=body.hold_id)
    booking = scheduling_service.book(
        db=db, tenant=auth.tenant, hold=hold, customer_phone=body.customer_phone, customer_name=body.customer_name,
        idempotency_key=idempotency_key, source="api",
    )
    db.commit()
    if not booking.created:
        response.status_code = 200
    return appointment_out(booking.appointment, auth.tenant)


@router.get("/appointments", response_model=AppointmentList, responses=error_responses(*AUTH_ERRORS))
def list_appointments(
    db: DbSession,
    auth: CurrentAuth,
    starts_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    starts_before: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> AppointmentList:
    """The tenant's appointments by start time, each with its booked price."""
    appointments = scheduling_service.list_appointments(
        db=db, tenant_id=auth.tenant.id, starts_from=_utc(starts_from, "from"), starts_before=_utc(starts_before, "to"),
        limit=limit,
    )
    return AppointmentList(appointments=[appointment_out(a, auth.tenant) for a in appointments])


@router.get("/appointments/{appointment_id}", response_model=AppointmentOut, responses=error_responses(*AUTH_ERRORS, 404))
def get_appointment(appointment_id: str, db: DbSession, auth: CurrentAuth) -> AppointmentOut:
    appointment = scheduling_service.get_appointment(db=db, tenant_id=auth.tenant.id, appointment_id=appointment_id)
    return appointment_out(appointment, auth.tenant)
