"""Fixtures for calendar sync: the Google Calendar fake in-process, the app pointed at it, a connected shop.

The shop is tests/booking's (New York, Monday 2030-01-07 08:55 on its clock, a one-hour "Leak repair").
The fake's push notifications cannot reach the TestClient app, so tests hand them over with `notify`
(the same headers the fake sends; tests/fakes/test_google_fake.py checks those on a real socket).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from fakes.google import RunningGoogle, running_google
from tests.booking.conftest import CATALOG, SHOP_NOW, FlakyTelephony, db, set_clock, telephony, worker  # noqa: F401
from tests.conftest import csrf_of, make_settings

POLL_INTERVAL_S = 300


@pytest.fixture
def google() -> Iterator[RunningGoogle]:
    with running_google() as fake:
        yield fake


@pytest.fixture
def settings(database_url: str, google: RunningGoogle) -> Settings:
    return make_settings(database_url, google_client_id="nmc-test-client", google_client_secret="nmc-test-secret",
                         google_api_base=google.base_url, google_oauth_base=google.base_url,
                         google_token_url=google.base_url + "/token", google_http_timeout_seconds=1.0,
                         calendar_poll_interval_seconds=POLL_INTERVAL_S)


@pytest.fixture
def shop(make_tenant: Callable[..., dict[str, Any]], set_clock: Callable[..., Any]) -> dict[str, Any]:  # noqa: F811
    tenant = make_tenant(catalog=CATALOG)
    tenant["items"] = {i["name"]: i["id"] for i in tenant["extra"]["catalog_items"]}
    set_clock(tenant, at=SHOP_NOW)
    return tenant


def connect(owner: TestClient, google: RunningGoogle) -> httpx.Response:
    """The owner's round trip: our connect button, Google's consent page (Allow), our callback."""
    to_google = owner.post("/calendar/google/connect", data={"csrf_token": csrf_of(owner)}, follow_redirects=False)
    assert to_google.status_code == 303, to_google.text
    consent = urlsplit(to_google.headers["location"])
    assert consent.netloc == urlsplit(google.base_url).netloc
    query = dict(httpx.QueryParams(consent.query))
    allowed = httpx.post(google.base_url + "/o/oauth2/approve", data={  # what the consent page's Allow posts
        "redirect_uri": query["redirect_uri"], "state": query["state"], "email": query["login_hint"], "decision": "allow",
        "access_type": query.get("access_type", "online"), "prompt": query.get("prompt", ""),
        "scope": query.get("scope", "")})
    back = urlsplit(allowed.headers["location"])
    return owner.get(f"{back.path}?{back.query}", follow_redirects=False)


def calendar_of(shop: dict[str, Any]) -> str:
    """The shop's Google calendar id at the fake: its owner's email (the consent page's login hint)."""
    return str(next(u for u in shop["users"] if u["role"] == "OWNER")["email"])


def notify(client: TestClient, google: RunningGoogle, *, state: str = "exists", token: str | None = None) -> httpx.Response:
    """Delivers the push notification Google would send for the (only) channel."""
    (channel,) = google.app.channels.values()
    return client.post("/webhooks/google/calendar", headers={
        "X-Goog-Channel-ID": channel.id, "X-Goog-Channel-Token": channel.token if token is None else token,
        "X-Goog-Resource-ID": channel.resource_id, "X-Goog-Resource-State": state, "X-Goog-Message-Number": "2"})
