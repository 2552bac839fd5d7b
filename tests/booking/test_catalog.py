"""Catalog: CRUD invariants (unique name per tenant, bounds), matching ranking, quoting (410 inactive)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.catalog import service as catalog_service
from app.catalog.models import CatalogItem
from app.errors import Conflict, Gone, NotFound, ValidationFailed
from tests.booking.conftest import CATALOG
from tests.conftest import tenant_spec

ITEMS = "/api/v1/catalog/items"


def item_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Toilet repair", "aliases": ["Running Toilet"], "price_cents": 9900,
                            "duration_minutes": 60}
    body.update(overrides)
    return body


# --- CRUD and bounds -------------------------------------------------------------------------------------
def test_owner_creates_lists_updates_and_deactivates(shop: dict[str, Any], login_as: Callable[..., TestClient]) -> None:
    owner = login_as(shop, "OWNER")
    created = owner.post(ITEMS, json=item_body(), headers={"X-CSRF-Token": owner.cookies["nmc_csrf"]})
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["aliases"] == ["running toilet"]  # aliases are stored lowercase
    assert item["price_display"] == "$99" and item["duration_display"] == "1 h" and item["active"] is True
    names = [i["name"] for i in owner.get(ITEMS).json()["items"]]
    assert "Toilet repair" in names and "Leak repair" in names
    patched = owner.patch(f"{ITEMS}/{item['id']}", json={"price_cents": 10900, "priority": 7},
                          headers={"X-CSRF-Token": owner.cookies["nmc_csrf"]})
    assert patched.status_code == 200 and patched.json()["price_cents"] == 10900 and patched.json()["priority"] == 7
    gone = owner.delete(f"{ITEMS}/{item['id']}", headers={"X-CSRF-Token": owner.cookies["nmc_csrf"]})
    assert gone.status_code == 204
    assert owner.get(f"{ITEMS}/{item['id']}").json()["active"] is False
    assert item["id"] not in [i["id"] for i in owner.get(ITEMS, params={"active_only": "true"}).json()["items"]]


def test_name_is_unique_per_tenant_ignoring_case_and_spaces(
    shop: dict[str, Any], make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient]
) -> None:
    owner = login_as(shop, "OWNER")
    csrf = {"X-CSRF-Token": owner.cookies["nmc_csrf"]}
    duplicate = owner.post(ITEMS, json=item_body(name="  leak   REPAIR "), headers=csrf)
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "duplicate_name"
    renamed = owner.post(ITEMS, json=item_body(name="Other"), headers=csrf).json()
    clash = owner.patch(f"{ITEMS}/{renamed['id']}", json={"name": "Drain Cleaning"}, headers=csrf)
    assert clash.status_code == 409
    other = make_tenant()  # another tenant may use the same name
    other_owner = login_as(other, "OWNER")
    same = other_owner.post(ITEMS, json=item_body(name="Leak repair"),
                            headers={"X-CSRF-Token": other_owner.cookies["nmc_csrf"]})
    assert same.status_code == 201


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("price_cents", 0, 422), ("price_cents", 1, 201), ("price_cents", 10_000_000, 201),
        ("price_cents", 10_000_001, 422), ("price_cents", -5, 422),
        ("duration_minutes", 0, 422), ("duration_minutes", 14, 422), ("duration_minutes", 15, 201),
        ("duration_minutes", 20, 422), ("duration_minutes", 480, 201), ("duration_minutes", 495, 422),
        ("priority", -1, 422), ("priority", 0, 201), ("priority", 100, 201), ("priority", 101, 422),
        ("name", "", 422), ("name", "   ", 422), ("name", "x" * 120, 201), ("name", "x" * 121, 422),
        ("name", "tab\there", 422), ("aliases", [""], 422), ("aliases", ["a" * 61], 422),
        ("aliases", [f"alias {n}" for n in range(21)], 422), ("aliases", ["ok", "OK", " ok "], 201),
    ],
)
def test_bounds(shop: dict[str, Any], login_as: Callable[..., TestClient], field: str, value: Any, status: int) -> None:
    owner = login_as(shop, "OWNER")
    response = owner.post(ITEMS, json=item_body(**{field: value}), headers={"X-CSRF-Token": owner.cookies["nmc_csrf"]})
    assert response.status_code == status, response.text
    body = response.json()
    if status == 422:
        assert set(body) >= {"detail", "code"}
    elif field == "aliases":
        assert body["aliases"] == ["ok"]


def test_database_refuses_out_of_bounds_rows_too(db: Session, shop: dict[str, Any]) -> None:
    """CHECK constraints back the service: even a direct insert cannot store a bad price or duration."""
    for bad in ({"price_cents": 0, "duration_minutes": 60}, {"price_cents": 100, "duration_minutes": 50}):
        db.add(CatalogItem(tenant_id=shop["id"], name="raw", name_key="raw", aliases=[], priority=0, active=True, **bad))
        with pytest.raises(IntegrityError):
            db.flush()
        db.rollback()


def test_tech_cannot_manage_the_catalog_but_can_quote(shop: dict[str, Any], login_as: Callable[..., TestClient]) -> None:
    tech = login_as(shop, "TECH")
    csrf = {"X-CSRF-Token": tech.cookies["nmc_csrf"]}
    assert tech.get(ITEMS).status_code == 403
    assert tech.post(ITEMS, json=item_body(), headers=csrf).status_code == 403
    quote = tech.post("/api/v1/catalog/quote", json={"text": "leaking pipe under sink"}, headers=csrf)
    assert quote.status_code == 200 and quote.json()["name"] == "Leak repair"


# --- quoting ---------------------------------------------------------------------------------------------
def test_quote_values_match_the_database_and_read_well(shop: dict[str, Any], login_as: Callable[..., TestClient]) -> None:
    owner = login_as(shop, "OWNER")
    csrf = {"X-CSRF-Token": owner.cookies["nmc_csrf"]}
    quote = owner.post("/api/v1/catalog/quote", json={"item_id": shop["items"]["Leak repair"]}, headers=csrf).json()
    assert quote == {
        "item_id": shop["items"]["Leak repair"], "name": "Leak repair", "price_cents": 14900, "duration_minutes": 60,
        "price_display": "$149", "duration_display": "1 h", "summary": "Leak repair: $149, about 1 h",
    }
    drain = owner.post("/api/v1/catalog/quote", json={"text": "my drain is clogged"}, headers=csrf).json()
    assert drain["summary"] == "Drain cleaning: $120, about 1 h 30 min"


def test_quoting_an_inactive_item_is_410(shop: dict[str, Any], login_as: Callable[..., TestClient]) -> None:
    owner = login_as(shop, "OWNER")
    csrf = {"X-CSRF-Token": owner.cookies["nmc_csrf"]}
    response = owner.post("/api/v1/catalog/quote", json={"item_id": shop["items"]["Gas line check"]}, headers=csrf)
    assert response.status_code == 410 and response.json()["code"] == "item_inactive"
    leak = shop["items"]["Leak repair"]
    owner.patch(f"{ITEMS}/{leak}", json={"active": False}, headers=csrf)
    assert owner.post("/api/v1/catalog/quote", json={"item_id": leak}, headers=csrf).status_code == 410


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"item_id": "0" * 32}, 404, "item_not_found"),
        ({"item_id": "not-an-id"}, 404, "item_not_found"),
        ({"text": "paint my fence"}, 422, "no_catalog_match"),
        ({"text": "i smell gas"}, 422, "no_catalog_match"),  # only an inactive item matches: not offered
        ({}, 422, "validation_error"),
        ({"item_id": "x", "text": "leak"}, 422, "validation_error"),
    ],
)
def test_quote_errors(shop: dict[str, Any], login_as: Callable[..., TestClient], body: dict[str, Any], status: int,
                      code: str) -> None:
    owner = login_as(shop, "OWNER")
    response = owner.post("/api/v1/catalog/quote", json=body, headers={"X-CSRF-Token": owner.cookies["nmc_csrf"]})
    assert response.status_code == status and response.json()["code"] == code


def test_service_quote_errors(db: Session, shop: dict[str, Any]) -> None:
    with pytest.raises(NotFound):
        catalog_service.quote(db=db, tenant_id=shop["id"], item_id="f" * 32)
    with pytest.raises(Gone):
        catalog_service.quote(db=db, tenant_id=shop["id"], item_id=shop["items"]["Gas line check"])
    with pytest.raises(ValidationFailed):
        catalog_service.quote_for_description(db=db, tenant_id=shop["id"], description="!!!")


# --- matching --------------------------------------------------------------------------------------------
def _item(name: str, aliases: list[str], priority: int = 0) -> CatalogItem:
    return CatalogItem(id=name, tenant_id="t", name=name, name_key=name.casefold(), aliases=aliases, price_cents=100,
                       duration_minutes=60, priority=priority, active=True)


RANKING_TABLE = [
    # (description, items as (name, aliases, priority), expected order of names)
    ("my sink is leaking", [("Leak repair", ["leak"], 0), ("Sink install", ["sink"], 0)],
     ["Leak repair", "Sink install"]),  # "leak" (4) ties "sink" (4) on length and priority; name wins alphabetically
    ("a blocked sink in the kitchen", [("Sink install", ["sink"], 50), ("Blocked sink", [], 0)],
     ["Blocked sink", "Sink install"]),  # longer matched text beats higher priority
    ("there is a leak", [("Aqua fix", ["leak"], 1), ("Zed plumbing", ["leak"], 9)],
     ["Zed plumbing", "Aqua fix"]),  # same matched text: the higher priority wins
    ("drain", [("Blockage service", ["drain"], 0), ("Drain", [], 0)],
     ["Drain", "Blockage service"]),  # same length and priority: the exact name beats an alias
    ("no hot water since monday", [("Water heater install", ["no hot water", "water heater"], 0),
                                   ("Hot water check", ["hot water"], 5)],
     ["Water heater install", "Hot water check"]),
    ("pipes burst!!", [("Burst pipe", ["pipe"], 0)], ["Burst pipe"]),  # "pipe" + s, punctuation ignored
    ("LEAKS everywhere", [("Leak repair", ["leak"], 0)], ["Leak repair"]),  # case and plural
    ("bleak outlook", [("Leak repair", ["leak"], 0)], []),  # whole words only
    ("", [("Leak repair", ["leak"], 0)], []),
]


@pytest.mark.parametrize(("description", "items", "expected"), RANKING_TABLE)
def test_matching_ranking_table(description: str, items: list[tuple[str, list[str], int]], expected: list[str]) -> None:
    ranked = catalog_service.rank([_item(*spec) for spec in items], description)
    assert [m.item.name for m in ranked] == expected


def test_match_api_ranks_and_explains(shop: dict[str, Any], login_as: Callable[..., TestClient]) -> None:
    owner = login_as(shop, "OWNER")
    response = owner.post("/api/v1/catalog/match", json={"text": "Clogged drain and a leaking pipe"},
                          headers={"X-CSRF-Token": owner.cookies["nmc_csrf"]})
    matches = response.json()["matches"]
    assert [(m["item"]["name"], m["matched_text"], m["matched_on"]) for m in matches] == [
        ("Drain cleaning", "clogged drain", "alias"), ("Leak repair", "leaking pipe", "alias"),
    ]


def test_service_create_rejects_before_writing(db: Session, shop: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        catalog_service.create_item(db=db, tenant_id=shop["id"], name="X", price_cents=100, duration_minutes=7)
    with pytest.raises(Conflict):
        catalog_service.create_item(db=db, tenant_id=shop["id"], name="LEAK REPAIR", price_cents=100,
                                    duration_minutes=60)
    db.rollback()
    assert len(catalog_service.list_items(db=db, tenant_id=shop["id"])) == len(CATALOG)


# --- the operator provisioner ----------------------------------------------------------------------------
def test_tenant_creation_provisions_the_catalog(operator: TestClient, db: Session) -> None:
    response = operator.post("/api/operator/tenants", json=tenant_spec(catalog=CATALOG[:2]))
    assert response.status_code == 201, response.text
    reported = response.json()["extra"]["catalog_items"]
    assert [i["name"] for i in reported] == ["Leak repair", "Drain cleaning"]
    stored = catalog_service.list_items(db=db, tenant_id=response.json()["id"])
    assert {i.id for i in stored} == {i["id"] for i in reported}


@pytest.mark.parametrize(
    "catalog",
    [
        [{"name": "A", "price_cents": 0, "duration_minutes": 60}],
        [{"name": "A", "price_cents": 100, "duration_minutes": 61}],
        [{"name": "A", "price_cents": 100, "duration_minutes": 60}, {"name": "a", "price_cents": 1, "duration_minutes": 15}],
    ],
)
def test_a_bad_catalog_item_creates_no_tenant(operator: TestClient, catalog: list[dict[str, Any]]) -> None:
    before = len(operator.get("/api/operator/tenants").json()["tenants"])
    response = operator.post("/api/operator/tenants", json=tenant_spec(catalog=catalog))
    assert response.status_code in (409, 422), response.text
    assert len(operator.get("/api/operator/tenants").json()["tenants"]) == before
