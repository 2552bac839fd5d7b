"""[isolation] Tenant A's owner cannot reach tenant B's pages or API: 404, never 403, never B's data; and neither
busy time in B's connected calendar nor B's holds take a time out of A's offers, B's calendar connection is not
A's, B's plan is not A's, and B's callers' waits never show on A's dashboard. Whatever one business does (a
customer opting out or back in, its clock moving, its registration being approved) changes nothing of another's.

Data-driven: PROBES lists B-specific URLs (templates over B's resource ids) and FINDERS says how to
obtain such an id in B (through B's own API or the fakes, like a real caller would). Each probe first
proves B's owner *can* open the URL (a positive control: when it fails, the test fails saying so — a
broken route must not pass as "isolated"), then that A's owner gets 404. Adding a route = one Probe line (+ a finder for
a new kind of id).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import httpx
import pytest
from playwright.sync_api import Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.support import (
    TenantHandle,
    TenantSeeder,
    TwilioFakeClient,
    WaitUntil,
    approve_brand,
    bearer,
    bodies_to,
    first_reply,
    resubscribed,
    text_the_business,
)
from e2e.test_booking import MONDAY_MORNING
from fakes.google.client import GoogleFakeClient
from fakes.stripe.client import StripeFakeClient
from pages.appointments import AppointmentsPage
from pages.billing import BillingPage
from pages.calendar import GOOGLE_CONSENT_REQUEST, CalendarPage, oauth_state
from pages.dashboard import DashboardPage
from pages.errors import ErrorPage
from pages.flows import open_inbox
from seed import http
from stack.description import Stack

pytestmark = pytest.mark.isolation

IDLE_CLOSE_S = 24 * 3600  # a conversation idle this long on its business's clock closes
LINK_TTL_S = 72 * 3600  # a booking link works this long


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
    conversation_id = b.wait_until(lambda: b.first_id("/api/v1/conversations", "conversations"), timeout=10,
                                   message="B's conversation from the missed call")
    # Its first text sent too, so nothing of B's own moves while a test compares B's view before and after.
    b.wait_until(lambda: b.twilio.messages(to=b.caller, from_=b.handle.phone_number), timeout=10,
                 message="B's first text to its caller")
    return conversation_id


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
    with bearer(stack, handle.owner.session.token) as api:
        yield OtherTenant(handle=handle, api=api, twilio=twilio, caller=customer_phone, wait_until=wait_until)


def b_resource_url(probe: Probe, b: OtherTenant) -> str:
    resource_id = FINDERS[probe.needs](b)
    assert resource_id is not None, (
        f"positive control failed: tenant B could not create a {probe.needs} through its own API, "
        "so there is nothing to probe isolation with")
    url = probe.path.format(**{probe.needs: resource_id})
    # Positive control: the URL must work for its own tenant, or "A gets 404" would prove nothing.
    own = b.api.get(url, headers={"Accept": "text/html"} if probe.kind == "page" else {})
    assert own.status_code == 200, (
        f"positive control failed: {url} answers {own.status_code} to tenant B's own owner: {own.text[:300]}")
    if probe.kind == "api" and probe.path.endswith("}"):
        assert resource_id in own.text, f"positive control failed: {url} does not show B its own {probe.needs}"
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
    answer = page.goto(url)
    ErrorPage(page).expect_not_found()
    assert answer is not None and answer.status == 404, answer and answer.status  # not a 200 card
    assert other_tenant.caller not in page.content()


@dataclass(frozen=True)
class Write:
    """A change A's owner attempts on B's resource; `read` is B's own view of it, which must not move."""

    method: Literal["POST", "PATCH", "DELETE"]
    path: str  # a template over one FINDERS key
    read: str  # the same key: what B reads before and after
    body: dict[str, Any] | None = None

    def view(self, answer: Any) -> Any:
        """What must not move in B's read: delivery statuses and activity times may (the fake reports them)."""
        if "messages" in answer:
            return [(m["author"], m["body"]) for m in answer["messages"]]
        if "state" in answer:
            return {k: answer[k] for k in ("state", "needs_attention", "closed_at")}
        return answer

    @property
    def needs(self) -> str:
        return self.read.split("{", 1)[1].split("}", 1)[0]

    def __str__(self) -> str:
        return f"{self.method}:{self.path}"


WRITES = [
    Write("PATCH", "/api/v1/catalog/items/{catalog_item_id}", "/api/v1/catalog/items/{catalog_item_id}",
          {"name": "Renamed by tenant A"}),
    Write("DELETE", "/api/v1/catalog/items/{catalog_item_id}", "/api/v1/catalog/items/{catalog_item_id}"),
    Write("DELETE", "/api/v1/holds/{hold_id}", "/api/v1/holds/{hold_id}"),
    Write("POST", "/api/v1/bookings", "/api/v1/holds/{hold_id}", {"hold_id": "{hold_id}", "customer_name": "A"}),
    Write("POST", "/api/v1/conversations/{conversation_id}/takeover", "/api/v1/conversations/{conversation_id}"),
    Write("POST", "/api/v1/conversations/{conversation_id}/messages", "/api/v1/conversations/{conversation_id}/messages",
          {"body": "Tenant A writing to B's customer"}),
    Write("POST", "/api/v1/quote", "/api/v1/catalog/items/{catalog_item_id}", {"item_id": "{catalog_item_id}"}),
]


@pytest.mark.parametrize("write", WRITES, ids=str)
def test_owner_of_a_cannot_change_b_resources(write: Write, other_tenant: OtherTenant, tenant: TenantHandle,
                                              app_api: httpx.Client, twilio: TwilioFakeClient) -> None:
    b = other_tenant
    resource_id = FINDERS[write.needs](b)
    assert resource_id is not None, f"positive control failed: tenant B could not create a {write.needs}"
    fill = {write.needs: resource_id}
    before = b.api.get(write.read.format(**fill))
    assert before.status_code == 200, f"positive control failed: B cannot read its own {write.needs}: {before.text}"
    body = {k: v.format(**fill) if isinstance(v, str) else v for k, v in (write.body or {}).items()}
    response = app_api.request(write.method, write.path.format(**fill), json=body if write.body else None)
    assert response.status_code == 404, response.text
    assert response.json()["code"].endswith("not_found")
    assert b.handle.phone_number not in response.text
    after = b.api.get(write.read.format(**fill))
    assert after.status_code == 200, after.text
    assert write.view(after.json()) == write.view(before.json()), f"tenant A's {write} changed B's {write.needs}"
    if "body" in body:
        assert body["body"] not in [m["body"] for m in twilio.messages(to=b.caller)], "A texted B's customer"


@pytest.mark.tenant(compliance="pending")
def test_me_and_compliance_answer_with_the_callers_own_tenant(tenant: TenantHandle, other_tenant: OtherTenant,
                                                              app_api: httpx.Client) -> None:
    mine, theirs = app_api.get("/api/v1/me").json(), other_tenant.api.get("/api/v1/me").json()
    for me, handle in ((mine, tenant), (theirs, other_tenant.handle)):
        assert (me["tenant_id"], me["tenant_name"], me["user_id"], me["email"], me["name"], me["role"]) == (
            handle.id, handle.name, handle.owner.user_id, handle.owner.email, handle.owner.name, "OWNER"), me
    # A business's registration is its own: A's brand is under review, B (approved when seeded) has filed none.
    mine, theirs = (client.get("/api/v1/compliance").json() for client in (app_api, other_tenant.api))
    assert (mine["status"], mine["registration"]["brand_sid"]) == ("pending", tenant.extra["brand_sid"]), mine
    assert (theirs["status"], theirs["registration"]) == ("approved", None), theirs


def test_a_may_name_an_item_as_b_named_one(other_tenant: OtherTenant, app_api: httpx.Client) -> None:
    """Item names are unique within a business, not across businesses."""
    name = "Gutter guard fitting"
    b_added = other_tenant.api.post("/api/v1/catalog/items", json={"name": name, "price_cents": 9_000,
                                                                     "duration_minutes": 60})
    assert b_added.status_code == 201, f"positive control failed: B could not add {name!r}: {b_added.text}"
    a_added = app_api.post("/api/v1/catalog/items", json={"name": name, "price_cents": 9_500, "duration_minutes": 60})
    assert a_added.status_code == 201, a_added.text


def test_a_clock_never_closes_b_conversations(tenant: TenantHandle, other_tenant: OtherTenant, seeder: TenantSeeder,
                                             app_api: httpx.Client) -> None:
    """A conversation closes after a day idle on its own business's clock, not on another business's."""
    b_conversation = _conversation_id(other_tenant)
    assert b_conversation is not None, "positive control failed: B's missed call opened no conversation B can list"
    seeder.set_clock(tenant, advance_seconds=IDLE_CLOSE_S + 3600)
    assert app_api.get("/api/v1/conversations").status_code == 200  # A's inbox closes A's idle conversations

    def b_state() -> str:
        return str(other_tenant.api.get(f"/api/v1/conversations/{b_conversation}").json()["state"])

    assert b_state() == "open", "a day passing on A's clock closed B's conversation"
    seeder.set_clock(other_tenant.handle, advance_seconds=IDLE_CLOSE_S + 3600)
    assert b_state() == "closed", "positive control failed: B's conversation stays open after a day idle on B's clock"


def test_b_booking_page_gives_b_number(tenant: TenantHandle, other_tenant: OtherTenant, seeder: TenantSeeder) -> None:
    """A customer whose link of B's expired is told to text B's number (the page looks the business's number up)."""
    b = other_tenant
    link = b.api.post("/api/v1/booking-links", json={"item_id": _catalog_item_id(b)})
    assert link.status_code == 201, f"positive control failed: B could not make a booking link: {link.text}"
    seeder.set_clock(b.handle, advance_seconds=LINK_TTL_S + 60)
    page = b.api.get(link.json()["url"])
    assert page.status_code == 410, page.text
    numbers = re.findall(r'href="sms:([^"]+)"', page.text)
    assert numbers == [b.handle.phone_number], f"B's expired link says to text {numbers}, not B's number"


def test_inbox_and_dashboard_of_a_leave_out_b_conversations(owner_page: Page, other_tenant: OtherTenant,
                                                 app_api: httpx.Client, tenant: TenantHandle,
                                                 twilio: TwilioFakeClient, customer_phone: str,
                                                 wait_until: WaitUntil) -> None:
    def b_today() -> tuple[int, int]:
        day = other_tenant.api.get("/api/v1/dashboard/first-response").json()["days"][0]
        return day["samples"], day["unanswered"]

    b_conversation = _conversation_id(other_tenant)
    assert b_conversation is not None, "positive control failed: B's missed call opened no conversation B can list"
    inbox = open_inbox(owner_page)
    inbox.expect_conversation_count(0)
    listed: list[dict[str, Any]] = app_api.get("/api/v1/conversations").json()["conversations"]
    assert listed == []
    # B's caller waited for B's first text: B's first-response figures count it, A's dashboard does not.
    other_tenant.wait_until(
        lambda: other_tenant.api.get("/api/v1/dashboard/first-response").json()["last_7_days"]["samples"] == 1,
        timeout=10, message="positive control: B's own dashboard to count its caller's wait")
    # B's owner takes over and the caller answers: B's conversation waits for B's owner, never for A.
    assert other_tenant.api.post(f"/api/v1/conversations/{b_conversation}/takeover").status_code == 200
    assert other_tenant.twilio.inbound_sms(from_=other_tenant.caller, to=other_tenant.handle.phone_number,
                                           body="Are you still coming?")["status_code"] == 200
    b_waiting = other_tenant.api.get("/api/v1/dashboard/first-response").json()["needs_attention"]
    assert b_waiting == 1, f"positive control failed: B's dashboard counts {b_waiting} conversations waiting for B"
    other_tenant.wait_until(lambda: b_today() == (1, 1), timeout=10,
                            message="positive control: B's day to count one answered wait and one open")
    # A's own caller, answered the same day: A's figures, the week's and the day's, count that one wait alone
    # (the day's row is rolled up when A's wait is recorded: from A's waits only, not every tenant's that day).
    assert twilio.missed_call(from_=customer_phone, to=tenant.phone_number)["status_code"] == 200
    wait_until(lambda: app_api.get("/api/v1/dashboard/first-response").json()["last_7_days"]["samples"] == 1,
               message="A's caller answered")
    dashboard = DashboardPage(owner_page).goto()
    dashboard.expect_waiting_for_you(0)
    a_wait = re.compile(r"^\d")  # a sub-second or few-second wait: its exact value is not the point here
    dashboard.expect_week(answered=1, waiting=0, p50=a_wait, p95=a_wait)
    today = app_api.get("/api/v1/dashboard/first-response").json()["today"]
    dashboard.expect_today(day=today, answered=1, waiting=0, p50=a_wait, p95=a_wait)
    # And B's day is still B's own, now that A has a row for the same day.
    assert b_today() == (1, 1), f"B's day reads {b_today()} (answered, open) once A's caller was answered"


def test_appointments_of_a_do_not_list_b_appointments(owner_page: Page, other_tenant: OtherTenant,
                                                     app_api: httpx.Client) -> None:
    b_appointment = _appointment_id(other_tenant)
    assert b_appointment is not None, "positive control failed: B could not book through its own API"
    b_listed = other_tenant.api.get("/api/v1/appointments").json()["appointments"]
    assert [a["id"] for a in b_listed] == [b_appointment], "positive control failed: B does not list its booking"
    appointments = AppointmentsPage(owner_page).goto()
    appointments.expect_empty()
    appointments.expect_count(0)
    assert app_api.get("/api/v1/appointments").json()["appointments"] == []
    # An Idempotency-Key belongs to its tenant: B's booking with it neither replays into A's nor blocks it.
    b_hold = _hold_id(other_tenant)
    assert b_hold is not None, "positive control failed: B could not hold a second time through its own API"
    key = {"Idempotency-Key": f"front-desk-{b_hold[:8]}"}
    b_booked = other_tenant.api.post("/api/v1/bookings", json={"hold_id": b_hold}, headers=key)
    assert b_booked.status_code == 201, f"positive control failed: B could not book with a key: {b_booked.text}"
    a_item = str(app_api.get("/api/v1/catalog/items").json()["items"][0]["id"])
    a_offer = app_api.get("/api/v1/offers", params={"item_id": a_item, "count": 1}).json()["offers"][0]
    a_hold = app_api.post("/api/v1/holds", json={"item_id": a_item, "starts_at": a_offer["starts_at"]}).json()
    a_booked = app_api.post("/api/v1/bookings", json={"hold_id": a_hold["id"]}, headers=key)
    assert (a_booked.status_code, a_booked.json().get("hold_id")) == (201, a_hold["id"]), a_booked.text


def test_opting_out_and_back_in_is_per_business(tenant: TenantHandle, other_tenant: OtherTenant,
                                                twilio: TwilioFakeClient, wait_until: WaitUntil) -> None:
    caller, b = other_tenant.caller, other_tenant
    assert twilio.inbound_sms(from_=caller, to=b.handle.phone_number, body="STOP")["status_code"] == 200
    blocked = b.api.get("/api/v1/conversations", params={"state": "blocked"}).json()["conversations"]
    assert [c["customer_phone"] for c in blocked] == [caller], "positive control failed: B did not opt its caller out"
    # The same person's missed call to A still gets A's first text: opting out is per business.
    twilio.missed_call(from_=caller, to=tenant.phone_number)
    assert wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=caller),
                      message="A's first text to a caller who opted out of B only") == [first_reply(tenant)]
    # Nor is opting back in: START to A leaves the caller opted out of B. YES counts as START only from someone
    # opted out, so B confirming a YES shows B still had them opted out.
    assert text_the_business(twilio, tenant=tenant, customer=caller, body="START",
                             wait_until=wait_until) == resubscribed(tenant)
    assert text_the_business(twilio, tenant=b.handle, customer=caller, body="YES",
                             wait_until=wait_until) == resubscribed(b.handle)


@pytest.mark.tenant(compliance="pending")
def test_approving_a_releases_only_a_held_texts(tenant: TenantHandle, seeder: TenantSeeder, stack: Stack,
                                                twilio: TwilioFakeClient, customer_phone: str,
                                                new_customer_phone: Callable[[], str], app_api: httpx.Client,
                                                wait_until: WaitUntil) -> None:
    b = seeder.create(compliance="pending")
    b_caller = new_customer_phone()
    with bearer(stack, b.owner.session.token) as b_api:

        def held_first_text(api: httpx.Client) -> bool:
            conversations = api.get("/api/v1/conversations").json()["conversations"]
            thread = api.get(f"/api/v1/conversations/{conversations[0]['id']}/messages").json() if conversations else {}
            return [m["status"] for m in thread.get("messages", []) if m["direction"] == "outbound"] == ["held"]

        for api, handle, caller in ((b_api, b, b_caller), (app_api, tenant, customer_phone)):
            assert twilio.missed_call(from_=caller, to=handle.phone_number)["status_code"] == 200
            wait_until(partial(held_first_text, api), message="positive control: a first text held while pending")
        approve_brand(twilio, tenant)
        assert wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone),
                          message="A's held text sent once A is approved") == [first_reply(tenant)]
        # Released in the same step as A's: had B's been taken along, it would have left "held" by now.
        assert held_first_text(b_api), "approving A's business released B's held text"
    assert twilio.messages(to=b_caller) == []


def test_b_calendar_busy_time_and_holds_never_take_a_offers(
    tenant: TenantHandle, other_tenant: OtherTenant, seeder: TenantSeeder, google: GoogleFakeClient,
    new_context: CreateContextCallback, app_api: httpx.Client, owner_page: Page, wait_until: WaitUntil,
) -> None:
    b = other_tenant.handle
    for each in (tenant, b):
        seeder.set_clock(each, now=MONDAY_MORNING)  # both on Monday 7 January 2030, 08:55 in New York
    b_calendar = CalendarPage(new_context(storage_state=b.storage_state_for(b.owner)).new_page()).goto()  # type: ignore[arg-type]
    with b_calendar.page.expect_request(GOOGLE_CONSENT_REQUEST) as consent:  # B's trip to Google
        b_calendar.connect_google(b.owner.email)
    b_state = oauth_state(consent.value.url)
    wait_until(b_calendar.synced, message="B's first sync with Google Calendar")
    google.add_event(b.owner.email, start=MONDAY_MORNING.replace(hour=16, minute=0),
                     end=MONDAY_MORNING.replace(hour=17, minute=0),
                     summary="B's 11 AM job")  # 11:00 AM-12:00 PM in New York

    def hour_long_offers(api: httpx.Client) -> list[str]:
        answer = api.get("/api/v1/offers", params={"duration_minutes": 60})
        assert answer.status_code == 200, answer.text
        return [offer["label"] for offer in answer.json()["offers"]]

    wait_until(lambda: hour_long_offers(other_tenant.api) == [
        "Mon Jan 7, 9:30 AM", "Mon Jan 7, 12:00 PM", "Mon Jan 7, 1:00 PM"],
        message="positive control: B's own event to take 10:30 and 11:30 AM out of B's offers")
    # B also holds its first offer (9:30 AM), as B's customers do.
    b_hold = _hold_id(other_tenant)
    assert b_hold is not None, "positive control failed: B could not hold a time through its own API"
    assert "Mon Jan 7, 9:30 AM" not in hour_long_offers(other_tenant.api), (
        "positive control failed: B's hold did not take 9:30 AM out of B's own offers")
    assert hour_long_offers(app_api) == ["Mon Jan 7, 9:30 AM", "Mon Jan 7, 10:30 AM", "Mon Jan 7, 11:30 AM"]
    # A books 9:30 AM too, then B books its hold: only B's booking reaches B's Google Calendar (A's, booked first,
    # is written out first, so it would be there by the time B's is).
    a_item = str(app_api.get("/api/v1/catalog/items").json()["items"][0]["id"])
    a_hold = app_api.post("/api/v1/holds", json={"item_id": a_item, "starts_at": "2030-01-07T14:30:00Z"}).json()
    assert app_api.post("/api/v1/bookings", json={"hold_id": a_hold["id"]}).status_code == 201, a_hold
    assert other_tenant.api.post("/api/v1/bookings", json={"hold_id": b_hold}).status_code == 201, (
        "positive control failed: B could not book its hold")

    def bookings_in_b_calendar() -> list[str]:
        return [e["summary"] for e in google.events(b.owner.email) if e["summary"].endswith("(NeverMissCall)")]

    wait_until(bookings_in_b_calendar, message="positive control: B's booking in B's Google Calendar")
    assert len(bookings_in_b_calendar()) == 1, bookings_in_b_calendar()
    # Nor is B's connection A's: A's Calendar page still offers to connect one.
    a_calendar = CalendarPage(owner_page).goto()
    expect(a_calendar.status_badge).to_have_attribute("data-state", "none")
    # The OAuth state of B's trip to Google is B's alone: a consent answer carrying it, slipped into A's session
    # (someone else's Google account for A's calendar), is refused before its code is used.
    a_calendar.return_from_consent(code="someone-elses-code", state=b_state)
    a_calendar.expect_connect_error("The connection request expired. Try again.")
    expect(a_calendar.status_badge).to_have_attribute("data-state", "none")


def test_b_plan_is_never_shown_as_a_plan(owner_page: Page, other_tenant: OtherTenant, stripe: StripeFakeClient,
                                         wait_until: WaitUntil, tenant: TenantHandle, app_api: httpx.Client) -> None:
    key = {"Idempotency-Key": "checkout-retry-1"}  # a key any integration might pick
    checkout = other_tenant.api.post("/api/v1/billing/checkout", headers=key)
    assert checkout.status_code == 201, f"positive control failed: B could not start checkout: {checkout.text}"
    # The same key from A starts A's own checkout at Stripe, not a replay of B's (which A would pay for B).
    own = app_api.post("/api/v1/billing/checkout", headers=key)
    assert own.status_code == 201 and own.json()["session_id"] != checkout.json()["session_id"], own.text
    assert [s["session"]["id"] for s in stripe.checkout_sessions(client_reference_id=tenant.id)] == [
        own.json()["session_id"]]
    stripe.complete_checkout(checkout.json()["session_id"], wait=True)  # B pays on Stripe's page
    wait_until(lambda: other_tenant.api.get("/api/v1/billing/status").json()["state"] == "active",
               message="positive control: B's plan to become active")
    billing = BillingPage(owner_page).goto()
    billing.expect_state("none")
    billing.expect_can_subscribe("Subscribe")
    billing.expect_cannot_manage()  # no Stripe customer of A's: B's is not A's to manage

    # Both pay; then B's renewal fails. Each of Stripe's events reaches its own business only: B is past due,
    # A stays active.
    stripe.complete_checkout(own.json()["session_id"], wait=True)
    wait_until(lambda: app_api.get("/api/v1/billing/status").json()["state"] == "active", message="A's plan active")
    [b_session] = stripe.checkout_sessions(client_reference_id=other_tenant.handle.id)
    stripe.payment_failed(b_session["session"]["subscription"])
    wait_until(lambda: other_tenant.api.get("/api/v1/billing/status").json()["state"] == "past_due",
               message="positive control: B's plan to become past due")
    BillingPage(owner_page).goto().expect_state("active")


def test_a_session_is_no_operator_token(tenant: TenantHandle, other_tenant: OtherTenant, stack: Stack) -> None:
    response = http.get(f"{stack.base_url}/api/operator/tenants/{other_tenant.handle.id}",
                         headers={"Authorization": f"Bearer {tenant.owner.session.token}"}, timeout=10)
    assert response.status_code == 401
