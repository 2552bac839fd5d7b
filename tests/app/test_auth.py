"""Login, logout, sessions (JWT claims), CSRF, roles, lockout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from app.db import utcnow
from app.settings import Settings
from tests.conftest import csrf_of, owner_of

TenantFactory = Callable[..., dict[str, Any]]


def login_form(client: TestClient, email: str, password: str, next_path: str = "/") -> Any:
    client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "next": next_path, "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )


def test_login_page_renders_a_labelled_form(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<label for="email">Email</label>' in page.text
    assert '<label for="password">Password</label>' in page.text
    assert "nmc_csrf" in page.headers.get("set-cookie", "")


def test_login_sets_an_httponly_lax_session_cookie_and_redirects(client: TestClient, make_tenant: TenantFactory) -> None:
    tenant = make_tenant()
    response = login_form(client, owner_of(tenant)["email"], "correct horse", "/inbox")
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox"
    cookie = response.headers["set-cookie"].lower()
    assert "nmc_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/inbox").status_code == 200


def test_wrong_password_shows_a_message_and_sets_no_session(client: TestClient, make_tenant: TenantFactory) -> None:
    tenant = make_tenant()
    response = login_form(client, owner_of(tenant)["email"], "wrong password")
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert "nmc_session" not in response.headers.get("set-cookie", "")


def test_unknown_email_gets_the_same_message(client: TestClient) -> None:
    response = login_form(client, "nobody@example.test", "whatever1")
    assert response.status_code == 401
    assert "Wrong email or password." in response.text


def test_login_does_not_redirect_off_site(client: TestClient, make_tenant: TenantFactory) -> None:
    tenant = make_tenant()
    response = login_form(client, owner_of(tenant)["email"], "correct horse", "https://evil.example/")
    assert response.headers["location"] == "/"


def test_repeated_failures_lock_the_form(client: TestClient, make_tenant: TenantFactory, settings: Settings) -> None:
    tenant = make_tenant()
    email = owner_of(tenant)["email"]
    for _ in range(settings.login_max_failures):
        assert login_form(client, email, "nope nope").status_code == 401
    locked = login_form(client, email, "correct horse")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.text


def test_logout_clears_the_session(login_as: Callable[..., TestClient], make_tenant: TenantFactory) -> None:
    browser = login_as(make_tenant())
    response = browser.post("/logout", data={"csrf_token": csrf_of(browser)}, follow_redirects=False)
    assert response.status_code == 303
    assert browser.get("/inbox", follow_redirects=False).status_code == 303  # back to the login page


def test_pages_redirect_anonymous_users_to_login(client: TestClient) -> None:
    response = client.get("/inbox", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/inbox"


def test_the_sign_in_redirect_keeps_every_query_parameter(client: TestClient) -> None:
    """An OAuth callback (code *and* state) reached without a session comes back whole after signing in."""
    response = client.get("/calendar/google/callback?code=4/abc&state=s1", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/calendar/google/callback%3Fcode%3D4/abc%26state%3Ds1"
    login = client.get(response.headers["location"])
    assert 'value="/calendar/google/callback?code=4/abc&amp;state=s1"' in login.text


def test_api_answers_401_json_without_a_session(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_bearer_token_from_credentials(client: TestClient, make_tenant: TenantFactory) -> None:
    tenant = make_tenant()
    token = client.post("/api/v1/auth/token", json={"email": owner_of(tenant)["email"], "password": "correct horse"})
    assert token.status_code == 200
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.json()["tenant_id"] == tenant["id"]
    assert me.json()["role"] == "OWNER"


def _token(settings: Settings, **changes: Any) -> str:
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": "someone", "tid": "t", "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
        "iat": now, "nbf": now - timedelta(seconds=1), "exp": now + timedelta(minutes=5),
    }
    claims.update(changes)
    key = claims.pop("_key", settings.secret_key)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="HS256")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"_key": "another-secret-another-secret-1234"}, "invalid_token"),
        ({"iss": "someone-else"}, "invalid_token"),
        ({"aud": "another-audience"}, "invalid_token"),
        ({"exp": utcnow() - timedelta(minutes=1)}, "token_expired"),
        ({"nbf": utcnow() + timedelta(minutes=10)}, "token_not_yet_valid"),
        ({"exp": None}, "invalid_token"),
    ],
    ids=["bad-signature", "wrong-issuer", "wrong-audience", "expired", "not-yet-valid", "no-exp"],
)
def test_bad_tokens_are_401(
    client: TestClient, make_tenant: TenantFactory, settings: Settings, change: dict[str, Any], code: str
) -> None:
    tenant = make_tenant()
    owner = owner_of(tenant)
    token = _token(settings, sub=owner["id"], tid=tenant["id"], **change)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["code"] == code


def test_valid_handmade_token_is_accepted(client: TestClient, make_tenant: TenantFactory, settings: Settings) -> None:
    tenant = make_tenant()
    token = _token(settings, sub=owner_of(tenant)["id"], tid=tenant["id"])
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_state_changing_form_without_csrf_is_403(login_as: Callable[..., TestClient], make_tenant: TenantFactory) -> None:
    browser = login_as(make_tenant())
    missing = browser.post("/logout", data={}, follow_redirects=False)
    assert missing.status_code == 403
    wrong = browser.post("/logout", data={"csrf_token": "forged.token"}, follow_redirects=False)
    assert wrong.status_code == 403
    login_missing = browser.post("/login", data={"email": "a@b.test", "password": "x"}, follow_redirects=False)
    assert login_missing.status_code == 403


def test_cookie_authenticated_api_write_needs_the_csrf_header(
    login_as: Callable[..., TestClient], make_tenant: TenantFactory
) -> None:
    browser = login_as(make_tenant())
    # any unsafe method through CurrentAuth is checked; logout is the one state change in the foundation
    ok = browser.post("/logout", headers={"X-CSRF-Token": csrf_of(browser)}, follow_redirects=False)
    assert ok.status_code == 303
