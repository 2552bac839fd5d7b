"""[isolation] Tenant A's owner cannot reach tenant B's pages or API: 404, never 403, never B's data.

Data-driven: PROBES lists B-specific URLs (templates over B's resource ids) and FINDERS says how to
obtain such an id in B (through B's own API or the fakes, like a real caller would). Each probe first
proves B's owner *can* open the URL (a positive control: a route that does not exist yet is skipped,
not vacuously passed), then that A's owner gets 404. Adding a route = one Probe line (+ a finder for
a new kind of id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest
from playwright.sync_api import Page

from e2e.support import TenantHandle, TenantSeeder, TwilioFakeClient, WaitUntil
from pages.errors import ErrorPage
from pages.flows import open_inbox
from seed import http
from stack.description import Stack

pytestmark = pytest.mark.isolation


@dataclass
class OtherTenant:
    """Tenant B, seen from its own side: its handle, an API client as its owner, and the fakes."""

    handle: TenantHandle
    api: httpx.Client
    twilio: TwilioFakeClient
    caller: str
    wait_until: WaitUntil

    def first_id(self, path: str, key: str) -> str | None:
        response = self.api.get(path)
        if response.status_code != 200:
            return None
        items = response.json().get(key, [])
        return str(items[0]["id"]) if items else None


def _conversation_id(b: OtherTenant) -> str | None:
    """A caller's missed call to B's number opens a conversation in B."""
    b.twilio.missed_call(from_=b.caller, to=b.handle.phone_number)
    return b.wait_until(lambda: b.first_id("/api/v1/conversations", "conversations"), timeout=10,
                        message="B's conversation from the missed call")


def _catalog_item_id(b: OtherTenant) -> str | None:
    return b.first_id("/api/v1/catalog/items", "items")


def _hold_id(b: OtherTenant) -> str | None:
    """B's owner holds the first offered slot for B's first catalog item, through B's own API."""
    item_id = _catalog_item_id(b)
    if item_id is None:
        return None
    offers = b.api.get("/api/v1/offers", params={"item_id": item_id, "count": 1})
    if offers.status_code != 200 or not offers.json()["offers"]:
        return None
    hold = b.api.post("/api/v1/holds", json={"item_id": item_id, "customer_phone": b.caller,
                                              "starts_at": offers.json()["offers"][0]["starts_at"]})
    return str(hold.json()["id"]) if hold.status_code == 201 else None


def _appointment_id(b: OtherTenant) -> str | None:
    """B books its own hold, as the booking page would."""
    hold_id = _hold_id(b)
    if hold_id is None:
        return None
    booked = b.api.post("/api/v1/bookings", json={"hold_id": hold_id, "customer_name": "B's customer"})
    return str(booked.json()["id"]) if booked.status_code == 201 else None


FINDERS: dict[str, Callable[[OtherTenant], str | None]] = {
    "conversation_id": _conversation_id,
    "catalog_item_id": _catalog_item_id,
    "hold_id": _hold_id,
    "appointment_id": _appointment_id,
}


@dataclass(frozen=True)
class Probe:
    kind: Literal["page", "api"]
    path: str  # a template over one FINDERS key

    @property
    def needs(self) -> str:
        return self.path.split("{", 1)[1].split("}", 1)[0]

    def __str__(self) -> str:
        return f"{self.kind}:{self.path}"


PROBES = [
    Probe("page", "/conversations/{conversation_id}"),
    Probe("api", "/api/v1/conversations/{conversation_id}"),
    Probe("api", "/api/v1/conversations/{conversation_id}/messages"),
    Probe("page", "/catalog/{catalog_item_id}/edit"),
    Probe("api", "/api/v1/catalog/items/{catalog_item_id}"),
    Probe("api", "/api/v1/holds/{hold_id}"),
    Probe("api", "/api/v1/appointments/{appointment_id}"),
]


@pytest.fixture
def other_tenant(seeder: TenantSeeder, stack: Stack, twilio: TwilioFakeClient, customer_phone: str,
                 wait_until: WaitUntil) -> Iterator[OtherTenant]:
    handle = seeder.create()
    with http.client(base_url=stack.base_url, timeout=30,
                     headers={"Authorization": f"Bearer {handle.owner.session.token}"}) as api:
        yield OtherTenant(handle=handle, api=api, twilio=twilio, caller=customer_phone, wait_until=wait_until)


def b_resource_url(probe: Probe, b: OtherTenant) -> str:
    resource_id = FINDERS[probe.needs](b)
    if resource_id is None:
        pytest.skip(f"no {probe.needs} in tenant B to probe with (the feature that creates one is not there yet)")
    url = probe.path.format(**{probe.needs: resource_id})
    # Positive control: the URL must work for its own tenant, or "A gets 404" would prove nothing.
    own = b.api.get(url, headers={"Accept": "text/html"} if probe.kind == "page" else {})
    if own.status_code != 200:
        pytest.skip(f"{url} answers {own.status_code} to tenant B's own owner: route not available yet")
    return url


# browser_name: the page probes ask for the browser inside the test (getfixturevalue), so pytest-playwright
# would not parametrize them like the other browser tests, and pytest would close the session's browser and
# launch another each time the run moved between the two kinds (twice a run, more under xdist's order).
@pytest.mark.usefixtures("browser_name")
@pytest.mark.parametrize("probe", PROBES, ids=str)
def test_owner_of_a_gets_404_for_b_resources(probe: Probe, other_tenant: OtherTenant, tenant: TenantHandle,
                                             app_api: httpx.Client, request: pytest.FixtureRequest) -> None:
    url = b_resource_url(probe, other_tenant)
    if probe.kind == "api":
        response = app_api.get(url)
        assert response.status_code == 404, response.text
        assert response.json()["code"].endswith("not_found")
        assert other_tenant.handle.id not in response.text and other_tenant.handle.phone_number not in response.text
        return
    page: Page = request.getfixturevalue("owner_page")
    page.goto(url)
    ErrorPage(page).expect_not_found()


def test_me_answers_with_the_callers_own_tenant(tenant: TenantHandle, other_tenant: OtherTenant,
                                               app_api: httpx.Client) -> None:
    mine, theirs = app_api.get("/api/v1/me").json(), other_tenant.api.get("/api/v1/me").json()
    assert (mine["tenant_id"], mine["email"]) == (tenant.id, tenant.owner.email)
    assert (theirs["tenant_id"], theirs["email"]) == (other_tenant.handle.id, other_tenant.handle.owner.email)


def test_inbox_of_a_does_not_list_b_conversations(owner_page: Page, other_tenant: OtherTenant,
                                                 app_api: httpx.Client) -> None:
    if _conversation_id(other_tenant) is None:
        pytest.skip("tenant B has no conversation API yet")
    inbox = open_inbox(owner_page)
    inbox.expect_conversation_count(0)
    listed: list[dict[str, Any]] = app_api.get("/api/v1/conversations").json()["conversations"]
    assert listed == []


def test_a_session_is_no_operator_token(tenant: TenantHandle, other_tenant: OtherTenant, stack: Stack) -> None:
    response = http.get(f"{stack.base_url}/api/operator/tenants/{other_tenant.handle.id}",
                         headers={"Authorization": f"Bearer {tenant.owner.session.token}"}, timeout=10)
    assert response.status_code == 401
