"""[compliance] Flow 4: a tenant whose business registration is pending texts nobody — the first reply is held
and visible, a banner says why, the composer is disabled and the API refuses with 403 — until the brand
is approved at the Twilio fake, which releases the held text. Also: STOP blocks every further text, START
brings texting back.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page

from e2e.support import Settle, TenantHandle, TwilioFakeClient, WaitUntil, texts_to
from pages.banners import COMPLIANCE_BANNER_TEST_ID
from pages.compliance import CompliancePage
from pages.conversation import ConversationPage
from pages.inbox import InboxPage

pytestmark = pytest.mark.compliance


def send_through_api(app_api: httpx.Client, conversation_id: str, body: str) -> httpx.Response:
    return app_api.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": body})


def approve_brand(twilio: TwilioFakeClient, tenant: TenantHandle) -> None:
    """Twilio approves the brand the app registered when the tenant was created (the fake posts the callback)."""
    result = twilio.set_brand_status(tenant.extra["brand_sid"], "APPROVED",
                                     callback_url=tenant.url("/webhooks/twilio/compliance"))
    assert result["status_code"] == 200, result


@pytest.mark.smoke
@pytest.mark.tenant(compliance="pending")
def test_a_pending_tenant_texts_nobody_and_says_why(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, settle: Settle,
) -> None:
    with settle.window(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone),
                       what="SMS while registration is pending"):
        assert twilio.missed_call(from_=customer_phone, to=tenant.phone_number)["status_code"] == 200

    inbox = InboxPage(owner_page).goto()
    inbox.banners.expect_state(COMPLIANCE_BANNER_TEST_ID, "pending")
    inbox.expect_conversation(customer_phone, state="open")
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation.expect_held_messages(1)
    conversation.expect_composer_disabled("pending")


@pytest.mark.tenant(compliance="pending")
def test_approval_removes_the_banner_and_sends_the_held_text(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, app_api: httpx.Client,
    wait_until: WaitUntil, settle: Settle,
) -> None:
    with settle.window(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone),
                       what="SMS while registration is pending"):
        twilio.missed_call(from_=customer_phone, to=tenant.phone_number)
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation.banners.expect_state(COMPLIANCE_BANNER_TEST_ID, "pending")
    conversation.expect_held_messages(1)
    conversation.expect_composer_disabled("pending")

    refused = send_through_api(app_api, conversation.conversation_id, "Hello from the API")
    assert refused.status_code == 403
    assert refused.json()["code"] == "compliance_pending" and "pending" in refused.json()["detail"]
    assert texts_to(twilio, tenant=tenant, customer=customer_phone) == []

    approve_brand(twilio, tenant)
    [released] = wait_until(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone), message="the held first reply")
    assert tenant.name in released["body"]

    # The open page notices by itself: banner gone, composer enabled, the text no longer held.
    conversation.banners.expect_absent(COMPLIANCE_BANNER_TEST_ID)
    conversation.expect_composer_enabled()
    conversation.expect_no_held_messages()
    conversation.expect_message(released["body"])
    CompliancePage(owner_page).goto().expect_status("approved")


def test_stop_blocks_every_further_text_and_start_resumes(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, app_api: httpx.Client,
    wait_until: WaitUntil, settle: Settle,
) -> None:
    twilio.missed_call(from_=customer_phone, to=tenant.phone_number)
    wait_until(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone), message="the first SMS")
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)

    with settle.window(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone), what="SMS after STOP"):
        assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="STOP")["status_code"] == 200
        twilio.missed_call(from_=customer_phone, to=tenant.phone_number)
        twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="hello?")
    conversation.expect_state("blocked")
    conversation.expect_composer_disabled("opted out")
    refused = send_through_api(app_api, conversation.conversation_id, "Are you sure?")
    assert refused.status_code == 403 and refused.json()["code"] == "opted_out"

    before = len(texts_to(twilio, tenant=tenant, customer=customer_phone))
    twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="START")
    [confirmation] = wait_until(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone)[before:],
                                message="the START reply")
    assert "subscribed again" in confirmation["body"]
    conversation.expect_state("open")
    conversation.expect_composer_enabled()
    conversation.send("Welcome back! How can we help?")
    wait_until(lambda: [m for m in texts_to(twilio, tenant=tenant, customer=customer_phone)
                        if m["body"] == "Welcome back! How can we help?"], message="the owner's text after START")
