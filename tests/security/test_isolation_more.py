"""Tenant isolation where tests/app/test_tenant_isolation.py does not look (it covers ids in the *path*):

- ids in request bodies and query strings (item_id, hold_id...), found in the OpenAPI document: another
  tenant's id answers 404, both directions;
- every list page and list API without an id (inbox, appointments, catalog, dashboard...), both UI and API:
  tenant A sees nothing of tenant B's, both directions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import Database
from app.settings import Settings
from tests.isolation_ids import ID_FACTORIES, IsolationContext
from tests.security.routes import Access, routes_with

pytestmark = pytest.mark.security

OPERATION_KEYS = ("get", "post", "put", "patch", "delete")

#: (METHOD, path, field) -> how to send another tenant's id in that field (bodies must be otherwise valid, so
#: the 404 is about the id). `ids` holds the other tenant's ids, `slot` a free start time of the caller's.
BODY_AND_QUERY_IDS: dict[tuple[str, str, str], Callable[[dict[str, str], str], dict[str, Any]]] = {
    ("POST", "/api/v1/catalog/quote", "item_id"): lambda ids, slot: {"json": {"item_id": ids["item_id"]}},
    ("POST", "/api/v1/booking-links", "item_id"): lambda ids, slot: {"json": {"item_id": ids["item_id"]}},
    ("POST", "/api/v1/holds", "item_id"): lambda ids, slot: {"json": {"item_id": ids["item_id"], "starts_at": slot}},
    ("POST", "/api/v1/bookings", "hold_id"): lambda ids, slot: {"json": {"hold_id": ids["hold_id"],
                                                                         "customer_name": "Mallory"}},
    ("GET", "/api/v1/offers", "item_id"): lambda ids, slot: {"params": {"item_id": ids["item_id"]}},
    ("GET", "/api/v1/availability", "item_id"): lambda ids, slot: {"params": {"item_id": ids["item_id"],
                                                                              "date": slot[:10]}},
}


def id_fields_in_openapi(app: FastAPI) -> set[tuple[str, str, str]]:
    """(METHOD, path, field) for every *_id in a request body or query string of the user-facing API."""
    spec = app.openapi()
    schemas = spec.get("components", {}).get("schemas", {})
    found = set()
    for path, operations in spec["paths"].items():
        if path.startswith(("/api/operator", "/webhooks")):
            continue
        for method, operation in operations.items():
            if method not in OPERATION_KEYS:
                continue
            names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
            for content in operation.get("requestBody", {}).get("content", {}).values():
                schema = content.get("schema", {})
                if "$ref" in schema:
                    schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
                names += list(schema.get("properties", {}))
            found |= {(method.upper(), path, name) for name in names if name.endswith("_id")}
    return found


def test_every_id_in_a_body_or_query_string_is_covered(app: FastAPI) -> None:
    missing = sorted(id_fields_in_openapi(app) - BODY_AND_QUERY_IDS.keys())
    assert not missing, f"add these to BODY_AND_QUERY_IDS (another tenant's id must answer 404): {missing}"


def bearer(operator: TestClient, tenant: dict[str, Any]) -> dict[str, str]:
    owner = next(u for u in tenant["users"] if u["role"] == "OWNER")
    minted = operator.post(f"/api/operator/tenants/{tenant['id']}/sessions", json={"user": owner["email"]}).json()
    return {"Authorization": f"Bearer {minted['cookie_value']}"}


def resources_of(app: FastAPI, database: Database, settings: Settings, operator: TestClient,
                 tenant: dict[str, Any]) -> dict[str, str]:
    ctx = IsolationContext(app=app, database=database, settings=settings, operator=operator, tenant=tenant)
    return {name: factory(ctx) for name, factory in ID_FACTORIES.items()}


def test_another_tenants_id_in_a_body_or_query_string_is_404(
    app: FastAPI, client: TestClient, database: Database, settings: Settings, operator: TestClient,
    make_tenant: Callable[..., dict[str, Any]],
) -> None:
    a, b = make_tenant(), make_tenant()
    problems = []
    for caller, other in ((a, b), (b, a)):
        ids = resources_of(app, database, settings, operator, other)
        auth = bearer(operator, caller)
        slot = client.get("/api/v1/offers", params={"duration_minutes": 30, "count": 1}, headers=auth).json()
        starts_at = slot["offers"][0]["starts_at"]
        for (method, path, field), request in BODY_AND_QUERY_IDS.items():
            response = client.request(method, path, headers=auth, **request(ids, starts_at))
            if response.status_code != 404 or other["name"] in response.text:
                problems.append(f"{method} {path} with {other['name']}'s {field} as {caller['name']}: "
                                f"{response.status_code} {response.text[:150]}")
    assert not problems, "\n".join(problems)


def test_list_pages_and_apis_show_nothing_of_another_tenant(
    app: FastAPI, client: TestClient, database: Database, settings: Settings, operator: TestClient,
    make_tenant: Callable[..., dict[str, Any]],
) -> None:
    a, b = make_tenant(), make_tenant()
    lists = [r for r in routes_with(app, Access.SIGNED_IN, Access.OWNER) if r.method == "GET" and not r.params]
    assert {"/inbox", "/appointments", "/catalog", "/api/v1/conversations", "/api/v1/appointments"} <= \
        {r.path for r in lists}
    problems = []
    for caller, other in ((a, b), (b, a)):
        resources_of(app, database, settings, operator, caller)  # both tenants have one of everything
        theirs = resources_of(app, database, settings, operator, other)
        secrets = [other["name"], other["phone_number"], *theirs.values(), *(u["email"] for u in other["users"])]
        auth = bearer(operator, caller)
        for route in lists:
            params = {"date": "2030-01-01"} if route.path == "/api/v1/availability" else {}
            response = client.get(route.path, headers=auth, params=params, follow_redirects=False)
            leaked = [s for s in secrets if s in response.text]
            if response.status_code >= 500 or leaked:
                problems.append(f"GET {route.path} as {caller['name']}: {response.status_code}, shows {leaked}")
    assert not problems, "\n".join(problems)
