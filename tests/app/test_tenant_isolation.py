"""Tenant isolation, generated from the route table: every tenant-scoped route with an id in its path,
called by tenant A with tenant B's id (and the other way round), answers 404 and never B's data."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.db import Database
from app.deps import get_auth
from app.settings import Settings
from tests.conftest import csrf_of
from tests.isolation_ids import EXAMPLE_BODIES, ID_FACTORIES, IsolationContext

PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def _depends_on_auth(dependant: Any) -> bool:
    return any(d.call is get_auth or _depends_on_auth(d) for d in dependant.dependencies)


def api_routes(app: FastAPI) -> list[APIRoute]:
    return [route for router in app.state.routers for route in router.routes if isinstance(route, APIRoute)]


def tenant_scoped_routes(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    """(method, path, path params) of every route that needs a signed-in user and takes a path parameter."""
    found = []
    for route in api_routes(app):
        if not _depends_on_auth(route.dependant):
            continue
        params = PARAM.findall(route.path)
        if not params:
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found.append((method, route.path, params))
    return found


def test_every_tenant_scoped_route_answers_404_across_tenants(
    app: FastAPI, database: Database, settings: Settings, operator: TestClient,
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient],
) -> None:
    routes = tenant_scoped_routes(app)
    missing = sorted({p for _, _, params in routes for p in params if p not in ID_FACTORIES})
    assert not missing, f"add factories to tests/isolation_ids.py for path parameters: {missing}"
    a, b = make_tenant(), make_tenant()
    for owner_tenant, other_tenant in ((a, b), (b, a)):
        browser = login_as(owner_tenant, "OWNER")
        ctx = IsolationContext(app=app, database=database, settings=settings, operator=operator, tenant=other_tenant)
        for method, path, params in routes:
            url = path
            for param in params:
                url = re.sub(r"{" + param + r"(?::\w+)?}", ID_FACTORIES[param](ctx), url)
            body = dict(EXAMPLE_BODIES.get((method, path), {}))
            if "data" in body:
                body["data"] = {**body["data"], "csrf_token": csrf_of(browser)}
            response = browser.request(method, url, headers={"X-CSRF-Token": csrf_of(browser)},
                                       follow_redirects=False, **body)
            assert response.status_code == 404, (
                f"{method} {path} as tenant {owner_tenant['name']} on {other_tenant['name']}'s resource "
                f"answered {response.status_code}: {response.text[:300]}"
            )
            assert other_tenant["name"] not in response.text


def test_route_discovery_finds_the_tenant_scoped_routes(app: FastAPI) -> None:
    """Guards the generator itself: it must see authenticated routes and skip public/operator ones."""
    authenticated = {
        route.path for route in api_routes(app) if _depends_on_auth(route.dependant)
    }
    assert "/api/v1/me" in authenticated and "/inbox" in authenticated
    assert not any(p.startswith(("/api/operator", "/webhooks", "/login")) for p in authenticated)
