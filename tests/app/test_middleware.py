"""The request middleware (app/middleware.py): access log, CSRF cookie, body limit, request-scoped ids."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.identity import security


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "app.http"]


def test_each_request_logs_one_line_with_status_path_duration_and_tenant(
    client: TestClient, caplog: pytest.LogCaptureFixture, make_tenant: Callable[..., dict[str, Any]],
    login_as: Callable[[dict[str, Any], str], TestClient],
) -> None:
    tenant = make_tenant()
    browser = login_as(tenant, "OWNER")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="app.http"):
        assert browser.get("/api/v1/me").status_code == 200
        assert client.get("/no-such-page", headers={"Accept": "application/json"}).status_code == 404
    me, missing = _access_lines(caplog)
    assert (me.method, me.path, me.status, me.tenant_id) == ("GET", "/api/v1/me", 200, tenant["id"])  # type: ignore[attr-defined]
    assert (missing.status, missing.tenant_id) == (404, None)  # type: ignore[attr-defined]
    assert missing.getMessage() == "GET /no-such-page -> 404"
    assert isinstance(me.duration_ms, float) and me.duration_ms >= 0  # type: ignore[attr-defined]
    assert me.levelno == logging.INFO


def test_a_missing_csrf_cookie_is_set_once_and_a_valid_one_is_kept(client: TestClient) -> None:
    first = client.get("/login")
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{security.CSRF_COOKIE}=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"path=/", "samesite=lax"} <= attributes
    assert "httponly" not in attributes  # the pages' script sends it back in a header
    assert "secure" not in attributes  # http://testserver: a Secure cookie would never come back
    again = client.get("/login")  # the client sends the cookie it got
    assert security.CSRF_COOKIE not in again.headers.get("set-cookie", "")


def test_a_forged_csrf_cookie_is_replaced(client: TestClient) -> None:
    client.cookies.set(security.CSRF_COOKIE, "forged")
    response = client.get("/login")
    assert response.headers["set-cookie"].startswith(f"{security.CSRF_COOKIE}=")
    assert "forged" not in response.headers["set-cookie"]


def test_a_body_over_the_limit_is_413(client: TestClient, app: Any) -> None:
    limit = app.state.settings.max_body_bytes
    response = client.post("/api/v1/catalog/items", content=b"x" * (limit + 1),
                           headers={"Accept": "application/json", "Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
