"""Session tokens on every authenticated route (generated from the route table), as a Bearer header and as the
session cookie: bad signature, wrong issuer or audience, expired, not yet valid, unsigned (alg none), missing
claims, unknown user -> 401 (pages: back to the login form); a deactivated user's valid token -> 403.

tests/app/test_auth.py checks the same claims on one route; this proves every route goes through that check.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import utcnow
from app.identity import security
from app.settings import Settings
from tests.conftest import owner_of
from tests.security.conftest import COOKIE_DOMAIN
from tests.security.routes import Access as A
from tests.security.routes import Route, all_routes, inferred_access

pytestmark = pytest.mark.security

PLACEHOLDER_ID = "0" * 32  # the check runs before any lookup, so ids need not exist


def authenticated_routes(app: FastAPI) -> list[Route]:
    return [r for r in all_routes(app) if inferred_access(r) in (A.SIGNED_IN, A.OWNER)]


def placeholder_url(route: Route) -> str:
    return route.url({name: PLACEHOLDER_ID for name in route.params})


def signed(settings: Settings, claims: dict[str, Any], *, key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key or settings.secret_key, algorithm=algorithm)


def unsigned(claims: dict[str, Any]) -> str:
    """alg "none": a token anyone can write. PyJWT refuses to make one with a key, so it is built by hand."""
    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, default=lambda v: int(v.timestamp())).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def bad_tokens(settings: Settings, user_id: str, tenant_id: str) -> dict[str, tuple[str, str]]:
    """name -> (token, the 401's code)."""
    now = utcnow()
    good: dict[str, Any] = {"sub": user_id, "tid": tenant_id, "role": "OWNER", "iss": settings.jwt_issuer,
                            "aud": settings.jwt_audience, "iat": now, "nbf": now - timedelta(seconds=1),
                            "exp": now + timedelta(minutes=5)}

    def with_(**changes: Any) -> dict[str, Any]:
        return {**good, **changes}

    return {
        "bad signature": (signed(settings, good, key="another-secret-another-secret-0123"), "invalid_token"),
        "wrong issuer": (signed(settings, with_(iss="someone-else")), "invalid_token"),
        "wrong audience": (signed(settings, with_(aud="another-app")), "invalid_token"),
        "expired": (signed(settings, with_(exp=now - timedelta(seconds=5))), "token_expired"),
        "not yet valid": (signed(settings, with_(nbf=now + timedelta(minutes=10))), "token_not_yet_valid"),
        "alg none": (unsigned(good), "invalid_token"),
        "other HMAC algorithm": (signed(settings, good, algorithm="HS512"), "invalid_token"),
        "no expiry": (signed(settings, with_(exp=None)), "invalid_token"),
        "no subject": (signed(settings, with_(sub=None)), "invalid_token"),
        "unknown user": (signed(settings, with_(sub="f" * 32)), "invalid_token"),
        "not a JWT": ("definitely-not-a-token", "invalid_token"),
    }


def request_with(client: TestClient, route: Route, token: str, transport: str) -> Any:
    client.cookies.clear()
    headers = {"Accept": "application/json" if route.is_api else "text/html"}
    if transport == "bearer":
        headers["Authorization"] = f"Bearer {token}"
    else:
        client.cookies.set(security.SESSION_COOKIE, token, domain=COOKIE_DOMAIN)
    return client.request(route.method, placeholder_url(route), headers=headers, follow_redirects=False)


def refused_as_signed_out(route: Route, response: Any, code: str) -> bool:
    if route.is_api:
        return response.status_code == 401 and response.json().get("code") == code
    return response.status_code == 303 and response.headers["location"].startswith("/login?next=")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the HS512 token is forged on purpose
def test_bad_tokens_are_refused_on_every_authenticated_route(
    app: FastAPI, client: TestClient, settings: Settings, make_tenant: Callable[..., dict[str, Any]],
) -> None:
    """Every route refuses a forged token (Bearer) and an expired one (cookie); every kind of bad token is
    refused on one route of each sort (JSON, page, owner-only) - they all share the one decoder."""
    tenant = make_tenant()
    tokens = bad_tokens(settings, owner_of(tenant)["id"], tenant["id"])
    routes = authenticated_routes(app)
    assert len(routes) > 40, "the route table shrank: is the generator still finding the authenticated routes?"
    representatives = {"GET /api/v1/conversations", "GET /inbox", "POST /api/v1/catalog/items"}
    attempts = [(route, "bad signature", "bearer") for route in routes]
    attempts += [(route, "expired", "cookie") for route in routes]
    attempts += [(route, name, transport) for route in routes if str(route) in representatives
                 for name in tokens for transport in ("bearer", "cookie")]
    problems = []
    for route, name, transport in attempts:
        token, code = tokens[name]
        response = request_with(client, route, token, transport)
        if not refused_as_signed_out(route, response, code):
            problems.append(f"{route} with {name} token ({transport}): {response.status_code} {response.text[:120]}")
    assert not problems, "\n".join(problems)


def test_a_deactivated_users_valid_session_is_403_on_every_authenticated_route(
    app: FastAPI, client: TestClient, operator: TestClient, make_tenant: Callable[..., dict[str, Any]],
) -> None:
    tenant = make_tenant()
    owner = owner_of(tenant)
    token = operator.post(f"/api/operator/tenants/{tenant['id']}/sessions", json={"user": owner["id"]}).json()
    assert request_with(client, all_routes_named(app, "GET /api/v1/me"), token["cookie_value"], "bearer").status_code == 200
    deactivated = operator.patch(f"/api/operator/tenants/{tenant['id']}/users/{owner['id']}", json={"active": False})
    assert deactivated.status_code == 200, deactivated.text
    problems = []
    for route in authenticated_routes(app):
        for transport in ("bearer", "cookie"):
            response = request_with(client, route, token["cookie_value"], transport)
            ok = response.status_code == 403 and (
                response.json().get("code") == "user_inactive" if route.is_api else "deactivated" in response.text)
            if not ok:
                problems.append(f"{route} ({transport}): {response.status_code} {response.text[:120]}")
    assert not problems, "\n".join(problems)


def all_routes_named(app: FastAPI, name: str) -> Route:
    return next(r for r in all_routes(app) if str(r) == name)
