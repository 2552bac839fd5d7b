"""The public booking page /book/{token} and the booking-link API."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.booking import service as booking_service
from app.booking.models import BookingLink
from app.catalog import service as catalog_service
from app.scheduling import service as scheduling_service
from app.scheduling.models import Appointment, Hold
from tests.booking.conftest import tenant_row
from tests.booking.test_scheduling import at_local, csrf
from tests.conftest import csrf_of


def make_link(db: Session, shop: dict[str, Any], *, phone: str | None = "+15550100555",
              item: str = "Leak repair") -> BookingLink:
    tenant = tenant_row(db, shop)
    quote = catalog_service.quote(db=db, tenant_id=tenant.id, item_id=shop["items"][item])
    link = booking_service.create_link(db=db, tenant=tenant, quote=quote, job_description="My kitchen sink is leaking",
                                       customer_phone=phone)
    token = link.token
    db.commit()
    assert link.token == token
    return link


@pytest.fixture
def customer(app: FastAPI) -> Any:
    """An anonymous phone browser: no session, only the CSRF cookie every page sets."""
    with TestClient(app) as browser:
        yield browser


def offered_values(html: str) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', html)


def pick(customer: TestClient, token: str, start: str, *, with_csrf: bool = True) -> Any:
    data = {"start": start}
    if with_csrf:
        data["csrf_token"] = csrf_of(customer)
    return customer.post(f"/book/{token}/hold", data=data, follow_redirects=False)


def confirm(customer: TestClient, token: str, hold_id: str, **fields: str) -> Any:
    return customer.post(f"/book/{token}/confirm", follow_redirects=False,
                         data={"hold_id": hold_id, "csrf_token": csrf_of(customer), **fields})


def pending(db: Session, link: BookingLink) -> Hold:
    """The link's pending hold, read fresh. Ends the read transaction: on SQLite an open one would hold
    the write lock (BEGIN IMMEDIATE) and the next request would wait for it."""
    hold_id = db.scalar(select(BookingLink.pending_hold_id).where(BookingLink.id == link.id))
    hold = db.get(Hold, hold_id, populate_existing=True) if hold_id else None
    assert hold is not None
    db.commit()
    return hold


def test_pick_hold_confirm_booked(db: Session, shop: dict[str, Any], customer: TestClient) -> None:
    link = make_link(db, shop)
    page = customer.get(f"/book/{link.token}")
    assert page.status_code == 200
    assert "<h1>Book Leak repair</h1>" in page.text and "$149" in page.text and "about 1 h" in page.text
    assert "My kitchen sink is leaking" in page.text
    assert re.findall(r'class="slot-label">([^<]+)<', page.text) == [
        "Mon Jan 7, 9:30 AM", "Mon Jan 7, 10:30 AM", "Mon Jan 7, 11:30 AM"]
    second = offered_values(page.text)[1]
    held = pick(customer, link.token, second)
    assert held.status_code == 303 and held.headers["location"] == f"/book/{link.token}/hold"
    hold_page = customer.get(f"/book/{link.token}/hold")
    hold = pending(db, link)
    expiry = scheduling_service.format_local_time(hold.expires_at, "America/New_York")
    assert "Mon Jan 7, 10:30 AM" in hold_page.text and f">{expiry}</time>" in hold_page.text
    assert 'data-testid="hold-expiry"' in hold_page.text
    done = confirm(customer, link.token, hold.id, name="Pat Customer")
    assert done.status_code == 303 and done.headers["location"] == f"/book/{link.token}/booked"
    booked = customer.get(f"/book/{link.token}/booked")
    assert "You're booked" in booked.text and "$149" in booked.text and "Mon Jan 7, 10:30 AM" in booked.text
    appointment = db.scalar(select(Appointment).where(Appointment.tenant_id == shop["id"]))
    assert appointment is not None
    assert (appointment.source, appointment.price_cents, appointment.customer_phone, appointment.customer_name) == (
        "web", 14900, "+15550100555", "Pat Customer")
    db.commit()
    # the link now leads to its confirmation, and confirming again books nothing new
    assert customer.get(f"/book/{link.token}", follow_redirects=False).headers["location"].endswith("/booked")
    assert confirm(customer, link.token, hold.id).status_code == 303
    assert len(db.scalars(select(Appointment).where(Appointment.tenant_id == shop["id"])).all()) == 1


def test_forms_need_the_csrf_token(db: Session, shop: dict[str, Any], customer: TestClient) -> None:
    link = make_link(db, shop)
    start = offered_values(customer.get(f"/book/{link.token}").text)[0]
    refused = pick(customer, link.token, start, with_csrf=False)
    assert refused.status_code == 403
    assert db.scalar(select(Hold.id).where(Hold.tenant_id == shop["id"])) is None


def test_a_slot_taken_meanwhile_shows_a_message_and_fresh_offers(db: Session, shop: dict[str, Any],
                                                                 customer: TestClient) -> None:
    link = make_link(db, shop)
    offers = offered_values(customer.get(f"/book/{link.token}").text)
    other = make_link(db, shop, phone="+15550100666")
    booking_service.pick(db=db, tenant=tenant_row(db, shop), link=other, starts_at=datetime.fromisoformat(offers[0]),
                         source="web")
    db.commit()
    response = pick(customer, link.token, offers[0])
    assert response.headers["location"] == f"/book/{link.token}?notice=slot_taken"
    page = customer.get(response.headers["location"])
    assert "just taken by someone else" in page.text and "Fresh times" in page.text
    assert offers[0] not in offered_values(page.text) and len(offered_values(page.text)) == 3


def test_an_expired_hold_answers_410_with_fresh_offers(
    db: Session, shop: dict[str, Any], customer: TestClient, set_clock: Callable[..., datetime]
) -> None:
    link = make_link(db, shop)
    first = offered_values(customer.get(f"/book/{link.token}").text)[0]
    pick(customer, link.token, first)
    hold = pending(db, link)
    set_clock(shop, at=hold.expires_at)
    page = customer.get(f"/book/{link.token}/hold")
    assert page.status_code == 410 and "Your hold expired" in page.text
    response = confirm(customer, link.token, hold.id)
    assert response.status_code == 410
    assert "Your hold expired" in response.text and 'data-testid="hold-expired"' in response.text
    assert len(offered_values(response.text)) == 3
    assert db.scalar(select(Appointment.id).where(Appointment.tenant_id == shop["id"])) is None


def test_picking_another_time_gives_the_first_back(db: Session, shop: dict[str, Any], customer: TestClient) -> None:
    link = make_link(db, shop)
    offers = offered_values(customer.get(f"/book/{link.token}").text)
    pick(customer, link.token, offers[0])
    first = pending(db, link)
    pick(customer, link.token, offers[1])
    second = pending(db, link)
    assert second.id != first.id and db.get(Hold, first.id, populate_existing=True).status == "released"  # type: ignore[union-attr]
    db.commit()
    page = customer.get(f"/book/{link.token}")
    assert offers[0] in offered_values(page.text)
    assert "You're holding Mon Jan 7, 10:30 AM" in page.text


@pytest.mark.parametrize(("typed", "stored"), [("(555) 010-0123", "+15550100123"), ("+44 20 7946 0958", "+442079460958")])
def test_a_link_without_a_phone_asks_for_one(db: Session, shop: dict[str, Any], customer: TestClient, typed: str,
                                             stored: str) -> None:
    link = make_link(db, shop, phone=None)
    pick(customer, link.token, offered_values(customer.get(f"/book/{link.token}").text)[0])
    hold = pending(db, link)
    assert 'name="phone"' in customer.get(f"/book/{link.token}/hold").text
    bad = confirm(customer, link.token, hold.id, phone="123")
    assert bad.status_code == 422 and "Enter a mobile number" in bad.text and 'aria-invalid="true"' in bad.text
    good = confirm(customer, link.token, hold.id, phone=typed)
    assert good.status_code == 303
    assert db.scalar(select(Appointment.customer_phone).where(Appointment.tenant_id == shop["id"])) == stored


def test_unknown_and_expired_links_say_so(
    db: Session, shop: dict[str, Any], customer: TestClient, set_clock: Callable[..., datetime]
) -> None:
    for token in ("A" * 22, "short", "x" * 200, "%00"):
        page = customer.get(f"/book/{token}")
        assert page.status_code == 404 and "couldn't find this booking link" in page.text
    link = make_link(db, shop)
    set_clock(shop, advance=72 * 3600)
    for path in (f"/book/{link.token}", f"/book/{link.token}/hold"):
        page = customer.get(path)
        assert page.status_code == 410 and "This booking link has expired" in page.text
        assert shop["phone_number"] in page.text
    assert pick(customer, link.token, at_local(8, 10).isoformat()).status_code == 410


def test_tampered_or_impossible_starts_are_refused_politely(db: Session, shop: dict[str, Any],
                                                            customer: TestClient) -> None:
    link = make_link(db, shop)
    customer.get(f"/book/{link.token}")
    for start in ("not-a-date", at_local(7, 8, 0).isoformat(), at_local(12, 10).isoformat(), "2030-01-08T15:00:00"):
        response = pick(customer, link.token, start)
        assert response.status_code == 303 and response.headers["location"].endswith("notice=slot_unavailable"), start
    assert pick(customer, link.token, "").headers["location"].endswith("notice=pick_first")


def test_booking_link_api(shop: dict[str, Any], login_as: Callable[..., TestClient], customer: TestClient) -> None:
    owner = login_as(shop, "OWNER")
    created = owner.post("/api/v1/booking-links", json={"text": "no hot water", "customer_phone": "+15550100222"},
                         headers=csrf(owner))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["url"] == f"http://testserver/book/{body['token']}"
    assert body["quote"]["summary"] == "Water heater install: $1,200, about 4 h"
    assert [o["label"] for o in body["offers"]] == ["Mon Jan 7, 9:30 AM", "Tue Jan 8, 8:00 AM", "Tue Jan 8, 12:00 PM"]
    assert customer.get(f"/book/{body['token']}").status_code == 200
    inactive = owner.post("/api/v1/booking-links", json={"item_id": shop["items"]["Gas line check"]},
                          headers=csrf(owner))
    assert inactive.status_code == 410
    nothing = owner.post("/api/v1/booking-links", json={"text": "paint the fence"}, headers=csrf(owner))
    assert nothing.status_code == 422 and nothing.json()["code"] == "no_catalog_match"
    bad_phone = owner.post("/api/v1/booking-links", json={"text": "leak", "customer_phone": "555"}, headers=csrf(owner))
    assert bad_phone.status_code == 422


def test_booked_price_stays_the_quoted_price(db: Session, shop: dict[str, Any], customer: TestClient,
                                             login_as: Callable[..., TestClient]) -> None:
    """The customer was quoted $149: a price rise before they book does not change what they pay."""
    link = make_link(db, shop)
    owner = login_as(shop, "OWNER")
    owner.patch(f"/api/v1/catalog/items/{shop['items']['Leak repair']}", json={"price_cents": 17900},
                headers=csrf(owner))
    pick(customer, link.token, offered_values(customer.get(f"/book/{link.token}").text)[0])
    confirm(customer, link.token, pending(db, link).id)
    assert db.scalar(select(Appointment.price_cents).where(Appointment.tenant_id == shop["id"])) == 14900


def test_control_characters_never_reach_the_database(db: Session, shop: dict[str, Any], customer: TestClient,
                                                     login_as: Callable[..., TestClient]) -> None:
    """NUL is not storable in PostgreSQL text: names and job descriptions are cleaned, not a 500."""
    owner = login_as(shop, "OWNER")
    created = owner.post("/api/v1/booking-links", json={"text": "leak\x00 under\nthe sink"}, headers=csrf(owner))
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    pick(customer, token, offered_values(customer.get(f"/book/{token}").text)[0])
    hold_id = db.scalar(select(BookingLink.pending_hold_id).where(BookingLink.token == token))
    db.commit()
    assert confirm(customer, token, str(hold_id), phone="+15550100123", name="Pat\x00 Smith").status_code == 303
    assert db.scalar(select(Appointment.customer_name).where(Appointment.tenant_id == shop["id"])) == "Pat  Smith"
    assert db.scalar(select(BookingLink.job_description).where(BookingLink.token == token)) == "leak  under the sink"
