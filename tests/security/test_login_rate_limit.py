"""Login rate limiting, on the form and on the token API:

- per email (identity.service, in the database): LOGIN_MAX_FAILURES wrong passwords lock that email, even
  against the right password, with a locked-out message; other emails and the lock's end are unaffected;
- per client address (identity.ratelimit, in memory): password spraying - a few guesses at many emails,
  under every email's limit - is refused after LOGIN_IP_MAX_FAILURES failures within the window, while
  another address still signs in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import Database, utcnow
from app.identity.models import LoginThrottle
from app.identity.ratelimit import FailedLoginLimiter
from app.main import create_app
from app.providers import MemoryTelephony
from tests.conftest import OPERATOR_TOKEN, make_settings, owner_of, tenant_spec

pytestmark = pytest.mark.security

PASSWORD = "correct horse"
IP_LIMIT = 6
EMAIL_LIMIT = 3


@pytest.fixture
def limited_app(database_url: str, database: Database) -> FastAPI:
    settings = make_settings(database_url, login_max_failures=EMAIL_LIMIT, login_lockout_seconds=300,
                             login_ip_max_failures=IP_LIMIT, login_ip_window_seconds=600)
    return create_app(settings, database=database, telephony=MemoryTelephony(), start_worker=False)


@pytest.fixture
def tenants(limited_app: FastAPI) -> Callable[[], dict[str, Any]]:
    def make() -> dict[str, Any]:
        with TestClient(limited_app, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}) as operator:
            created = operator.post("/api/operator/tenants", json=tenant_spec())
            assert created.status_code == 201, created.text
            return dict(created.json())

    return make


@pytest.fixture
def browser_at(limited_app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """A browser at a given client address."""
    opened: list[TestClient] = []

    def open_at(address: str) -> TestClient:
        client = TestClient(limited_app, client=(address, 50000))
        client.__enter__()
        opened.append(client)
        return client

    yield open_at
    for client in opened:
        client.__exit__(None, None, None)


def sign_in(browser: TestClient, email: str, password: str) -> Any:
    browser.get("/login")
    return browser.post("/login", data={"email": email, "password": password, "next": "/inbox",
                                        "csrf_token": browser.cookies.get("nmc_csrf")}, follow_redirects=False)


def test_repeated_failures_lock_the_email_with_a_message_even_for_the_right_password(
    tenants: Callable[[], dict[str, Any]], browser_at: Callable[[str], TestClient], database: Database,
) -> None:
    victim, bystander = owner_of(tenants())["email"], owner_of(tenants())["email"]
    browser = browser_at("203.0.113.10")
    for _ in range(EMAIL_LIMIT):
        assert sign_in(browser, victim, "wrong guess").status_code == 401
    locked = sign_in(browser, victim, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts. Try again in" in locked.text
    assert "nmc_session" not in locked.headers.get("set-cookie", "")
    api = browser.post("/api/v1/auth/token", json={"email": victim, "password": PASSWORD})
    assert api.status_code == 429 and api.json()["code"] == "login_locked"
    assert sign_in(browser, bystander, PASSWORD).status_code == 303  # other accounts are not affected
    with database.session() as db:  # the lock ends: move it into the past
        throttle = db.get(LoginThrottle, victim)
        assert throttle is not None and throttle.locked_until is not None
        throttle.locked_until = utcnow() - timedelta(seconds=1)
        db.commit()
    assert sign_in(browser, victim, PASSWORD).status_code == 303


def test_password_spraying_from_one_address_is_rate_limited(
    tenants: Callable[[], dict[str, Any]], browser_at: Callable[[str], TestClient],
) -> None:
    accounts = [owner_of(tenants())["email"] for _ in range(IP_LIMIT // (EMAIL_LIMIT - 1) + 1)]
    real = owner_of(tenants())["email"]
    attacker = browser_at("198.51.100.7")
    failures = 0
    for email in accounts:  # fewer guesses per email than would lock any of them
        for _ in range(EMAIL_LIMIT - 1):
            if failures < IP_LIMIT:
                assert sign_in(attacker, email, "Winter2024!").status_code == 401
                failures += 1
    refused = sign_in(attacker, real, PASSWORD)  # even a right password, from this address, for a while
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts from your network" in refused.text
    token = attacker.post("/api/v1/auth/token", json={"email": real, "password": PASSWORD})
    assert token.status_code == 429 and token.json()["code"] == "login_rate_limited"
    assert sign_in(browser_at("192.0.2.44"), real, PASSWORD).status_code == 303  # others still get in


def test_the_token_api_counts_failures_too(
    tenants: Callable[[], dict[str, Any]], browser_at: Callable[[str], TestClient],
) -> None:
    client = browser_at("198.51.100.8")
    emails = [owner_of(tenants())["email"] for _ in range(IP_LIMIT)]
    for email in emails:
        assert client.post("/api/v1/auth/token", json={"email": email, "password": "nope nope"}).status_code == 401
    assert client.post("/api/v1/auth/token", json={"email": emails[0], "password": PASSWORD}).status_code == 429


def test_the_window_slides() -> None:
    now = [0.0]
    limiter = FailedLoginLimiter(max_failures=3, window_seconds=60, clock=lambda: now[0])
    for moment in (1000.0, 1010.0, 1030.0):
        now[0] = moment
        assert limiter.retry_after("a") == 0
        limiter.record_failure("a")
    now[0] = 1040.0
    assert limiter.retry_after("a") == pytest.approx(20.0)  # until the failure at 1000 leaves the window
    assert limiter.retry_after("b") == 0  # per key
    now[0] = 1060.5
    assert limiter.retry_after("a") == 0
    limiter.record_failure("a")
    assert limiter.retry_after("a") == pytest.approx(1010 + 60 - 1060.5)
