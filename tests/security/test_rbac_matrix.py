"""RBAC matrix, generated from the route table: every route x {anonymous, TECH, OWNER} gets the answer the
explicit table in tests/security/routes.py says it should (a new route without an entry fails here)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.security.conftest import RouteWorld, Visitor
from tests.security.routes import ACCESS, Access, Route, all_routes, inferred_access

pytestmark = pytest.mark.security

ROLES = ("anonymous", "TECH", "OWNER")
#: Who may call a route of each access level (operator routes and webhooks: no user session, whoever it is).
ALLOWED: dict[Access, frozenset[str]] = {
    Access.PUBLIC: frozenset(ROLES),
    Access.SIGNED_IN: frozenset({"TECH", "OWNER"}),
    Access.OWNER: frozenset({"OWNER"}),
    Access.OPERATOR: frozenset(),
    Access.WEBHOOK: frozenset(),
}


def test_every_route_has_an_access_entry_and_no_entry_is_stale(app: FastAPI) -> None:
    served = {(r.method, r.path) for r in all_routes(app)}
    missing = sorted(served - ACCESS.keys())
    stale = sorted(ACCESS.keys() - served)
    assert not missing, f"add these routes to ACCESS in tests/security/routes.py: {missing}"
    assert not stale, f"these ACCESS entries name routes the app no longer serves: {stale}"


def test_the_access_table_agrees_with_each_routes_dependencies(app: FastAPI) -> None:
    """An OWNER entry on a route that only checks for a session (or the reverse) is a finding either way."""
    disagreements = [
        f"{route}: table says {ACCESS[(route.method, route.path)]}, dependencies say {inferred_access(route)}"
        for route in all_routes(app) if ACCESS.get((route.method, route.path)) != inferred_access(route)
    ]
    assert not disagreements, "\n".join(disagreements)


def refused(route: Route, level: Access, role: str, response: Any) -> str | None:
    """Why the answer is not the refusal this role should get on this route (None when it is)."""
    status = response.status_code
    if level is Access.WEBHOOK:
        return None if status in (400, 403) else f"expected 400/403 for an unsigned webhook, got {status}"
    if level is Access.OPERATOR:
        if status == 401 and response.json().get("code") == "operator_unauthorized":
            return None
        return f"expected 401 operator_unauthorized, got {status}"
    if role == "anonymous":
        if route.is_api:
            return None if status == 401 else f"expected 401, got {status}"
        location = response.headers.get("location", "")
        return None if status == 303 and location.startswith("/login?next=") else \
            f"expected a redirect to the login form, got {status} {location}"
    if route.is_api:
        return None if status == 403 and response.json().get("code") == "owner_only" else f"expected 403, got {status}"
    return None if status == 403 and 'data-status="403"' in response.text else f"expected the 403 page, got {status}"


def let_in(route: Route, response: Any) -> str | None:
    """Why the answer is a refusal or a failure although the role may call the route (None when it is not)."""
    status = response.status_code
    # A 502/503 with its own code is the app's deliberate "provider not set up / unreachable" answer (there is
    # no Stripe in this test): the caller got past the access checks. A 500 is a crash.
    deliberate = status in (502, 503) and response.headers.get("content-type", "").startswith("application/json") \
        and response.json().get("code") not in (None, "internal_error")
    if status in (401, 403) or (status >= 500 and not deliberate):
        return f"got {status}: {response.text[:200]}"
    if status in (302, 303, 307) and response.headers.get("location", "").startswith("/login?next="):
        return "sent to the login form"
    return None


def test_rbac_matrix(world: RouteWorld) -> None:
    problems = []
    for route in all_routes(world.app):
        level = ACCESS[(route.method, route.path)]
        # One set of ids per route: refusals change nothing, and an allowed call that used the resource up
        # (a TECH releasing the hold) leaves the OWNER a 404 or 409 - still not a refusal.
        url = route.url(world.path_values(route))
        for role in ROLES:
            visitor: Visitor = world.visitors[role]
            response = visitor.call(route, url, **world.body_for(route))
            problem = let_in(route, response) if role in ALLOWED[level] else refused(route, level, role, response)
            if problem:
                problems.append(f"{route} [{level}] as {role}: {problem}")
    assert not problems, "\n".join(problems)
