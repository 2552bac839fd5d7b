"""[smoke] The shortest paths: the stack is wired together, and an owner lands on a working inbox.

Each flow module adds its own shortest path with @pytest.mark.smoke; these cover the platform they
all stand on.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from e2e.support import StripeFakeClient, TenantHandle, TwilioFakeClient
from pages.flows import open_inbox
from pages.login import LoginPage
from seed import http
from stack.description import Stack

pytestmark = pytest.mark.smoke


def test_app_is_healthy(stack: Stack) -> None:
    response = http.get(f"{stack.base_url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_new_tenant_number_is_provisioned_at_the_twilio_fake(tenant: TenantHandle, twilio: TwilioFakeClient,
                                                            stack: Stack) -> None:
    numbers = {n["phone_number"]: n for n in twilio.numbers()}
    assert tenant.phone_number in numbers
    number = numbers[tenant.phone_number]
    assert number["sms_url"] == f"{stack.base_url}/webhooks/twilio/sms"
    assert number["status_callback"] == f"{stack.base_url}/webhooks/twilio/voice-status"


def test_stripe_fake_delivers_webhooks_to_the_app(stripe: StripeFakeClient, stack: Stack) -> None:
    endpoints = stripe.webhook_endpoints()
    assert any(e["url"] == f"{stack.base_url}/webhooks/stripe" and e["secret"].startswith("whsec_") for e in endpoints)


def test_login_page_renders(page: Page) -> None:
    login = LoginPage(page).goto()
    login.email.fill("nobody@example.test")  # the form is there and usable
    login.navigation.expect_no_link("Inbox")  # signed out: no main navigation


def test_owner_lands_on_the_inbox(owner_page: Page, tenant: TenantHandle) -> None:
    inbox = open_inbox(owner_page)
    inbox.navigation.expect_signed_in_as(tenant.owner.name)
    inbox.navigation.expect_current("Inbox")
    inbox.expect_empty()
