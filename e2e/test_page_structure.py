"""[pages] The key pages in each of their states: structure (aria snapshot of the main region) and look
(visual baseline), on the sizes people use them at — owner pages on a desktop, the customer's booking
page on a phone (a Playwright device descriptor, touch) and on a desktop, plus a phone-wide smoke of
the inbox and a conversation. The pages that redraw themselves from the API (inbox, conversation) are also
opened with scripts off: what the server sends must read the same as what the script draws.

Every page reached here is also scanned by axe-core on arrival (e2e/plugins/a11y.py), like in every flow;
``expect_loaded()`` after a state change in place (take over, STOP) makes that state a page arrival too.
Snapshots live in e2e/snapshots/test_page_structure/; ``--update-snapshots`` refreshes them.
Determinism: the tenant's clock is Monday 7 January 2030 08:55 in New York, names and prices come from
the node-id-seeded factories, and what still differs per run (phone numbers, clock times shown, Stripe's
renewal date) is masked in screenshots and written as patterns in aria snapshots.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Playwright, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.plugins import traces
from e2e.plugins.snapshots import Snapshots
from e2e.support import (
    CREATE_MESSAGE,
    StripeFakeClient,
    TenantHandle,
    TenantSeeder,
    TwilioFakeClient,
    WaitUntil,
    text_the_business,
    texts_to,
)
from pages.appointments import AppointmentsPage
from pages.billing import BillingPage, billing_state, subscribe_and_pay
from pages.booking_page import LinkUnavailablePage, OffersPage
from pages.calendar import CalendarPage
from pages.catalog import CatalogPage
from pages.compliance import CompliancePage
from pages.conversation import ConversationPage
from pages.dashboard import DashboardPage
from pages.errors import ErrorPage
from pages.inbox import InboxPage
from pages.login import LoginPage

pytestmark = [pytest.mark.pages, pytest.mark.tenant(catalog=["Leak repair", "Drain cleaning"])]

MONDAY_MORNING = datetime(2030, 1, 7, 13, 55, tzinfo=UTC)  # 08:55 in America/New_York (the factory's zone)
JOB = "Hi, there's a leaking pipe under my kitchen sink, can someone come today?"
THANKS = "Thanks, I'll wait for your call."
REFUSED = "Calling you back in ten minutes."
LINK = re.compile(r"https?://\S+/book/[A-Za-z0-9_-]+")
PHONE_NUMBER = re.compile(r"\+\d{8,15}")
RENEWAL = re.compile(r"^(Renews on|Your plan ends on) ")
PHONE_DEVICE = "Pixel 7"  # a Chromium phone among Playwright's device descriptors
NARROW = {"width": 360, "height": 740}


def dynamic_text(page: Page) -> list[Locator]:
    """What differs between runs and is masked in screenshots: clock times, phone numbers, Stripe's dates."""
    return [page.locator("time"), page.get_by_text(PHONE_NUMBER), page.get_by_placeholder(PHONE_NUMBER),
            page.get_by_text(RENEWAL)]


def check_page(page: Page, snapshots: Snapshots, name: str, *, mask: Sequence[Locator] = ()) -> None:
    snapshots.aria(page.get_by_role("main"), name)
    snapshots.visual(page, name, mask=[*dynamic_text(page), *mask])


def thread(page: Page) -> Locator:
    return page.get_by_role("region", name="Messages")


def check_as_served(new_context: CreateContextCallback, page: Page, snapshots: Snapshots, name: str, *,
                    region: Callable[[Page], Locator] = lambda page: page.get_by_role("main")) -> None:
    """The page as the server sends it, before any script runs, reads as it does once its script has drawn it
    (``name``'s stored snapshot). The inbox and the conversation redraw their lists from the API on every poll,
    so markup the server renders wrong is mended within one poll and a check of the live page waits it out;
    people still see the wrong version first (for a poll interval, 1.5-3 s in production)."""
    context = new_context(storage_state=page.context.storage_state(), java_script_enabled=False)
    traces.name(context, "as served (scripts off)")
    served = context.new_page()
    served.goto(page.url)
    snapshots.aria_matches(region(served), name, view="as served, before its script ran,")
    context.close()


@pytest.fixture(autouse=True)
def monday_morning(seeder: TenantSeeder, tenant: TenantHandle) -> None:
    seeder.set_clock(tenant, now=MONDAY_MORNING)


def missed_call(tenant: TenantHandle, twilio: TwilioFakeClient, customer: str, wait_until: WaitUntil) -> None:
    twilio.missed_call(from_=customer, to=tenant.phone_number)
    wait_until(lambda: texts_to(twilio, tenant=tenant, customer=customer), message="the first SMS")


def test_signed_out_pages(page: Page, base_url: str, snapshots: Snapshots) -> None:
    """What anyone reaches without signing in: the login page, a booking link that is not (or no longer) a
    business's, and the error card of a page that does not exist."""
    LoginPage(page).goto()
    check_page(page, snapshots, "login")
    LinkUnavailablePage.open(page, f"{base_url}/book/{'x' * 32}").expect_unknown()
    check_page(page, snapshots, "booking-unknown-link")
    page.goto(f"{base_url}/no-such-page")
    ErrorPage(page).expect_not_found()
    check_page(page, snapshots, "not-found")


def test_inbox_and_conversation_states(owner_page: Page, new_context: CreateContextCallback, tenant: TenantHandle,
                                       twilio: TwilioFakeClient, customer_phone: str, wait_until: WaitUntil,
                                       snapshots: Snapshots) -> None:
    """Each state twice: as the page shows it (for the inbox and the human state, drawn by the page's script
    from the API as the news came in) and as the server sends it."""
    inbox = InboxPage(owner_page).goto()  # open before the call: the script draws the new conversation
    inbox.expect_empty()
    check_page(owner_page, snapshots, "inbox-empty")
    missed_call(tenant, twilio, customer_phone, wait_until)
    inbox.expect_conversation(customer_phone, state="open")
    check_page(owner_page, snapshots, "inbox")
    check_as_served(new_context, owner_page, snapshots, "inbox")

    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation.expect_state("open")
    check_page(owner_page, snapshots, "conversation-open")
    check_as_served(new_context, owner_page, snapshots, "conversation-open")

    conversation.take_over().expect_loaded()
    check_page(owner_page, snapshots, "conversation-human")
    check_as_served(new_context, owner_page, snapshots, "conversation-human")
    # The customer answers while the page is open: the script redraws the thread (each message's author, time
    # and status) from the API, and it reads as the server renders it.
    assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body=THANKS)["status_code"] == 200
    conversation.expect_message(THANKS, author="Customer")
    snapshots.aria(thread(owner_page), "thread-redrawn")
    check_as_served(new_context, owner_page, snapshots, "thread-redrawn", region=thread)
    # The inbox marks the conversation waiting for the person (its row stands out, not only its badge)...
    InboxPage(owner_page).goto().expect_needs_attention(customer_phone, "The customer replied")
    check_page(owner_page, snapshots, "inbox-attention")
    # ...and a reply Twilio refuses (a permanent 4xx) stands out in the thread as not sent.
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    twilio.add_fault(CREATE_MESSAGE, "status", method="POST", code=400, times=1, body={
        "code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400,
        "more_info": "https://www.twilio.com/docs/errors/21610"})
    conversation.send(REFUSED)
    conversation.expect_message(REFUSED, status="Failed")
    check_page(owner_page, snapshots, "conversation-failed-text")

    assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="STOP")["status_code"] == 200
    conversation.expect_state("blocked")  # the page reloads itself
    conversation.expect_loaded()
    conversation.expect_message("STOP")
    check_page(owner_page, snapshots, "conversation-blocked")
    check_as_served(new_context, owner_page, snapshots, "conversation-blocked")


def test_catalog_compliance_calendars_and_dashboard(owner_page: Page, snapshots: Snapshots) -> None:
    expect(CatalogPage(owner_page).goto().row_for("Leak repair")).to_have_count(1)
    check_page(owner_page, snapshots, "catalog")
    CompliancePage(owner_page).goto().expect_status("approved")
    check_page(owner_page, snapshots, "compliance")
    expect(CalendarPage(owner_page).goto().status_badge).to_have_attribute("data-state", "none")
    check_page(owner_page, snapshots, "calendar-none")
    dashboard = DashboardPage(owner_page).goto()  # a new business: no calls yet, the week's days listed
    expect(dashboard.answered).to_have_text("0")
    check_page(owner_page, snapshots, "dashboard-empty")
    dashboard.navigation.skip_to_content()


@pytest.mark.tenant(compliance="none", catalog=[])
def test_a_business_not_yet_registered_and_without_services(owner_page: Page, snapshots: Snapshots) -> None:
    CompliancePage(owner_page).goto().expect_status("none")
    check_page(owner_page, snapshots, "compliance-none")
    expect(CatalogPage(owner_page).goto().rows).to_have_count(0)
    check_page(owner_page, snapshots, "catalog-empty")  # what to do first, instead of an empty table


def test_billing_plan_states(owner_page: Page, tenant: TenantHandle, stripe: StripeFakeClient,
                             wait_until: WaitUntil, snapshots: Snapshots) -> None:
    def plan(state: str) -> None:
        wait_until(lambda: billing_state(owner_page) == state, message=f"the plan to become {state}")
        BillingPage(owner_page).goto().expect_state(state)
        check_page(owner_page, snapshots, f"billing-{state}")

    plan("none")
    subscribe_and_pay(owner_page).expect_plan_active()
    plan("active")
    [session] = stripe.checkout_sessions(client_reference_id=tenant.id)
    subscription_id = session["session"]["subscription"]
    stripe.payment_failed(subscription_id)
    plan("past_due")
    stripe.cancel(subscription_id)
    plan("canceled")


def customer_profile(kind: str, playwright: Playwright) -> dict[str, Any]:
    if kind == "phone":
        device = dict(playwright.devices[PHONE_DEVICE])
        device.pop("default_browser_type", None)
        return device
    return {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}


@pytest.mark.parametrize("profile", ["phone", "desktop"])
def test_booking_page_states(profile: str, playwright: Playwright, new_context: CreateContextCallback,
                             tenant: TenantHandle, seeder: TenantSeeder, twilio: TwilioFakeClient,
                             customer_phone: str, wait_until: WaitUntil, snapshots: Snapshots) -> None:
    twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body=JOB)
    reply = wait_until(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone), message="the quote")[0]["body"]
    found = LINK.search(reply)
    assert found, f"no booking link in {reply!r}"
    page = new_context(**customer_profile(profile, playwright), reduced_motion="reduce").new_page()

    offers = OffersPage.open(page, found.group(0))
    offers.expect_offer_count(3)
    check_page(page, snapshots, "booking-offers")

    held = offers.pick_slot(1)
    check_page(page, snapshots, "booking-held")

    seeder.set_clock(tenant, advance_seconds=15 * 60)  # the hold runs out on the tenant's clock
    expired = held.confirm_after_expiry()
    expired.expect_offer_count(3)
    check_page(page, snapshots, "booking-expired")

    expired.pick_slot(1).confirm(name="Pat Customer")
    check_page(page, snapshots, "booking-booked")


def test_appointments(owner_page: Page, tenant: TenantHandle, seeder: TenantSeeder, twilio: TwilioFakeClient,
                      customer_phone: str, wait_until: WaitUntil, snapshots: Snapshots) -> None:
    for body in (JOB, "1", "YES"):  # booked by SMS replies: quote, hold the first time, confirm
        text_the_business(twilio, tenant=tenant, customer=customer_phone, body=body, wait_until=wait_until)
    AppointmentsPage(owner_page).goto().expect_count(1)
    check_page(owner_page, snapshots, "appointments")
    # A week on, the job is done: nothing upcoming (what comes next, said instead of an empty table), the job
    # under Past.
    seeder.set_clock(tenant, advance_seconds=7 * 24 * 3600)
    AppointmentsPage(owner_page).goto().expect_count(1)
    check_page(owner_page, snapshots, "appointments-a-week-later")


def test_narrow_inbox_and_conversation(new_context: CreateContextCallback, tenant: TenantHandle,
                                       twilio: TwilioFakeClient, customer_phone: str, wait_until: WaitUntil,
                                       snapshots: Snapshots) -> None:
    """A phone-wide owner: the pages reflow (no sideways scrolling) and keep their look."""
    # A phone's browser (mobile, touch): it lays the page out at the width the page's viewport meta asks for;
    # a desktop browser at 360 px would ignore that tag.
    page = new_context(storage_state=tenant.owner_storage_state, viewport=NARROW,  # type: ignore[arg-type]
                       is_mobile=True, has_touch=True, reduced_motion="reduce").new_page()
    missed_call(tenant, twilio, customer_phone, wait_until)
    InboxPage(page).goto().expect_conversation(customer_phone)
    expect_no_sideways_scroll(page)
    snapshots.visual(page, "inbox-narrow", mask=dynamic_text(page))
    conversation = ConversationPage.from_inbox(page, customer_phone)
    conversation.expect_state("open")
    expect_no_sideways_scroll(page)
    snapshots.visual(page, "conversation-narrow", mask=dynamic_text(page))
    # Texts keep coming while the page is open, more than the thread's box holds: a reader at the newest text
    # follows each new one...
    scroller = page.get_by_test_id("thread")  # the list scrolls inside its box (60 % of the window's height)
    at_newest = "list => list.scrollHeight - list.scrollTop - list.clientHeight < 2"
    for body in (JOB, "1", "YES"):
        newest = text_the_business(twilio, tenant=tenant, customer=customer_phone, body=body, wait_until=wait_until)
        expect(conversation.message(newest)).to_have_count(1)
        wait_until(lambda: scroller.evaluate(at_newest), message=f"the thread scrolled to the reply to {body!r}")
    assert scroller.evaluate("list => list.scrollHeight > list.clientHeight"), \
        "the thread never overflowed its box: following the newest text was not tested"
    # ... and one who scrolled back to read older texts stays there when the next one comes.
    scroller.evaluate("list => { list.scrollTop = 0; }")
    assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body=THANKS)["status_code"] == 200
    expect(conversation.message(THANKS)).to_have_count(1)
    assert scroller.evaluate("list => list.scrollTop") == 0, "a new text pulled the reader away from older ones"
    page.goto(page.url)  # opened afresh (nothing for the browser to restore): it starts at the newest text too
    wait_until(lambda: scroller.evaluate(at_newest), message="the thread opened at its newest text")


def expect_no_sideways_scroll(page: Page) -> None:
    wider = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map(e => `${e.tagName.toLowerCase()}${e.className ? '.' + e.className : ''} ends at `
                  + `${Math.round(e.getBoundingClientRect().right)}px`)""")
    assert not wider, f"{page.url} scrolls sideways at {page.viewport_size}: " + "; ".join(wider[:8])
