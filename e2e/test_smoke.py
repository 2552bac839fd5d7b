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
