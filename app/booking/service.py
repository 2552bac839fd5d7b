"""Booking links: a quote sent to one customer, its public page, and picking/confirming a slot from it.

A link snapshots the quote (name, price, duration): the customer books at the price they were told,
and that price is what the appointment records (revenue attribution). A link expires LINK_TTL_HOURS
after it was made (tenant clock) unless it was booked. The page and the SMS replies share one state:
the link's `pending_hold_id` is the hold a Confirm (or "YES") books.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.booking.models import LINK_TTL_HOURS, BookingLink
from app.catalog import service as catalog_service
from app.errors import Conflict, Gone, NotFound
from app.scheduling import service as scheduling_service
from app.scheduling.models import Hold
from app.settings import get_settings
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_JOB_DESCRIPTION = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # NUL breaks PostgreSQL text; newlines read badly on the page


def normalize_phone(text: str) -> str | None:
    """A customer-typed mobile number as E.164 ("(555) 010-0123" -> +15550100123; US without +1), or None."""
    digits = re.sub(r"[\s().-]", "", text or "")
    if not digits.startswith("+"):
        if re.fullmatch(r"\d{10}", digits):
            digits = "+1" + digits
        elif re.fullmatch(r"1\d{10}", digits):
            digits = "+" + digits
    return digits if tenancy_service.E164.match(digits) else None


def new_token() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits


def link_url(token: str, *, base_url: str | None = None) -> str:
    """The public page of a link: PUBLIC_BASE_URL/book/{token}."""
    base = base_url if base_url is not None else get_settings().public_base_url
    return f"{base.rstrip('/')}/book/{token}"


def create_link(
    *,
    db: Session,
    tenant: Tenant,
    quote: catalog_service.Quote,
    job_description: str = "",
    customer_phone: str | None = None,
    conversation_id: str | None = None,
) -> BookingLink:
    """Makes a link for a quote (not committed); 422 for an invalid phone number."""
    if customer_phone is not None:
        customer_phone = tenancy_service.validate_e164(customer_phone)
    link = BookingLink(
        tenant_id=tenant.id, token=new_token(), conversation_id=conversation_id, customer_phone=customer_phone,
        catalog_item_id=quote.item_id, service_name=quote.name, price_cents=quote.price_cents,
        duration_minutes=quote.duration_minutes,
        job_description=_CONTROL.sub(" ", job_description or "").strip()[:MAX_JOB_DESCRIPTION],
        offered_starts=[], expires_at=tenancy_service.now(tenant=tenant) + timedelta(hours=LINK_TTL_HOURS),
    )
    db.add(link)
    db.flush()
    return link


def quote_of(link: BookingLink) -> catalog_service.Quote:
    """The quote the customer was given (the snapshot, not today's catalog price)."""
    return catalog_service.Quote(
        item_id=link.catalog_item_id, name=link.service_name, price_cents=link.price_cents,
        duration_minutes=link.duration_minutes,
    )


def find_link(*, db: Session, token: str) -> BookingLink:
    """The link with this token (any tenant: the token is the credential); 404 when there is none."""
    link = db.scalar(select(BookingLink).where(BookingLink.token == token)) if TOKEN_PATTERN.match(token) else None
    if link is None:
        raise NotFound("this booking link does not exist", code="link_not_found")
    return link


def is_expired(link: BookingLink, now: datetime) -> bool:
    """Booked links never expire (the confirmation stays reachable)."""
    return link.appointment_id is None and now >= link.expires_at


def ensure_open(link: BookingLink, now: datetime) -> None:
    """410 when the link expired."""
    if is_expired(link, now):
        raise Gone("this booking link has expired", code="link_expired")


def active_link_for_conversation(*, db: Session, tenant: Tenant, conversation_id: str) -> BookingLink | None:
    """The newest unexpired, unbooked link sent in a conversation (what "1", "2", "YES" refer to)."""
    now = tenancy_service.now(tenant=tenant)
    link = db.scalar(
        select(BookingLink)
        .where(BookingLink.tenant_id == tenant.id, BookingLink.conversation_id == conversation_id)
        .order_by(BookingLink.created_at.desc(), BookingLink.id.desc())
        .limit(1)
    )
    if link is None or link.appointment_id is not None or is_expired(link, now):
        return None
    return link


def offers_for(*, db: Session, tenant: Tenant, link: BookingLink, remember: bool = False) -> list[scheduling_service.Slot]:
    """Fresh offers for the link's job; `remember` stores them so an SMS reply "2" means the second."""
    slots = scheduling_service.offers(db=db, tenant=tenant, duration_minutes=link.duration_minutes)
    if remember:
        link.offered_starts = [s.starts_at.isoformat() for s in slots]
        db.flush()
    return slots


def pending_hold(*, db: Session, tenant: Tenant, link: BookingLink) -> Hold | None:
    """The hold the link is waiting to confirm, if any (live or not)."""
    if not link.pending_hold_id:
        return None
    return scheduling_service.get_hold(db=db, tenant_id=tenant.id, hold_id=link.pending_hold_id)


def pick(*, db: Session, tenant: Tenant, link: BookingLink, starts_at: datetime, source: str) -> Hold:
    """Holds a slot for the link's customer (not committed), giving back the slot they held before.

    Picking the slot already held again returns that hold (a retried SMS or a double click).
    410 expired link, 409 slot taken or already booked, 422 invalid time.
    """
    now = tenancy_service.now(tenant=tenant)
    if link.appointment_id is not None:
        raise Conflict("this job is already booked", code="already_booked")
    ensure_open(link, now)
    previous = pending_hold(db=db, tenant=tenant, link=link)
    if previous is not None and scheduling_service.hold_is_live(previous, now) and previous.starts_at == starts_at:
        return previous
    # Release and re-hold together: when the new slot is taken, the customer keeps the old hold.
    with db.begin_nested():
        if previous is not None:
            scheduling_service.release_hold(db=db, hold=previous)
        hold = scheduling_service.create_hold(
            db=db, tenant=tenant, starts_at=starts_at, duration_minutes=link.duration_minutes,
            service_name=link.service_name, price_cents=link.price_cents, catalog_item_id=link.catalog_item_id,
            customer_phone=link.customer_phone, conversation_id=link.conversation_id, booking_link_id=link.id,
            source=source,
        )
        link.pending_hold_id = hold.id
        db.flush()
    return hold


def confirm(
    *,
    db: Session,
    tenant: Tenant,
    link: BookingLink,
    hold_id: str | None = None,
    customer_phone: str | None = None,
    customer_name: str = "",
    source: str,
) -> scheduling_service.Booking:
    """Books the link's pending hold (not committed). Idempotent: confirming twice returns the booking.

    404 when `hold_id` is not this link's pending hold, 410 hold expired / link expired, 422 bad phone.
    """
    hold_id = hold_id or link.pending_hold_id
    if not hold_id:
        raise NotFound("there is no held time to confirm; pick a time first", code="no_pending_hold")
    hold = scheduling_service.get_hold(db=db, tenant_id=tenant.id, hold_id=hold_id)
    if hold.booking_link_id != link.id:
        raise NotFound("hold not found", code="hold_not_found")
    if link.appointment_id is None:
        ensure_open(link, tenancy_service.now(tenant=tenant))
    booking = scheduling_service.book(
        db=db, tenant=tenant, hold=hold, customer_phone=customer_phone or link.customer_phone,
        customer_name=customer_name, source=source,
    )
    link.appointment_id = booking.appointment.id
    db.flush()
    return booking


@dataclass(frozen=True)
class LinkView:
    """What the public page shows about a link."""

    link: BookingLink
    tenant: Tenant
    quote: catalog_service.Quote
    business_phone: str | None


def view_of(*, db: Session, link: BookingLink) -> LinkView:
    tenant = tenancy_service.get(db=db, tenant_id=link.tenant_id)
    numbers = tenancy_service.phone_numbers(db=db, tenant_id=tenant.id)
    return LinkView(link=link, tenant=tenant, quote=quote_of(link), business_phone=numbers[0].e164 if numbers else None)
