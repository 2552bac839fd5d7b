"""F6 (issue 23): signing out ends the session on the server. A copy of the session token (cookie or bearer)
taken before the logout is refused afterwards, instead of working for the rest of its TTL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.identity import security
from tests.conftest import owner_of
from tests.security.conftest import COOKIE_DOMAIN, PASSWORD

pytestmark = pytest.mark.security


def sign_in(app: FastAPI, email: str) -> TestClient:
    browser = TestClient(app)
    browser.get("/login")
    response = browser.post("/login", data={"email": email, "password": PASSWORD, "next": "/inbox",
                                            "csrf_token": browser.cookies[security.CSRF_COOKIE]},
                            follow_redirects=False)
    assert response.status_code == 303, response.text
    return browser


def test_a_session_token_copied_before_logout_is_refused_after_it(
        app: FastAPI, make_tenant: Callable[..., dict[str, Any]]) -> None:
    email = owner_of(make_tenant())["email"]
    browser = sign_in(app, email)
    copied = browser.cookies[security.SESSION_COOKIE]
    assert browser.get("/api/v1/me", headers={"Authorization": f"Bearer {copied}"}).status_code == 200

    logout = browser.post("/logout", data={"csrf_token": browser.cookies[security.CSRF_COOKIE]},
                          follow_redirects=False)
    assert logout.status_code == 303

    with TestClient(app) as thief:
        as_bearer = thief.get("/api/v1/me", headers={"Authorization": f"Bearer {copied}"})
        assert as_bearer.status_code == 401, as_bearer.text
        assert as_bearer.json()["code"] == "session_revoked"
        thief.cookies.set(security.SESSION_COOKIE, copied, domain=COOKIE_DOMAIN)
        page = thief.get("/inbox", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login"), page.text

    again = sign_in(app, email)  # signing in again works, with a token of the new version
    assert again.get("/inbox", follow_redirects=False).status_code == 200


def test_logout_with_an_old_token_does_not_end_a_newer_session(
        app: FastAPI, make_tenant: Callable[..., dict[str, Any]]) -> None:
    email = owner_of(make_tenant())["email"]
    first = sign_in(app, email)
    revoked = first.cookies[security.SESSION_COOKIE]
    first.post("/logout", data={"csrf_token": first.cookies[security.CSRF_COOKIE]}, follow_redirects=False)
    second = sign_in(app, email)
    # Replaying the first (already revoked) token at /logout must not sign the second session out.
    replay = TestClient(app)
    replay.get("/login")
    replay.cookies.set(security.SESSION_COOKIE, revoked, domain=COOKIE_DOMAIN)
    replay.post("/logout", data={"csrf_token": replay.cookies[security.CSRF_COOKIE]}, follow_redirects=False)
    assert second.get("/inbox", follow_redirects=False).status_code == 200
