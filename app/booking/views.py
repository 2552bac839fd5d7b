"""The public booking page /book/{token}: no login, the token in the customer's SMS is the credential.

    GET  /book/{token}          the job, the price and fresh offers (radio buttons, one per slot)
    POST /book/{token}/hold     hold the chosen slot -> /book/{token}/hold
    GET  /book/{token}/hold     "held until 9:45 AM" and Confirm
    POST /book/{token}/confirm  book the hold -> /book/{token}/booked
    GET  /book/{token}/booked   the confirmation

Forms are CSRF-checked (CsrfChecked) and post-redirect-get. Outcomes a customer must understand get
their own page, never a stack trace: a slot taken meanwhile (the offers again, with a message), an
expired hold (410, with fresh offers), an unknown link (404) or an expired one (410).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.booking import service as booking_service
from app.booking.models import LINK_TTL_HOURS, BookingLink
from app.catalog import service as catalog_service
from app.deps import CsrfChecked, DbSession
from app.errors import Conflict, Gone, NotFound, ValidationFailed
from app.scheduling import service as scheduling_service
from app.scheduling.models import Hold
from app.tenancy import service as tenancy_service
from app.ui.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)

SOURCE = "web"
# Messages a redirect may ask for (codes only: nothing from the URL is echoed into the page).
NOTICES = {
    "slot_taken": "Sorry, that time was just taken by someone else. Here are the next free times.",
    "slot_unavailable": "That time can't be booked any more. Please pick another one.",
    "pick_first": "Please choose a time first.",
}


def _page(request: Request, template: str, view: booking_service.LinkView, *, status_code: int = 200,
          **context: Any) -> Response:
    context.update(view=view, link=view.link, tenant=view.tenant, quote=view.quote)
    return render(request, f"booking/{template}", context, status_code=status_code)


def _unavailable(request: Request, *, status_code: int, view: booking_service.LinkView | None = None) -> Response:
    context = {"status": status_code, "view": view, "tenant": view.tenant if view else None,
               "link_ttl_hours": LINK_TTL_HOURS}
    return render(request, "booking/unavailable.html", context, status_code=status_code)


def _offers_page(request: Request, db: Session, view: booking_service.LinkView, *, status_code: int = 200,
                 notice: str = "", expired_hold: Hold | None = None) -> Response:
    tenant = view.tenant
    now = tenancy_service.now(tenant=tenant)
    slots = booking_service.offers_for(db=db, tenant=tenant, link=view.link)
    held = booking_service.pending_hold(db=db, tenant=tenant, link=view.link)
    live_hold = held if held is not None and scheduling_service.hold_is_live(held, now) else None
    return _page(
        request, "offers.html", view, status_code=status_code, notice=notice, expired_hold=expired_hold,
        live_hold=live_hold, offers=[(s.starts_at.isoformat(), s.label(tenant.timezone)) for s in slots],
        label=lambda moment: scheduling_service.format_local(moment, tenant.timezone),
        clock=lambda moment: scheduling_service.format_local_time(moment, tenant.timezone),
    )


def _load(db: Session, token: str) -> tuple[BookingLink | None, booking_service.LinkView | None]:
    try:
        link = booking_service.find_link(db=db, token=token)
    except NotFound:
        return None, None
    return link, booking_service.view_of(db=db, link=link)


def _expired(view: booking_service.LinkView) -> bool:
    return booking_service.is_expired(view.link, tenancy_service.now(tenant=view.tenant))


@router.get("/book/{token}")
def booking_page(token: str, request: Request, db: DbSession, notice: str = "") -> Response:
    link, view = _load(db, token)
    if link is None or view is None:
        return _unavailable(request, status_code=404)
    if link.appointment_id:
        return RedirectResponse(f"/book/{token}/booked", status_code=303)
    if _expired(view):
        return _unavailable(request, status_code=410, view=view)
    return _offers_page(request, db, view, notice=NOTICES.get(notice, ""))


@router.post("/book/{token}/hold")
def hold_slot(
    token: str,
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    start: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    link, view = _load(db, token)
    if link is None or view is None:
        return _unavailable(request, status_code=404)
    if not start:
        return RedirectResponse(f"/book/{token}?notice=pick_first", status_code=303)
    try:
        starts_at = datetime.fromisoformat(start)
        booking_service.pick(db=db, tenant=view.tenant, link=link, starts_at=starts_at, source=SOURCE)
    except Conflict as exc:
        db.rollback()
        if exc.code == "already_booked":
            return RedirectResponse(f"/book/{token}/booked", status_code=303)
        return RedirectResponse(f"/book/{token}?notice=slot_taken", status_code=303)
    except Gone:
        db.rollback()
        return _unavailable(request, status_code=410, view=view)
    except (ValidationFailed, ValueError):
        db.rollback()
        return RedirectResponse(f"/book/{token}?notice=slot_unavailable", status_code=303)
    db.commit()
    return RedirectResponse(f"/book/{token}/hold", status_code=303)


def _held_page(request: Request, view: booking_service.LinkView, hold: Hold, *, status_code: int = 200,
               phone: str = "", name: str = "", error: str = "") -> Response:
    timezone = view.tenant.timezone
    return _page(
        request, "held.html", view, status_code=status_code, hold=hold, phone=phone, name=name, error=error,
        slot_label=scheduling_service.format_local(hold.starts_at, timezone),
        expires_label=scheduling_service.format_local_time(hold.expires_at, timezone),
    )


@router.get("/book/{token}/hold")
def held_page(token: str, request: Request, db: DbSession) -> Response:
    link, view = _load(db, token)
    if link is None or view is None:
        return _unavailable(request, status_code=404)
    if link.appointment_id:
        return RedirectResponse(f"/book/{token}/booked", status_code=303)
    if _expired(view):
        return _unavailable(request, status_code=410, view=view)
    hold = booking_service.pending_hold(db=db, tenant=view.tenant, link=link)
    if hold is None:
        return RedirectResponse(f"/book/{token}?notice=pick_first", status_code=303)
    if not scheduling_service.hold_is_live(hold, tenancy_service.now(tenant=view.tenant)):
        return _offers_page(request, db, view, status_code=410, expired_hold=hold)
    return _held_page(request, view, hold)


@router.post("/book/{token}/confirm")
def confirm_booking(
    token: str,
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    hold_id: Annotated[str, Form(max_length=64)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    link, view = _load(db, token)
    if link is None or view is None:
        return _unavailable(request, status_code=404)
    customer_phone = None
    if not link.customer_phone:
        customer_phone = booking_service.normalize_phone(phone)
        if customer_phone is None:
            hold = booking_service.pending_hold(db=db, tenant=view.tenant, link=link)
            if hold is not None and scheduling_service.hold_is_live(hold, tenancy_service.now(tenant=view.tenant)):
                return _held_page(request, view, hold, status_code=422, phone=phone, name=name,
                                  error="Enter a mobile number we can text, like (555) 010-0123 or +15550100123.")
    try:
        booking_service.confirm(db=db, tenant=view.tenant, link=link, hold_id=hold_id or None,
                                customer_phone=customer_phone, customer_name=name, source=SOURCE)
    except NotFound:
        db.rollback()
        return RedirectResponse(f"/book/{token}?notice=pick_first", status_code=303)
    except Gone as exc:
        db.rollback()
        if exc.code == "link_expired":
            return _unavailable(request, status_code=410, view=view)
        held = booking_service.pending_hold(db=db, tenant=view.tenant, link=link)
        if hold_id and (held is None or held.id != hold_id):
            # The form confirmed an earlier hold, given back when the customer picked another time (e.g. in
            # another tab): the page speaks of that one ("we let 9:30 AM go"), not of the hold now pending.
            held = scheduling_service.get_hold(db=db, tenant_id=view.tenant.id, hold_id=hold_id)
        return _offers_page(request, db, view, status_code=410, expired_hold=held)
    db.commit()
    return RedirectResponse(f"/book/{token}/booked", status_code=303)


@router.get("/book/{token}/booked")
def booked_page(token: str, request: Request, db: DbSession) -> Response:
    link, view = _load(db, token)
    if link is None or view is None:
        return _unavailable(request, status_code=404)
    if not link.appointment_id:
        return RedirectResponse(f"/book/{token}", status_code=303)
    appointment = scheduling_service.get_appointment(db=db, tenant_id=view.tenant.id, appointment_id=link.appointment_id)
    return _page(request, "booked.html", view, appointment=appointment,
                 price=catalog_service.price_display(appointment.price_cents),
                 slot_label=scheduling_service.format_local(appointment.starts_at, view.tenant.timezone))
