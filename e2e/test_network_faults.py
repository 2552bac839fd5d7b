"""[resilience] Browser network faults: the network drops a form submission once (Playwright's ``page.route``
aborts the request before it leaves the browser). The person sees the browser's "can't reach" error page,
goes back, submits again - and it works, exactly once: one text at the Twilio fake, one appointment. A page's
look for news that the network drops is followed by the next one: the thread still shows what comes after.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.support import Settle, TenantHandle, TwilioFakeClient, WaitUntil, bodies_to, drop_first
from pages.appointments import AppointmentsPage
from pages.booking_page import HeldPage, OffersPage
from pages.conversation import ConversationPage

pytestmark = pytest.mark.resilience

NETWORK_ERROR_PAGE = re.compile(r"^chrome-error://")
BOOKING_LINK = re.compile(r"https?://\S+/book/[A-Za-z0-9_-]+")


def test_a_text_the_network_dropped_is_sent_once_on_retry(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, wait_until: WaitUntil,
    settle: Settle,
) -> None:
    twilio.missed_call(from_=customer_phone, to=tenant.phone_number)
    wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone), message="the first SMS")
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation.take_over()
    dropped = drop_first(owner_page, "**/conversations/*/messages")
    answer = "We can come at 3 pm today."

    conversation.composer.fill(answer)
    conversation.send_button.click()
    expect(owner_page).to_have_url(NETWORK_ERROR_PAGE)  # the browser's own "can't reach this page"
    assert len(dropped) == 1
    settle.assert_no_new(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone),
                         what="texts from the dropped request")

    owner_page.go_back()
    conversation.expect_loaded()
    conversation.expect_message_count(1)  # nothing half-sent: only the first automatic text
    conversation.send(answer)
    conversation.expect_message(answer)
    sent = wait_until(lambda: [t for t in bodies_to(twilio, tenant=tenant, customer=customer_phone) if t == answer],
                      message="the owner's text at the fake")
    settle.assert_no_new(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone), what="a second copy")
    assert sent == [answer]

    # The thread's next look for news fails (the connection drops): the page keeps looking, and the customer's
    # answer still appears without a reload.
    failed = drop_first(owner_page, "**/api/v1/conversations/*", method="GET")
    # (a Playwright wait, not wait_until: the route's handler only runs while Playwright is being called)
    owner_page.wait_for_event("requestfailed", predicate=lambda request: "/api/v1/conversations/" in request.url)
    assert len(failed) == 1, failed
    assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="See you at 3.")["status_code"] == 200
    conversation.expect_message("See you at 3.", author="Customer")


@pytest.mark.tenant(catalog=["Leak repair"])
def test_a_booking_the_network_dropped_is_booked_once_on_retry(
    tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, customer_page: Page, owner_page: Page,
    wait_until: WaitUntil,
) -> None:
    assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number,
                              body="There's a leaking pipe under my sink")["status_code"] == 200
    reply = wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone), message="the quote")[0]
    found = BOOKING_LINK.search(reply)
    assert found, reply
    offers = OffersPage.open(customer_page, found.group(0))
    held = offers.pick_slot(1)
    dropped = drop_first(customer_page, "**/book/*/confirm")

    held.name_field.fill("Pat Customer")
    held.confirm_button.click()
    expect(customer_page).to_have_url(NETWORK_ERROR_PAGE)
    assert len(dropped) == 1

    customer_page.go_back()
    again = HeldPage(customer_page).expect_loaded()
    again.confirm(name="Pat Customer")
    wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone)[1:], message="the confirmation SMS")
    AppointmentsPage(owner_page).goto().expect_count(1)
    assert len([t for t in bodies_to(twilio, tenant=tenant, customer=customer_phone) if t.startswith("You're booked")]) == 1
