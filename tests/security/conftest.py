"""Fixtures of the security tests: webhook secrets configured, visitors per role, real ids for every route.

Every module here sets ``pytestmark = pytest.mark.security``, so ``pytest -m security`` selects them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import Database
from app.identity import security
from app.settings import Settings
from tests.conftest import make_settings, owner_of
from tests.isolation_ids import EXAMPLE_BODIES, ID_FACTORIES, IsolationContext
from tests.security.routes import Route

TWILIO_AUTH_TOKEN = "security_twilio_auth_token_0123456"
TWILIO_ACCOUNT_SID = "AC" + "5" * 32
STRIPE_WEBHOOK_SECRET = "whsec_security_tests_0123456789abcdef"
JOBBER_CLIENT_SECRET = "security-jobber-client-secret"
PASSWORD = "correct horse"  # tests/conftest.tenant_spec gives every user this password
COOKIE_DOMAIN = "testserver.local"  # how the TestClient's cookie jar records its host


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The shared settings plus provider secrets, so the webhook endpoints can verify (and refuse) signatures."""
    return make_settings(database_url, twilio_auth_token=TWILIO_AUTH_TOKEN, twilio_account_sid=TWILIO_ACCOUNT_SID,
                         stripe_webhook_secret=STRIPE_WEBHOOK_SECRET, google_client_id="security-google-client",
                         jobber_client_id="security-jobber-client", jobber_client_secret=JOBBER_CLIENT_SECRET)


@dataclass
class Visitor:
    """A browser-like client as one role: its session cookie (if any), the CSRF cookie and header.

    The session cookie is put back before every request, so a route that signs out (POST /logout) or in
    (POST /login) does not change who the next request is made by; signing out ends the user's sessions on
    the server too, so after POST /logout the visitor gets a fresh one.
    """

    role: str  # "anonymous" | "TECH" | "OWNER"
    client: TestClient
    session: str | None
    new_session: Callable[[], str | None] = lambda: None

    @property
    def csrf(self) -> str:
        token = self.client.cookies.get(security.CSRF_COOKIE)
        assert token, "no CSRF cookie: the visitor never loaded a page"
        return token

    def call(self, route: Route, url: str, *, headers: dict[str, str] | None = None, with_csrf: bool = True,
             **body: Any) -> Any:
        self.client.cookies.delete(security.SESSION_COOKIE)
        if self.session:
            self.client.cookies.set(security.SESSION_COOKIE, self.session, domain=COOKIE_DOMAIN)
        sent = {"Accept": "application/json" if route.is_api else "text/html"}
        if with_csrf:
            sent["X-CSRF-Token"] = self.csrf
        sent.update(headers or {})
        if "data" in body and with_csrf:
            body = {**body, "data": {**body["data"], "csrf_token": self.csrf}}
        response = self.client.request(route.method, url, headers=sent, follow_redirects=False, **body)
        if (route.method, route.path) == ("POST", "/logout") and self.session:
            self.session = self.new_session()
        return response


@dataclass
class RouteWorld:
    """One tenant with an OWNER and a TECH, and everything needed to call any route of the app for real."""

    app: FastAPI
    database: Database
    settings: Settings
    operator: TestClient
    tenant: dict[str, Any]
    visitors: dict[str, Visitor] = field(default_factory=dict)

    @property
    def isolation_context(self) -> IsolationContext:
        return IsolationContext(app=self.app, database=self.database, settings=self.settings,
                                operator=self.operator, tenant=self.tenant)

    def path_values(self, route: Route) -> dict[str, str]:
        """A real id of this tenant for each path parameter (a fresh resource per call)."""
        values = {}
        for name in route.params:
            if name in ID_FACTORIES:
                values[name] = ID_FACTORIES[name](self.isolation_context)
            elif name == "token":
                values[name] = self.booking_token()
            elif name == "tenant_id":
                values[name] = self.tenant["id"]
            else:
                raise AssertionError(f"{route}: no way to make a {{{name}}}; add one to RouteWorld.path_values")
        return values

    def booking_token(self) -> str:
        owner = self.visitors["OWNER"]
        item_id = ID_FACTORIES["item_id"](self.isolation_context)
        created = owner.client.post("/api/v1/booking-links", json={"item_id": item_id},
                                    headers={"Authorization": f"Bearer {owner.session}"})
        assert created.status_code == 201, created.text
        return str(created.json()["token"])

    def body_for(self, route: Route) -> dict[str, Any]:
        """A request body that gets past validation, so an allowed role reaches the handler."""
        if (route.method, route.path) in EXAMPLE_BODIES:
            return dict(EXAMPLE_BODIES[(route.method, route.path)])
        email = owner_of(self.tenant)["email"]
        if (route.method, route.path) == ("POST", "/login"):
            return {"data": {"email": email, "password": PASSWORD, "next": "/inbox"}}
        if (route.method, route.path) == ("POST", "/api/v1/auth/token"):
            return {"json": {"email": email, "password": PASSWORD}}
        return {}


def visitor_for(app: FastAPI, operator: TestClient, tenant: dict[str, Any], role: str) -> Visitor:
    client = TestClient(app)

    def new_session() -> str | None:
        if role == "anonymous":
            return None
        user = next(u for u in tenant["users"] if u["role"] == role)
        minted = operator.post(f"/api/operator/tenants/{tenant['id']}/sessions", json={"user": user["email"]})
        assert minted.status_code == 201, minted.text
        return str(minted.json()["cookie_value"])

    client.get("/login")  # the CSRF cookie, like a browser that loaded any page
    return Visitor(role=role, client=client, session=new_session(), new_session=new_session)


@pytest.fixture
def world(app: FastAPI, database: Database, settings: Settings, operator: TestClient,
          make_tenant: Callable[..., dict[str, Any]]) -> Iterator[RouteWorld]:
    tenant = make_tenant()
    built = RouteWorld(app=app, database=database, settings=settings, operator=operator, tenant=tenant)
    built.visitors = {role: visitor_for(app, operator, tenant, role) for role in ("anonymous", "TECH", "OWNER")}
    yield built
    for visitor in built.visitors.values():
        visitor.client.close()
