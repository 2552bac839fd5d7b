"""Owner/tech pages: the catalog page (OWNER only, validation messages) and the appointments page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.catalog import service as catalog_service
from app.catalog.views import parse_price
from app.scheduling import service as scheduling_service
from tests.booking.conftest import tenant_row
from tests.booking.test_scheduling import at_local
from tests.conftest import csrf_of


def post_form(client: TestClient, path: str, **fields: str) -> Any:
    return client.post(path, data={**fields, "csrf_token": csrf_of(client)}, follow_redirects=False)


def test_catalog_page_lists_items_for_the_owner_only(shop: dict[str, Any], login_as: Callable[..., TestClient]) -> None:
    owner = login_as(shop, "OWNER")
    page = owner.get("/catalog")
    assert page.status_code == 200
    assert page.text.count('data-testid="catalog-row"') == 4
    assert "Leak repair" in page.text and "$149" in page.text and "also: leak, leaking pipe, dripping tap" in page.text
    assert 'href="/catalog"' in page.text  # the nav entry
    tech = login_as(shop, "TECH")
    assert tech.get("/catalog").status_code == 403
    assert 'href="/catalog"' not in tech.get("/appointments").text
    assert post_form(tech, "/catalog", name="Sneaky", price="10", duration="60").status_code == 403


def test_add_edit_deactivate_through_the_page(shop: dict[str, Any], login_as: Callable[..., TestClient],
                                              db: Session) -> None:
    owner = login_as(shop, "OWNER")
    added = post_form(owner, "/catalog", name="Faucet install", aliases="Tap, new faucet", price="$1,250.50",
                      duration="90", priority="3")
    assert added.status_code == 303 and added.headers["location"] == "/catalog?notice=added"
    assert "Item added." in owner.get(added.headers["location"]).text
    item = next(i for i in catalog_service.list_items(db=db, tenant_id=shop["id"]) if i.name == "Faucet install")
    assert (item.price_cents, item.duration_minutes, item.priority, item.aliases) == (125050, 90, 3, ["tap", "new faucet"])
    db.commit()
    edit = owner.get(f"/catalog/{item.id}/edit")
    assert "Edit Faucet install" in edit.text and 'value="1250.50"' in edit.text
    saved = post_form(owner, f"/catalog/{item.id}", name="Faucet installation", aliases="tap", price="99",
                      duration="60", priority="0")
    assert saved.status_code == 303
    assert post_form(owner, f"/catalog/{item.id}/deactivate").headers["location"] == "/catalog?notice=deactivated"
    db.refresh(item)
    assert (item.name, item.price_cents, item.active) == ("Faucet installation", 9900, False)
    db.commit()
    assert post_form(owner, f"/catalog/{item.id}/activate").status_code == 303
    db.refresh(item)
    assert item.active is True


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "", "price": "10", "duration": "60"}, "name", "Name must not be empty."),
        ({"name": "Leak Repair", "price": "10", "duration": "60"}, "name", "An item with this name already exists."),
        ({"name": "X", "price": "ten", "duration": "60"}, "price", "Enter a price in dollars, like 149 or 149.50."),
        ({"name": "X", "price": "0", "duration": "60"}, "price", "Price must be between 1 and 10000000 cents."),
        ({"name": "X", "price": "10", "duration": "50"}, "duration", "Duration must be 15..480 minutes in steps of 15."),
        ({"name": "X", "price": "10", "duration": "60", "priority": "500"}, "priority", "Priority must be between"),
        ({"name": "X", "price": "10", "duration": "60", "aliases": "ok, " + "y" * 61}, "aliases", "is longer than 60"),
    ],
)
def test_invalid_input_shows_messages_and_keeps_what_was_typed(
    shop: dict[str, Any], login_as: Callable[..., TestClient], db: Session, fields: dict[str, str], field: str,
    message: str,
) -> None:
    owner = login_as(shop, "OWNER")
    response = post_form(owner, "/catalog", **fields)
    assert response.status_code == 422
    assert 'role="alert"' in response.text and message in response.text
    assert f'id="{field}-error"' in response.text and f'aria-describedby="{field}-error"' in response.text
    if fields["name"]:
        assert f'value="{fields["name"]}"' in response.text
    assert len(catalog_service.list_items(db=db, tenant_id=shop["id"])) == 4


def test_invalid_edit_changes_nothing(shop: dict[str, Any], login_as: Callable[..., TestClient], db: Session) -> None:
    owner = login_as(shop, "OWNER")
    leak = shop["items"]["Leak repair"]
    response = post_form(owner, f"/catalog/{leak}", name="Drain cleaning", price="1", duration="60", priority="0")
    assert response.status_code == 422 and "already exists" in response.text
    assert catalog_service.get_item(db=db, tenant_id=shop["id"], item_id=leak).name == "Leak repair"


@pytest.mark.parametrize(("typed", "cents"), [("149", 14900), ("149.5", 14950), ("$1,250.00", 125000), (" 0.99 ", 99),
                                              ("1,25", None), ("", None), ("-5", None), ("1.234", None)])
def test_parse_price(typed: str, cents: int | None) -> None:
    assert parse_price(typed) == cents


def test_appointments_page_shows_price_and_conversation_link(
    shop: dict[str, Any], login_as: Callable[..., TestClient], db: Session
) -> None:
    tenant = tenant_row(db, shop)
    hold = scheduling_service.create_hold(db=db, tenant=tenant, starts_at=at_local(8, 10), duration_minutes=60,
                                          service_name="Leak repair", price_cents=14900, conversation_id="c" * 32,
                                          customer_phone="+15550100321", source="sms")
    scheduling_service.book(db=db, tenant=tenant, hold=hold, customer_name="Pat")
    db.commit()
    for role in ("OWNER", "TECH"):
        page = login_as(shop, role).get("/appointments")
        assert page.status_code == 200
        rows = re.findall(r'<tr data-testid="appointment-row".*?</tr>', page.text, re.S)
        assert len(rows) == 1
        assert "Tue Jan 8, 10:00 AM" in rows[0] and "Leak repair" in rows[0] and "$149" in rows[0]
        assert f'href="/conversations/{"c" * 32}"' in rows[0] and "+15550100321" in rows[0]
        assert 'data-testid="upcoming-total">$149<' in page.text


def test_empty_appointments_page(shop: dict[str, Any], login_as: Callable[..., TestClient]) -> None:
    page = login_as(shop, "OWNER").get("/appointments")
    assert 'data-testid="appointments-empty"' in page.text


def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/catalog", "/appointments"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
