"""Appointments page (OWNER and TECH): upcoming and past appointments with their booked price."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.catalog import service as catalog_service
from app.deps import CurrentAuth, DbSession
from app.scheduling import service as scheduling_service
from app.scheduling.models import Appointment
from app.tenancy import service as tenancy_service
from app.ui import nav
from app.ui.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
nav.register("Appointments", "/appointments", order=30)


@dataclass(frozen=True)
class AppointmentRow:
    appointment: Appointment
    when: str
    price: str
    duration: str


@router.get("/appointments")
def appointments_page(request: Request, db: DbSession, auth: CurrentAuth) -> Response:
    tenant = auth.tenant
    now = tenancy_service.now(tenant=tenant)
    rows = [
        AppointmentRow(
            appointment=a, when=scheduling_service.format_local(a.starts_at, tenant.timezone),
            price=catalog_service.price_display(a.price_cents),
            duration=catalog_service.duration_display(a.duration_minutes),
        )
        for a in scheduling_service.list_appointments(db=db, tenant_id=tenant.id, limit=500)
    ]
    upcoming = [r for r in rows if r.appointment.ends_at > now]
    past = list(reversed([r for r in rows if r.appointment.ends_at <= now]))
    total = catalog_service.price_display(sum(r.appointment.price_cents for r in upcoming))
    return render(request, "appointments/index.html",
                  {"upcoming": upcoming, "past": past, "upcoming_total": total, "timezone": tenant.timezone})
