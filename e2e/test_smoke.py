"""[smoke] The shortest paths: the stack is wired together, and an owner lands on a working inbox.

Each flow module adds its own shortest path with @pytest.mark.smoke; these cover the platform they
all stand on.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.support import StripeFakeClient, TenantHandle, TenantSeeder, TwilioFakeClient, WaitUntil
from pages.flows import open_inbox
from pages.login import LoginPage
from seed import http
from seed.operator import OperatorError
from stack.description import Stack

pytestmark = pytest.mark.smoke


def test_app_is_healthy(stack: Stack) -> None:
    response = http.get(f"{stack.base_url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_new_tenant_number_is_provisioned_at_the_twilio_fake(
    tenant: TenantHandle, twilio: TwilioFakeClient, stack: Stack, seeder: TenantSeeder, wait_until: WaitUntil,
) -> None:
    numbers = {n["phone_number"]: n for n in twilio.numbers()}
    assert tenant.phone_number in numbers
    number = numbers[tenant.phone_number]
    assert number["sms_url"] == f"{stack.base_url}/webhooks/twilio/sms"
    assert number["status_callback"] == f"{stack.base_url}/webhooks/twilio/voice-status"
    # Real Twilio asks VoiceUrl what to do with every incoming call (the fake only falls back to it when
    # no StatusCallback is set), and our webhooks take POST alone: GET would get a 405 for every call and text.
    assert number["voice_url"] == f"{stack.base_url}/webhooks/twilio/voice-status", number
    assert (number["sms_method"], number["status_callback_method"]) == ("POST", "POST"), number
    # Deleting the tenant gives its number back to Twilio (after the operator API's answer: waited for).
    seeder.delete(tenant)
    wait_until(lambda: tenant.phone_number not in {n["phone_number"] for n in twilio.numbers()},
               message="the deleted tenant's number released at the Twilio fake")


def test_stripe_fake_delivers_webhooks_to_the_app(stripe: StripeFakeClient, stack: Stack, tenant: TenantHandle,
                                                  app_api: httpx.Client, wait_until: WaitUntil) -> None:
    webhook_url = f"{stack.base_url}/webhooks/stripe"
    endpoints = stripe.webhook_endpoints()
    assert any(e["url"] == webhook_url and e["secret"].startswith("whsec_") for e in endpoints)
    assert app_api.get("/api/v1/billing/status").json()["state"] == "none"

    checkout = app_api.post("/api/v1/billing/checkout")
    assert checkout.status_code == 201, checkout.text
    paid = stripe.complete_checkout(checkout.json()["session_id"], wait=True)

    # Delivered: every event of the payment reached the app's endpoint and was answered 2xx (the journal)...
    event_types = {event["type"] for event in paid["events"]}
    assert "checkout.session.completed" in event_types
    posted = [entry for entry in stripe.requests(direction="outbound", contains=tenant.id) if entry["url"] == webhook_url]
    assert {entry["kind"] for entry in posted} >= event_types
    assert all(200 <= entry["status"] < 300 for entry in posted), [(e["kind"], e["status"]) for e in posted]
    # ... and handled: the app's worker mirrors the plan Stripe reported.
    wait_until(lambda: app_api.get("/api/v1/billing/status").json()["state"] == "active",
               message="the plan to become active")


def test_login_page_renders(page: Page) -> None:
    login = LoginPage(page).goto()
    login.email.fill("nobody@example.test")  # the form is there and usable
    expect(login.password).to_be_editable()
    expect(login.submit_button).to_be_enabled()
    login.navigation.expect_no_link("Inbox")  # signed out: no main navigation


def test_owner_lands_on_the_inbox(owner_page: Page, tenant: TenantHandle) -> None:
    inbox = open_inbox(owner_page)
    inbox.navigation.expect_signed_in_as(tenant.owner.name)
    inbox.navigation.expect_current("Inbox")
    inbox.expect_empty()


def test_the_operator_api_refuses_what_it_cannot_create_and_leaves_nothing_behind(
    tenant: TenantHandle, seeder: TenantSeeder, twilio: TwilioFakeClient,
) -> None:
    """The seeding module stands on the operator API: what it creates, finds and refuses is part of the app."""
    operator, factory = seeder.operator, seeder.factory
    run_label = f"refused-{tenant.seed_key}"

    def spec(**changes: object) -> dict[str, object]:
        owner = factory.person("owner")
        return {"name": "Refused Plumbing", "timezone": "America/New_York", "phone_number": factory.phone_number(),
                "owner": {"email": owner.email, "password": owner.password, "name": owner.name}, "techs": [],
                "compliance": "approved", "catalog": [item.to_api() for item in tenant.catalog],
                "business_hours": tenant.business_hours, "ephemeral": True, "ttl_seconds": 600,
                "labels": {"run": run_label}, **changes}

    def refused(body: dict[str, object]) -> tuple[int, str | None]:
        with pytest.raises(OperatorError) as error:
            created = operator.create_tenant(body)
            seeder.adopt(created)  # (created after all: deleted with this test's tenants)
        return error.value.status_code, error.value.code

    owner = factory.person("owner")
    same_email = {"email": owner.email.upper(), "password": owner.password, "name": "Twin"}
    item = tenant.catalog[0].to_api()
    attempts = {
        "owner and tech with one email": spec(owner={"email": owner.email, "password": owner.password, "name": "A"},
                                              techs=[same_email]),
        "two items with one name": spec(catalog=[item, {**item, "name": item["name"].upper()}]),
        "a time zone that is a path": spec(timezone="../etc"),
        "a day that closes before it opens": spec(business_hours={**tenant.business_hours, "mon": ["17:00", "09:00"]}),
        "another business's number": spec(phone_number=tenant.phone_number),
    }
    answers = {what: refused(body) for what, body in attempts.items()}
    assert answers == {
        "owner and tech with one email": (409, "email_taken"),
        "two items with one name": (409, "duplicate_name"),
        "a time zone that is a path": (422, answers["a time zone that is a path"][1]),
        "a day that closes before it opens": (422, answers["a day that closes before it opens"][1]),
        "another business's number": (409, "phone_number_taken"),
    }, answers
    # Nothing of them stays behind: no tenant, and every number provisioned at Twilio on the way given back.
    assert operator.list_tenants(labels={"run": run_label}) == []
    tried = {str(body["phone_number"]) for body in attempts.values()} - {tenant.phone_number}
    assert tried & {n["phone_number"] for n in twilio.numbers()} == set()
    # A tenant is found by all of its labels, not any one of them.
    assert [t["id"] for t in operator.list_tenants(labels={"seed_key": tenant.seed_key})] == [tenant.id]
    assert operator.list_tenants(labels={"seed_key": tenant.seed_key, "run_id": "another-run"}) == []
    # An ephemeral tenant created without a time to live still expires (the app's default: an hour).
    lasting = operator.create_tenant({**spec(), "ttl_seconds": None, "labels": {"run": run_label}})
    seeder.adopt(lasting)
    assert lasting["expires_at"] is not None, lasting
    # A session is minted for a user named by email, whatever its letter case.
    minted = operator.mint_session(tenant.id, tenant.owner.email.upper())
    assert minted.user_id == tenant.owner.user_id
