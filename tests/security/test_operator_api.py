"""The operator API (generated over all its routes): no, wrong or near-miss tokens -> 401 and nothing written; a
user's session is not an operator token; the token is compared in constant time (a spy on the comparison
plus a static check of the source); a non-ephemeral tenant is never deleted (409, whatever the request
says); without OPERATOR_TOKEN the API does not exist (404 on every route)."""

from __future__ import annotations

import ast
import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import app.operator.api as operator_api
from app.db import Database
from app.main import create_app
from app.providers import MemoryTelephony
from tests.conftest import OPERATOR_TOKEN, make_settings, tenant_spec
from tests.security.conftest import RouteWorld
from tests.security.routes import Access, Route, routes_with
from tests.security.snapshots import row_counts

pytestmark = pytest.mark.security

APP_SOURCE = Path(operator_api.__file__).resolve().parents[1]

BAD_AUTHORIZATION: dict[str, dict[str, str]] = {
    "no header": {},
    "empty bearer": {"Authorization": "Bearer "},
    "wrong token": {"Authorization": "Bearer not-the-operator-token"},
    "one character off": {"Authorization": f"Bearer {OPERATOR_TOKEN[:-1]}x"},
    "a prefix of it": {"Authorization": f"Bearer {OPERATOR_TOKEN[:8]}"},
    "it plus more": {"Authorization": f"Bearer {OPERATOR_TOKEN}0"},
    "non-ASCII": {"Authorization": "Bearer t\u00f6ken-\u2603".encode()},  # type: ignore[dict-item]
    "as Basic credentials": {"Authorization": f"Basic {OPERATOR_TOKEN}"},
    "without the scheme": {"Authorization": OPERATOR_TOKEN},
}


def operator_call(client: TestClient, route: Route, world: RouteWorld, headers: dict[str, str]) -> Any:
    url = route.url({"tenant_id": world.tenant["id"], "user_id": world.tenant["users"][0]["id"]})
    body: dict[str, Any] = {}
    if route.method in ("POST", "PUT", "PATCH"):
        body = {"json": {"POST /api/operator/tenants": tenant_spec(),
                         "POST /api/operator/tenants/{tenant_id}/sessions": {"user": world.tenant["users"][0]["email"]},
                         "PATCH /api/operator/tenants/{tenant_id}/users/{user_id}": {"active": False},
                         "PUT /api/operator/tenants/{tenant_id}/clock": {"advance_seconds": 60}}[str(route)]}
    return client.request(route.method, url, headers=headers, **body)


def test_every_operator_route_refuses_bad_tokens_and_writes_nothing(world: RouteWorld) -> None:
    routes = list(routes_with(world.app, Access.OPERATOR))
    assert len(routes) >= 8
    owner_session = {"Cookie": f"nmc_session={world.visitors['OWNER'].session}",
                     "X-CSRF-Token": world.visitors["OWNER"].csrf}
    problems = []
    with TestClient(world.app) as client:
        before = row_counts(world.database)
        for route in routes:
            for name, headers in {**BAD_AUTHORIZATION, "an OWNER's session": owner_session}.items():
                response = operator_call(client, route, world, headers)
                if response.status_code != 401 or response.json().get("code") != "operator_unauthorized":
                    problems.append(f"{route} with {name}: {response.status_code} {response.text[:100]}")
        if row_counts(world.database) != before:
            problems.append("a refused operator request wrote to the database")
        # and the right token works on each of them (so the 401s above are about the token)
        for route in routes:
            if route.method != "DELETE":
                ok = operator_call(client, route, world, {"Authorization": f"Bearer {OPERATOR_TOKEN}"})
                if ok.status_code >= 400:
                    problems.append(f"{route} with the right token: {ok.status_code} {ok.text[:100]}")
    assert not problems, "\n".join(problems)


def test_the_token_is_compared_with_hmac_compare_digest(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """Behaviour: the decision is compare_digest's (a spy sees the supplied and the configured token)."""
    seen: list[tuple[bytes, bytes]] = []
    real_compare = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return real_compare(a, b)

    monkeypatch.setattr(operator_api.hmac, "compare_digest", spy)
    with TestClient(app) as client:
        assert client.get("/api/operator/tenants", headers={"Authorization": "Bearer guess"}).status_code == 401
        assert client.get("/api/operator/tenants",
                          headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}).status_code == 200
    against_the_token = [pair for pair in seen if OPERATOR_TOKEN.encode() in pair]  # CSRF checks use it too
    assert against_the_token == [(b"guess", OPERATOR_TOKEN.encode()), (OPERATOR_TOKEN.encode(), OPERATOR_TOKEN.encode())]


def _comparisons_naming(tree: ast.AST, name: str) -> list[int]:
    """Line numbers of ==, !=, in, startswith... comparisons an attribute or variable `name` takes part in."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [o for o in (node.left, *node.comparators)
                        if not (isinstance(o, ast.Call) and ast.unparse(o.func) == "len")]  # lengths are not secret
            if any(name in ast.unparse(operand) for operand in operands):
                lines.append(node.lineno)
    return lines


def test_static_no_secret_is_compared_with_plain_equality() -> None:
    """Static: every comparison against the operator token, a CSRF token or a signature goes through
    compare_digest; the source has no ==/!= on them (they would leak the match length through timing)."""
    offenders = []
    for path in sorted(APP_SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for secret in ("operator_token", "csrf", "signature", "_sig("):
            offenders += [f"{path.relative_to(APP_SOURCE)}:{line} compares {secret}"
                          for line in _comparisons_naming(tree, secret)]
    assert not offenders, "\n".join(offenders)
    source = Path(operator_api.__file__).read_text(encoding="utf-8")
    guard = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == "require_operator")
    assert "hmac.compare_digest(" in ast.unparse(guard) and "operator_token" in ast.unparse(guard)


def test_a_non_ephemeral_tenant_is_never_deleted_whatever_the_request_says(
    operator: TestClient, database: Database, make_tenant: Callable[..., dict[str, Any]],
) -> None:
    real = make_tenant(ephemeral=False, ttl_seconds=1)
    before = row_counts(database)
    attempts = [
        operator.delete(f"/api/operator/tenants/{real['id']}"),
        operator.delete(f"/api/operator/tenants/{real['id']}", params={"force": "true", "ephemeral": "true"}),
        operator.request("DELETE", f"/api/operator/tenants/{real['id']}", json={"ephemeral": True, "force": True}),
    ]
    assert [a.status_code for a in attempts] == [409, 409, 409]
    assert all(a.json()["code"] == "not_ephemeral" for a in attempts)
    assert row_counts(database) == before
    swept = operator.get("/api/operator/tenants", params={"ephemeral": "true"}).json()["tenants"]
    assert real["id"] not in [t["id"] for t in swept]  # never offered to a sweeper either


def test_without_operator_token_the_operator_api_does_not_exist(
    app: FastAPI, database_url: str, database: Database,
) -> None:
    routes = list(routes_with(app, Access.OPERATOR))
    bare = create_app(make_settings(database_url, operator_token=""), database=database, telephony=MemoryTelephony(),
                      start_worker=False)
    assert not [r for r in bare.state.routers for r in r.routes if getattr(r, "path", "").startswith("/api/operator")]
    with TestClient(bare) as client:
        for route in routes:
            url = route.url({"tenant_id": "0" * 32, "user_id": "0" * 32})
            for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}):
                response = client.request(route.method, url, headers=headers, json={})
                assert response.status_code == 404, f"{route}: {response.status_code}"
        assert "/api/operator" not in client.get("/openapi.json").text
