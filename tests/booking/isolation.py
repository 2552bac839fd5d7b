"""Isolation-test factories for the catalog, scheduling and booking path parameters (see tests/isolation_ids.py)."""

from __future__ import annotations

import uuid

from app.catalog import service as catalog_service
from app.scheduling import service as scheduling_service
from app.scheduling.models import Hold
from app.tenancy import service as tenancy_service
from tests.isolation_ids import EXAMPLE_BODIES, IsolationContext, factory


def _item(ctx: IsolationContext) -> str:
    with ctx.database.session() as db:
        item = catalog_service.create_item(db=db, tenant_id=ctx.tenant["id"], name=f"Isolation item {uuid.uuid4().hex[:8]}",
                                           price_cents=5000, duration_minutes=30)
        db.commit()
        return item.id


def _hold(ctx: IsolationContext, *, book: bool) -> tuple[str, str | None]:
    with ctx.database.session() as db:
        tenant = tenancy_service.get(db=db, tenant_id=ctx.tenant["id"])
        slot = scheduling_service.offers(db=db, tenant=tenant, duration_minutes=30, count=1)[0]
        hold: Hold = scheduling_service.create_hold(db=db, tenant=tenant, starts_at=slot.starts_at,
                                                    duration_minutes=30, service_name="Isolation", price_cents=5000)
        appointment_id = scheduling_service.book(db=db, tenant=tenant, hold=hold).appointment.id if book else None
        db.commit()
        return hold.id, appointment_id


@factory("item_id")
def _item_id(ctx: IsolationContext) -> str:
    return _item(ctx)


@factory("hold_id")
def _hold_id(ctx: IsolationContext) -> str:
    return _hold(ctx, book=False)[0]


@factory("appointment_id")
def _appointment_id(ctx: IsolationContext) -> str:
    appointment_id = _hold(ctx, book=True)[1]
    assert appointment_id is not None
    return appointment_id


EXAMPLE_BODIES[("PATCH", "/api/v1/catalog/items/{item_id}")] = {"json": {"priority": 1}}
EXAMPLE_BODIES[("POST", "/catalog/{item_id}")] = {
    "data": {"name": "Renamed", "price": "10", "duration": "60", "priority": "0"}}
