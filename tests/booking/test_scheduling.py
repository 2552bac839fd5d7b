"""Scheduling: business hours, offers from the tenant clock, holds (TTL edges), booking, idempotency,
price snapshots and the booking edge cases of seed 000 (past times, invalid phone, unknown service)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.catalog import service as catalog_service
from app.errors import Conflict, Gone, NotFound, ValidationFailed
from app.outbox.models import OutboxEvent
from app.scheduling import service as scheduling_service
from app.scheduling.models import Appointment, OccupiedBlock
from tests.booking.conftest import SHOP_NOW, tenant_row

NY = "America/New_York"


def at_local(day: int, hour: int, minute: int = 0) -> datetime:
    """January `day` 2030 at hour:minute New York time (EST, UTC-5), as UTC."""
    return datetime(2030, 1, day, hour + 5, minute, tzinfo=UTC)


def csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["nmc_csrf"]}


# --- business hours --------------------------------------------------------------------------------------
def test_default_business_hours_are_weekdays_8_to_5() -> None:
    hours = scheduling_service.parse_business_hours({})
    assert sorted(hours) == [0, 1, 2, 3, 4]
    assert {(o.isoformat(), c.isoformat()) for o, c in hours.values()} == {("08:00:00", "17:00:00")}


@pytest.mark.parametrize(
    "hours",
    [{"mon": ["8:00", "17:00"]}, {"mon": ["08:00"]}, {"mon": ["17:00", "08:00"]}, {"funday": ["08:00", "09:00"]},
     {"mon": ["08:00", "24:00"]}, {"mon": "08:00-17:00"}],
)
def test_malformed_business_hours_are_refused(hours: dict[str, Any], operator: TestClient) -> None:
    with pytest.raises(ValidationFailed):
        scheduling_service.parse_business_hours(hours)
    from tests.conftest import tenant_spec

    response = operator.post("/api/operator/tenants", json=tenant_spec(business_hours=hours))
    assert response.status_code == 422, response.text


# --- offers ----------------------------------------------------------------------------------------------
def test_offers_start_after_the_lead_time_and_do_not_overlap(db: Session, shop: dict[str, Any]) -> None:
    tenant = tenant_row(db, shop)
    slots = scheduling_service.offers(db=db, tenant=tenant, duration_minutes=60)
    assert [s.starts_at for s in slots] == [at_local(7, 9, 30), at_local(7, 10, 30), at_local(7, 11, 30)]
    assert [s.label(NY) for s in slots] == ["Mon Jan 7, 9:30 AM", "Mon Jan 7, 10:30 AM", "Mon Jan 7, 11:30 AM"]


def test_offers_follow_the_tenant_clock_and_are_never_in_the_past(
    db: Session, shop: dict[str, Any], set_clock: Callable[..., datetime]
) -> None:
    set_clock(shop, at=at_local(11, 16, 10))  # Friday 16:10: a 1-hour job no longer fits today
    tenant = tenant_row(db, shop)
    now = scheduling_service.tenancy_service.now(tenant=tenant)
    slots = scheduling_service.offers(db=db, tenant=tenant, duration_minutes=60, count=2)
    assert [s.starts_at for s in slots] == [at_local(14, 8), at_local(14, 9)]  # Monday: the weekend is closed
    assert all(s.starts_at > now for s in slots)


def test_offers_skip_appointments_and_live_holds_but_not_expired_ones(
    db: Session, shop: dict[str, Any], set_clock: Callable[..., datetime]
) -> None:
    tenant = tenant_row(db, shop)
    leak = shop["items"]["Leak repair"]
    scheduling_service.hold_item(db=db, tenant=tenant, item_id=leak, starts_at=at_local(7, 9, 30))
    hold = scheduling_service.hold_item(db=db, tenant=tenant, item_id=leak, starts_at=at_local(7, 11))
    scheduling_service.book(db=db, tenant=tenant, hold=hold)
    db.commit()
    starts = [s.starts_at for s in scheduling_service.offers(db=db, tenant=tenant, duration_minutes=60)]
    assert starts == [at_local(7, 12), at_local(7, 13), at_local(7, 14)]  # 9:30-10:30 held, 11-12 booked
    set_clock(shop, advance=15 * 60)  # the 9:30 hold expires; the appointment stays
    tenant = tenant_row(db, shop)
    starts = [s.starts_at for s in scheduling_service.offers(db=db, tenant=tenant, duration_minutes=30, count=4)]
    assert starts == [at_local(7, 9, 45), at_local(7, 10, 15), at_local(7, 12), at_local(7, 12, 30)]


def test_offers_respect_the_tenant_time_zone(
    db: Session, make_tenant: Callable[..., dict[str, Any]], set_clock: Callable[..., datetime]
) -> None:
    tenant_json = make_tenant(timezone="Asia/Kolkata", business_hours={"sat": ["10:00", "12:00"]})
    set_clock(tenant_json, at=datetime(2030, 1, 7, 0, 0, tzinfo=UTC))  # Monday 05:30 in India
    tenant = tenant_row(db, tenant_json)
    slots = scheduling_service.offers(db=db, tenant=tenant, duration_minutes=60)
    # Saturday 12 January 10:00 and 11:00 IST (04:30 and 05:30 UTC); the next Saturday after that.
    assert [s.starts_at for s in slots] == [datetime(2030, 1, 12, 4, 30, tzinfo=UTC),
                                            datetime(2030, 1, 12, 5, 30, tzinfo=UTC),
                                            datetime(2030, 1, 19, 4, 30, tzinfo=UTC)]
    assert slots[0].label("Asia/Kolkata") == "Sat Jan 12, 10:00 AM"


def test_day_availability_lists_every_free_quarter(db: Session, shop: dict[str, Any]) -> None:
    tenant = tenant_row(db, shop)
    hold = scheduling_service.hold_item(db=db, tenant=tenant, item_id=shop["items"]["Leak repair"],
                                        starts_at=at_local(8, 10))
    assert hold.status == "held"
    slots = scheduling_service.day_availability(db=db, tenant=tenant, day=date(2030, 1, 8), duration_minutes=60)
    starts = [s.starts_at for s in slots]
    assert starts[0] == at_local(8, 8) and starts[-1] == at_local(8, 16)
    assert at_local(8, 9) in starts and at_local(8, 9, 15) not in starts and at_local(8, 10, 45) not in starts
    assert at_local(8, 11) in starts


def _statements_of_a_search(db: Session, tenant: Any) -> int:
    """SQL statements one 90-minute search sends (counted at the cursor)."""
    executed: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        executed.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        slots = scheduling_service.offers(db=db, tenant=tenant, duration_minutes=90)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(slots) == 3
    return len(executed)


def test_the_search_costs_the_same_statements_however_full_the_week(db: Session, shop: dict[str, Any]) -> None:
    """A week with every other hour booked is searched in as many statements as an empty one: no query per
    booking or per candidate slot. (How fast it is belongs to the bench: `scheduling_search_ms`, SPEC 7;
    this used to be a timed assertion here and failed under a loaded CI machine.)"""
    tenant = tenant_row(db, shop)
    db.commit()  # both searches start the same way: a new transaction, the tenant read again
    empty_week = _statements_of_a_search(db, tenant)
    leak = shop["items"]["Leak repair"]
    for day in (8, 9, 10, 11, 14):
        for hour in (8, 10, 12, 14):
            hold = scheduling_service.hold_item(db=db, tenant=tenant, item_id=leak, starts_at=at_local(day, hour))
            scheduling_service.book(db=db, tenant=tenant, hold=hold)
    db.commit()
    assert _statements_of_a_search(db, tenant) == empty_week
    assert empty_week <= 10, f"one search sends {empty_week} statements"


# --- holds -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("starts_at", "code"),
    [
        (SHOP_NOW - timedelta(hours=1, minutes=10), "slot_in_past"),
        (at_local(7, 8, 45), "slot_in_past"),
        (SHOP_NOW, "invalid_start"),
        (at_local(7, 10, 10), "invalid_start"),
        (at_local(8, 7, 0), "outside_business_hours"),
        (at_local(7, 16, 30), "outside_business_hours"),  # 1 h from 16:30 ends after 17:00
        (at_local(12, 10), "outside_business_hours"),  # Saturday
        (at_local(7, 10) + timedelta(days=400), "slot_too_far"),
    ],
)
def test_holds_refuse_impossible_times(db: Session, shop: dict[str, Any], starts_at: datetime, code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        scheduling_service.hold_item(db=db, tenant=tenant_row(db, shop), item_id=shop["items"]["Leak repair"],
                                     starts_at=starts_at)
    assert caught.value.code == code
    assert db.scalar(select(OccupiedBlock.id).where(OccupiedBlock.tenant_id == shop["id"])) is None


def test_hold_writes_one_block_per_quarter_and_conflicts_are_409(db: Session, shop: dict[str, Any]) -> None:
    tenant = tenant_row(db, shop)
    hold = scheduling_service.hold_item(db=db, tenant=tenant, item_id=shop["items"]["Drain cleaning"],
                                        starts_at=at_local(7, 10))
    blocks = db.scalars(select(OccupiedBlock.block_start).where(OccupiedBlock.hold_id == hold.id)).all()
    assert sorted(blocks) == [at_local(7, 10) + timedelta(minutes=15 * i) for i in range(6)]
    assert timedelta(minutes=15) <= hold.expires_at - SHOP_NOW < timedelta(minutes=16)  # 15 min TTL, tenant clock
    with pytest.raises(Conflict) as caught:
        scheduling_service.hold_item(db=db, tenant=tenant, item_id=shop["items"]["Leak repair"],
                                     starts_at=at_local(7, 11, 15))
    assert caught.value.code == "slot_taken"
    # the session survived the conflict (savepoint) and the first hold is intact
    db.commit()
    assert scheduling_service.get_hold(db=db, tenant_id=shop["id"], hold_id=hold.id).status == "held"


def test_hold_ttl_edges_on_the_tenant_clock(db: Session, shop: dict[str, Any], set_clock: Callable[..., datetime]) -> None:
    """Booked at 14:59 after the hold: fine. At 15:00: expired (410)."""
    tenant = tenant_row(db, shop)
    early = scheduling_service.hold_item(db=db, tenant=tenant, item_id=shop["items"]["Leak repair"],
                                         starts_at=at_local(7, 13))
    late = scheduling_service.hold_item(db=db, tenant=tenant, item_id=shop["items"]["Leak repair"],
                                        starts_at=at_local(7, 15))
    db.commit()
    created = early.expires_at - timedelta(minutes=15)
    set_clock(shop, at=created + timedelta(minutes=14, seconds=59))
    tenant = tenant_row(db, shop)
    assert scheduling_service.book(db=db, tenant=tenant, hold=early).created
    db.commit()
    set_clock(shop, at=late.expires_at)  # 15:00 after the hold was made
    tenant = tenant_row(db, shop)
    late = scheduling_service.get_hold(db=db, tenant_id=shop["id"], hold_id=late.id)
    assert not scheduling_service.hold_is_live(late, scheduling_service.tenancy_service.now(tenant=tenant))
    with pytest.raises(Gone) as caught:
        scheduling_service.book(db=db, tenant=tenant, hold=late)
    assert caught.value.code == "hold_expired"
    db.rollback()
    assert scheduling_service.appointment_for_hold(db=db, tenant_id=shop["id"], hold_id=late.id) is None


def test_an_expired_holds_slot_can_be_taken_and_the_old_hold_cannot_book_it(
    db: Session, shop: dict[str, Any], set_clock: Callable[..., datetime]
) -> None:
    tenant = tenant_row(db, shop)
    leak = shop["items"]["Leak repair"]
    stale = scheduling_service.hold_item(db=db, tenant=tenant, item_id=leak, starts_at=at_local(7, 14))
    db.commit()
    set_clock(shop, advance=16 * 60)
    tenant = tenant_row(db, shop)
    fresh = scheduling_service.hold_item(db=db, tenant=tenant, item_id=leak, starts_at=at_local(7, 14, 30))
    db.commit()
    assert fresh.status == "held"
    with pytest.raises(Gone):
        scheduling_service.book(db=db, tenant=tenant, hold=stale)


def test_released_hold_frees_the_slot_and_cannot_be_booked(db: Session, shop: dict[str, Any]) -> None:
    tenant = tenant_row(db, shop)
    leak = shop["items"]["Leak repair"]
    hold = scheduling_service.hold_item(db=db, tenant=tenant, item_id=leak, starts_at=at_local(7, 14))
    scheduling_service.release_hold(db=db, hold=hold)
    again = scheduling_service.hold_item(db=db, tenant=tenant, item_id=leak, starts_at=at_local(7, 14))
    assert again.status == "held"
    with pytest.raises(Gone) as caught:
        scheduling_service.book(db=db, tenant=tenant, hold=hold)
    assert caught.value.code == "hold_released"


# --- booking ---------------------------------------------------------------------------------------------
def test_booking_emits_appointment_booked_and_is_idempotent_on_the_hold(db: Session, shop: dict[str, Any]) -> None:
    tenant = tenant_row(db, shop)
    hold = scheduling_service.hold_item(db=db, tenant=tenant, item_id=shop["items"]["Leak repair"],
                                        starts_at=at_local(7, 10), customer_phone="+15550100999")
    first = scheduling_service.book(db=db, tenant=tenant, hold=hold)
    db.commit()
    second = scheduling_service.book(db=db, tenant=tenant, hold=hold)
    assert first.created and not second.created
    assert second.appointment.id == first.appointment.id
    assert first.appointment.customer_phone == "+15550100999"
    events = db.scalars(select(OutboxEvent).where(OutboxEvent.tenant_id == shop["id"],
                                                  OutboxEvent.event_type == "AppointmentBooked")).all()
    assert len(events) == 1 and events[0].payload["appointment_id"] == first.appointment.id
    blocks = db.scalars(select(OccupiedBlock).where(OccupiedBlock.appointment_id == first.appointment.id)).all()
    assert len(blocks) == 4 and all(b.hold_id is None and b.expires_at is None for b in blocks)


def test_price_snapshot_survives_catalog_changes(
    db: Session, shop: dict[str, Any], login_as: Callable[..., TestClient]
) -> None:
    """Revenue attribution: the price at booking time stays with the appointment."""
    tenant = tenant_row(db, shop)
    leak_id = shop["items"]["Leak repair"]
    hold = scheduling_service.hold_item(db=db, tenant=tenant, item_id=leak_id, starts_at=at_local(7, 10))
    booking = scheduling_service.book(db=db, tenant=tenant, hold=hold)
    db.commit()
    owner = login_as(shop, "OWNER")
    changed = owner.patch(f"/api/v1/catalog/items/{leak_id}", json={"price_cents": 19900, "name": "Leak fix"},
                          headers=csrf(owner))
    assert changed.status_code == 200
    listed = owner.get("/api/v1/appointments").json()["appointments"]
    assert [(a["id"], a["price_cents"], a["price_display"], a["service_name"]) for a in listed] == [
        (booking.appointment.id, 14900, "$149", "Leak repair")
    ]
    assert sum(a["price_cents"] for a in listed) == 14900


def test_unknown_and_inactive_services_cannot_be_held(db: Session, shop: dict[str, Any]) -> None:
    tenant = tenant_row(db, shop)
    with pytest.raises(NotFound):
        scheduling_service.hold_item(db=db, tenant=tenant, item_id="a" * 32, starts_at=at_local(7, 10))
    with pytest.raises(Gone):
        scheduling_service.hold_item(db=db, tenant=tenant, item_id=shop["items"]["Gas line check"],
                                     starts_at=at_local(7, 10))


@pytest.mark.parametrize("phone", ["123", "not-a-phone", "", "123-456-7890-1111", "5550100123", "+0123456789"])
def test_invalid_phone_numbers_are_refused(db: Session, shop: dict[str, Any], phone: str) -> None:
    tenant = tenant_row(db, shop)
    hold = scheduling_service.hold_item(db=db, tenant=tenant, item_id=shop["items"]["Leak repair"],
                                        starts_at=at_local(7, 10))
    with pytest.raises(ValidationFailed):
        scheduling_service.book(db=db, tenant=tenant, hold=hold, customer_phone=phone or "-")
    with pytest.raises(ValidationFailed):
        scheduling_service.hold_item(db=db, tenant=tenant, item_id=shop["items"]["Leak repair"],
                                     starts_at=at_local(7, 12), customer_phone=phone)


# --- JSON API --------------------------------------------------------------------------------------------
def test_api_offers_hold_book_with_idempotency_key(shop: dict[str, Any], login_as: Callable[..., TestClient]) -> None:
    tech = login_as(shop, "TECH")  # technicians work appointments too
    leak = shop["items"]["Leak repair"]
    offers = tech.get("/api/v1/offers", params={"item_id": leak}).json()
    assert offers["timezone"] == NY and offers["duration_minutes"] == 60
    assert [o["label"] for o in offers["offers"]] == ["Mon Jan 7, 9:30 AM", "Mon Jan 7, 10:30 AM", "Mon Jan 7, 11:30 AM"]
    held = tech.post("/api/v1/holds", json={"item_id": leak, "starts_at": offers["offers"][1]["starts_at"],
                                            "customer_phone": "+15550100777"}, headers=csrf(tech))
    assert held.status_code == 201, held.text
    assert held.json()["live"] is True and held.json()["price_cents"] == 14900
    taken = tech.post("/api/v1/holds", json={"item_id": leak, "starts_at": offers["offers"][1]["starts_at"]},
                      headers=csrf(tech))
    assert taken.status_code == 409 and taken.json()["code"] == "slot_taken"
    headers = {**csrf(tech), "Idempotency-Key": "book-1"}
    booked = tech.post("/api/v1/bookings", json={"hold_id": held.json()["id"], "customer_name": "Pat"}, headers=headers)
    assert booked.status_code == 201, booked.text
    replay = tech.post("/api/v1/bookings", json={"hold_id": held.json()["id"], "customer_name": "Pat"}, headers=headers)
    assert replay.status_code == 200 and replay.json() == booked.json()
    other = tech.post("/api/v1/holds", json={"item_id": leak, "starts_at": offers["offers"][2]["starts_at"]},
                      headers=csrf(tech)).json()
    reused = tech.post("/api/v1/bookings", json={"hold_id": other["id"]}, headers=headers)
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    appointments = tech.get("/api/v1/appointments").json()["appointments"]
    assert [(a["service_name"], a["price_display"], a["customer_phone"]) for a in appointments] == [
        ("Leak repair", "$149", "+15550100777")
    ]
    one = tech.get(f"/api/v1/appointments/{booked.json()['id']}")
    assert one.status_code == 200 and one.json()["starts_label"] == "Mon Jan 7, 10:30 AM"


def test_api_expired_hold_is_410(
    shop: dict[str, Any], login_as: Callable[..., TestClient], set_clock: Callable[..., datetime]
) -> None:
    owner = login_as(shop, "OWNER")
    held = owner.post("/api/v1/holds", json={"item_id": shop["items"]["Leak repair"],
                                             "starts_at": at_local(7, 15).isoformat()}, headers=csrf(owner)).json()
    set_clock(shop, advance=15 * 60)
    assert owner.get(f"/api/v1/holds/{held['id']}").json()["live"] is False
    response = owner.post("/api/v1/bookings", json={"hold_id": held["id"]}, headers=csrf(owner))
    assert response.status_code == 410 and response.json()["code"] == "hold_expired"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/v1/offers", {}, 422),
        ("GET", "/api/v1/offers", {"params": {"duration_minutes": 20}}, 422),
        ("GET", "/api/v1/offers", {"params": {"duration_minutes": 60, "count": 0}}, 422),
        ("GET", "/api/v1/offers", {"params": {"item_id": "b" * 32}}, 404),
        ("GET", "/api/v1/availability", {"params": {"date": "2030-01-08"}}, 422),
        ("GET", "/api/v1/availability", {"params": {"date": "9999-12-31", "duration_minutes": 60}}, 422),
        ("GET", "/api/v1/availability", {"params": {"date": "2030-01-08", "duration_minutes": 60}}, 200),
        ("POST", "/api/v1/holds", {"json": {"item_id": "x", "starts_at": "2030-01-08T15:00:00"}}, 422),  # naive
        ("POST", "/api/v1/holds", {"json": {"item_id": "x", "starts_at": "0001-01-01T00:00:00+23:59"}}, 404),
        ("POST", "/api/v1/bookings", {"json": {"hold_id": "c" * 32}}, 404),
        ("POST", "/api/v1/bookings", {"json": {}}, 422),
        ("GET", "/api/v1/appointments/nope", {}, 404),
        ("DELETE", "/api/v1/holds/" + "d" * 32, {}, 404),
    ],
)
def test_api_errors(shop: dict[str, Any], login_as: Callable[..., TestClient], method: str, path: str,
                    kwargs: dict[str, Any], status: int) -> None:
    owner = login_as(shop, "OWNER")
    response = owner.request(method, path, headers=csrf(owner), **kwargs)
    assert response.status_code == status, response.text
    if status >= 400:
        assert set(response.json()) >= {"detail", "code"}


def test_api_hold_out_of_range_start_is_422(shop: dict[str, Any], login_as: Callable[..., TestClient]) -> None:
    owner = login_as(shop, "OWNER")
    response = owner.post("/api/v1/holds", headers=csrf(owner), json={
        "item_id": shop["items"]["Leak repair"], "starts_at": "0001-01-01T00:00:00+23:59"})
    assert response.status_code == 422


def test_api_needs_a_session(client: TestClient) -> None:
    assert client.get("/api/v1/appointments").status_code == 401
    assert client.post("/api/v1/holds", json={}).status_code == 401


def test_release_hold_via_api(shop: dict[str, Any], login_as: Callable[..., TestClient], db: Session) -> None:
    owner = login_as(shop, "OWNER")
    held = owner.post("/api/v1/holds", json={"item_id": shop["items"]["Leak repair"],
                                             "starts_at": at_local(8, 9).isoformat()}, headers=csrf(owner)).json()
    assert owner.delete(f"/api/v1/holds/{held['id']}", headers=csrf(owner)).status_code == 204
    assert owner.get(f"/api/v1/holds/{held['id']}").json()["status"] == "released"
    assert db.scalar(select(OccupiedBlock.id).where(OccupiedBlock.hold_id == held["id"])) is None


def test_appointment_rows_are_tenant_scoped(db: Session, shop: dict[str, Any],
                                            make_tenant: Callable[..., dict[str, Any]]) -> None:
    tenant = tenant_row(db, shop)
    hold = scheduling_service.hold_item(db=db, tenant=tenant, item_id=shop["items"]["Leak repair"],
                                        starts_at=at_local(7, 10))
    booking = scheduling_service.book(db=db, tenant=tenant, hold=hold)
    db.commit()
    other = make_tenant()
    with pytest.raises(NotFound):
        scheduling_service.get_appointment(db=db, tenant_id=other["id"], appointment_id=booking.appointment.id)
    with pytest.raises(NotFound):
        scheduling_service.get_hold(db=db, tenant_id=other["id"], hold_id=hold.id)
    assert db.scalar(select(Appointment.id).where(Appointment.tenant_id == other["id"])) is None
    assert catalog_service.list_items(db=db, tenant_id=other["id"]) == []


def test_a_hold_cannot_book_a_slot_that_has_started(
    db: Session, shop: dict[str, Any], set_clock: Callable[..., datetime]
) -> None:
    """Seed 000's "past times" at booking: a hold placed just before its slot, confirmed after it began."""
    tenant = tenant_row(db, shop)
    hold = scheduling_service.hold_item(db=db, tenant=tenant, item_id=shop["items"]["Leak repair"],
                                        starts_at=at_local(7, 9))  # 5 minutes after the shop's now
    db.commit()
    set_clock(shop, at=at_local(7, 9, 1))  # the hold is still live (15 min), the slot has started
    tenant = tenant_row(db, shop)
    assert scheduling_service.hold_is_live(hold, scheduling_service.tenancy_service.now(tenant=tenant))
    with pytest.raises(Gone) as caught:
        scheduling_service.book(db=db, tenant=tenant, hold=hold)
    assert caught.value.code == "slot_started"


def test_deleting_the_tenant_removes_every_booking_row(
    db: Session, shop: dict[str, Any], operator: TestClient
) -> None:
    from app.booking.models import BookingLink
    from app.catalog.models import CatalogItem
    from app.scheduling.models import Hold

    tenant = tenant_row(db, shop)
    leak = shop["items"]["Leak repair"]
    booked = scheduling_service.hold_item(db=db, tenant=tenant, item_id=leak, starts_at=at_local(7, 10))
    scheduling_service.book(db=db, tenant=tenant, hold=booked)
    scheduling_service.hold_item(db=db, tenant=tenant, item_id=leak, starts_at=at_local(7, 13))
    released = scheduling_service.hold_item(db=db, tenant=tenant, item_id=leak, starts_at=at_local(7, 15))
    scheduling_service.release_hold(db=db, hold=released)
    from app.booking import service as booking_service

    booking_service.create_link(db=db, tenant=tenant, quote=catalog_service.quote(db=db, tenant_id=tenant.id,
                                                                                  item_id=leak))
    db.commit()
    assert operator.delete(f"/api/operator/tenants/{shop['id']}").status_code == 204
    for model in (CatalogItem, Hold, Appointment, OccupiedBlock, BookingLink):
        assert db.scalar(select(model.id).where(model.tenant_id == shop["id"])) is None, model.__name__
