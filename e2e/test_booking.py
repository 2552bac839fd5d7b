"""[booking] Flow 2: a customer texts a job; the reply quotes the matched catalog item and offers slots
with a link; the customer books on the phone-sized booking page (or by replying "2", then "YES"); the
confirmation SMS reaches the Twilio fake; the owner sees the appointment with its price. By SMS, a number
that was not offered is answered with the choices, and a hold that ran out before the YES with fresh times.

Also: two customers racing for one slot (one wins, the other is told and offered fresh times), a
Confirm form made to name another link's hold (refused), and a hold that expires on the tenant clock
(410 page that says so, with fresh times).

Each test puts the tenant's clock on Monday 7 January 2030, 08:55 in New York, so the offers are
known: a 90-minute job gets 9:30 AM, 11:00 AM and 12:30 PM (30 minutes lead, no overlap).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.support import (
    PHONE_CONTEXT,
    CatalogItem,
    Settle,
    TenantHandle,
    TenantSeeder,
    TwilioFakeClient,
    WaitUntil,
    bodies_to,
    handoff,
    item_id,
    text_the_business,
)
from pages.appointments import AppointmentsPage
from pages.booking_page import (
    BookedPage,
    HeldPage,
    HoldExpiredPage,
    LinkUnavailablePage,
    OffersPage,
    hold_and_confirm,
)
from pages.catalog import CatalogPage
from pages.conversation import ConversationPage

pytestmark = [pytest.mark.booking, pytest.mark.tenant(catalog=["Leak repair", "Drain cleaning"])]

MONDAY_MORNING = datetime(2030, 1, 7, 13, 55, tzinfo=UTC)  # 08:55 in America/New_York (the factory's zone)
LEAK_OFFERS = ["Mon Jan 7, 9:30 AM", "Mon Jan 7, 11:00 AM", "Mon Jan 7, 12:30 PM"]
LEAK_STARTS = ["2030-01-07T14:30:00Z", "2030-01-07T16:00:00Z", "2030-01-07T17:30:00Z"]  # the same, in UTC
JOB = "Hi, there's a leaking pipe under my kitchen sink, can someone come today?"
LINK = re.compile(r"https?://\S+/book/[A-Za-z0-9_-]+")


def dollars(cents: int) -> str:
    """How the app shows a price: $149, $149.50, $1,250."""
    whole, rest = divmod(cents, 100)
    return f"${whole:,}" if rest == 0 else f"${whole:,}.{rest:02d}"


def item(tenant: TenantHandle, name: str) -> CatalogItem:
    return next(i for i in tenant.catalog if i.name == name)


def confirmation(tenant: TenantHandle, service: str, when: str, price: str) -> str:
    """The booking confirmation SMS."""
    return (f"You're booked: {service} on {when}, {price}. {tenant.name} will see you then. "
            "Reply here if you need to change it.")


def booking_link_in(reply: str) -> str:
    found = LINK.search(reply)
    assert found, f"no booking link in {reply!r}"
    return found.group(0)


@pytest.fixture(autouse=True)
def monday_morning(seeder: TenantSeeder, tenant: TenantHandle) -> None:
    seeder.set_clock(tenant, now=MONDAY_MORNING)


@pytest.fixture
def second_customer_phone(new_customer_phone: Callable[[], str]) -> str:
    """Another fictional caller, unique in this run (the `customer_phone` fixture gives one per test)."""
    return new_customer_phone()


@pytest.mark.smoke
def test_quote_and_book_on_the_booking_page(
    tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, customer_page: Page, owner_page: Page,
    wait_until: WaitUntil, settle: Settle, app_api: httpx.Client,
) -> None:
    leak = item(tenant, "Leak repair")
    price = dollars(leak.price_cents)
    reply = text_the_business(twilio, tenant=tenant, customer=customer_phone, body=JOB, wait_until=wait_until)
    assert reply.startswith(f"Leak repair: {price}, about 1 h 30 min.\n")
    assert "\n".join(f"{n}) {label}" for n, label in enumerate(LEAK_OFFERS, start=1)) in reply
    link = booking_link_in(reply)
    assert link.startswith(tenant.base_url)

    offers = OffersPage.open(customer_page, link)
    offers.expect_business(tenant.name)
    offers.expect_quote("Leak repair", price)
    offers.expect_offers(LEAK_OFFERS)
    left_open = OffersPage.open(customer_page.context.new_page(), link)  # a second tab, still choosing
    held = offers.pick_slot(2)
    held.expect_held(LEAK_OFFERS[1])
    held.expect_phone_asked(False)  # the link came by text: the app knows where to send the confirmation
    held.confirm(name="Pat Customer").expect_booking(service="Leak repair", when=LEAK_OFFERS[1], price=price)
    # The second tab picks another time after the booking: it is shown the booking, and that time stays free.
    left_open.pick_slot_after_booking(3).expect_booking(service="Leak repair", when=LEAK_OFFERS[1], price=price)
    free = app_api.post("/api/v1/holds", json={"item_id": item_id(app_api, "Leak repair"), "starts_at": LEAK_STARTS[2]})
    assert free.status_code == 201, f"{LEAK_OFFERS[2]} was held by a link already booked: {free.text}"
    assert app_api.delete(f"/api/v1/holds/{free.json()['id']}").status_code == 204
    # Opened again from the text later, the link shows the booking, not times to pick again.
    BookedPage.open(customer_page, link).expect_booking(service="Leak repair", when=LEAK_OFFERS[1], price=price)
    # So does its confirmation step (Back to it, or its address reopened): booked, not "your hold expired".
    BookedPage.open(customer_page, f"{link}/hold").expect_booking(service="Leak repair", when=LEAK_OFFERS[1],
                                                                  price=price)

    wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone)[1:], message="the confirmation SMS")
    settle.assert_no_new(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone),
                         what="texts after the confirmation")
    assert bodies_to(twilio, tenant=tenant, customer=customer_phone)[1:] == [
        confirmation(tenant, "Leak repair", LEAK_OFFERS[1], price)]

    appointments = AppointmentsPage(owner_page).goto()
    appointments.expect_count(1)
    appointments.expect_appointment(when=LEAK_OFFERS[1], service="Leak repair", price=price, customer=customer_phone,
                                    name="Pat Customer")

    # A second job in the same conversation, booked on its own link: it gets a confirmation of its own.
    drain = item(tenant, "Drain cleaning")
    quote = text_the_business(twilio, tenant=tenant, customer=customer_phone, body="My shower drain is clogged too",
                              wait_until=wait_until)
    offers = OffersPage.open(customer_page, booking_link_in(quote))
    when = offers.slot_labels()[0]
    offers.pick_slot(1).confirm(name="Pat Customer").expect_booking(service="Drain cleaning", when=when,
                                                                     price=dollars(drain.price_cents))
    wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone)[-1]
               == confirmation(tenant, "Drain cleaning", when, dollars(drain.price_cents)),
               message="the second booking's confirmation SMS")


def test_two_customers_race_for_one_slot(
    tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, second_customer_phone: str,
    customer_page: Page, new_context: CreateContextCallback, owner_page: Page, wait_until: WaitUntil,
) -> None:
    first_link, second_link = (booking_link_in(text_the_business(twilio, tenant=tenant, customer=customer, body=JOB,
                                                                 wait_until=wait_until))
                               for customer in (customer_phone, second_customer_phone))
    first = OffersPage.open(customer_page, first_link)
    # The second opens the confirmation step's address before holding anything: sent to pick a time first.
    second = OffersPage.open(new_context(**PHONE_CONTEXT).new_page(), f"{second_link}/hold")
    expect(second.notice).to_have_text("Please choose a time first.")
    first.expect_offers(LEAK_OFFERS)
    second.expect_offers(LEAK_OFFERS)  # both were offered 9:30 AM

    first_held = first.pick_slot(1)
    first_held.expect_held(LEAK_OFFERS[0])
    fresh = second.pick_slot_taken_meanwhile(1)  # the loser is told, and offered fresh times
    fresh.expect_not_offered(LEAK_OFFERS[0])
    fresh.expect_offers([*LEAK_OFFERS[1:], "Mon Jan 7, 2:00 PM"])
    second_held = fresh.pick_slot(1)
    second_held.expect_held(LEAK_OFFERS[1])

    price = dollars(item(tenant, "Leak repair").price_cents)
    # No names given: each page still says where its confirmation goes.
    first_held.confirm().expect_booking(service="Leak repair", when=LEAK_OFFERS[0], price=price,
                                        texting=customer_phone)
    second_held.confirm().expect_booking(service="Leak repair", when=LEAK_OFFERS[1], price=price,
                                         texting=second_customer_phone)
    appointments = AppointmentsPage(owner_page).goto()
    appointments.expect_count(2)
    appointments.expect_appointment(when=LEAK_OFFERS[0], service="Leak repair", price=price, customer=customer_phone)
    appointments.expect_appointment(when=LEAK_OFFERS[1], service="Leak repair", price=price,
                                    customer=second_customer_phone)


def test_a_hold_of_another_link_cannot_be_confirmed(
    tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, second_customer_phone: str,
    customer_page: Page, new_context: CreateContextCallback, owner_page: Page, wait_until: WaitUntil,
    app_api: httpx.Client,
) -> None:
    first_link, second_link = (booking_link_in(text_the_business(twilio, tenant=tenant, customer=customer, body=JOB,
                                                                 wait_until=wait_until))
                               for customer in (customer_phone, second_customer_phone))
    first_held = OffersPage.open(customer_page, first_link).pick_slot(1)
    second_page = new_context(**PHONE_CONTEXT).new_page()
    second_offers = OffersPage.open(second_page, second_link)
    second_offers.expect_offers([*LEAK_OFFERS[1:], "Mon Jan 7, 2:00 PM"])  # 9:30 AM is held by the first
    second_time = LEAK_OFFERS[2]
    # The second customer holds it by text instead (the third time texted), then goes on on the page.
    assert text_the_business(twilio, tenant=tenant, customer=second_customer_phone, body="3",
                             wait_until=wait_until).startswith(f"Holding {second_time} for you until ")
    second_held = HeldPage.open(second_page, f"{second_link}/hold")
    second_held.expect_held(second_time)

    # The second customer's Confirm form is made to name the first customer's hold: refused.
    second_offers = second_held.confirm_tampered(first_held.hold_id)
    expect(second_offers.current_hold).to_contain_text(f"You're holding {second_time} until")

    price = dollars(item(tenant, "Leak repair").price_cents)
    first_held.confirm().expect_booking(service="Leak repair", when=LEAK_OFFERS[0], price=price)
    HeldPage.open(second_page, f"{second_link}/hold").confirm().expect_booking(
        service="Leak repair", when=second_time, price=price)
    appointments = AppointmentsPage(owner_page).goto()
    appointments.expect_count(2)
    appointments.expect_appointment(when=LEAK_OFFERS[0], service="Leak repair", price=price, customer=customer_phone)
    appointments.expect_appointment(when=second_time, service="Leak repair", price=price,
                                    customer=second_customer_phone)
    # Both were booked on the booking page, the second's held by text: booked via the page, where it was confirmed.
    booked = app_api.get("/api/v1/appointments").json()["appointments"]
    assert [(a["starts_label"], a["source"]) for a in booked] == [(LEAK_OFFERS[0], "web"), (second_time, "web")]


def test_an_expired_hold_says_so_and_offers_fresh_times(
    tenant: TenantHandle, seeder: TenantSeeder, twilio: TwilioFakeClient, customer_phone: str, customer_page: Page,
    wait_until: WaitUntil,
) -> None:
    link = booking_link_in(text_the_business(twilio, tenant=tenant, customer=customer_phone,
                                             body=JOB, wait_until=wait_until))
    held = OffersPage.open(customer_page, link).pick_slot(1)
    held.expect_held(LEAK_OFFERS[0], until="9:10 AM")  # 15 minutes from 8:55 on the business's clock

    seeder.set_clock(tenant, advance_seconds=14 * 60)  # a minute to go: still held
    held = HeldPage.open(customer_page, f"{link}/hold")
    held.expect_held(LEAK_OFFERS[0])
    seeder.set_clock(tenant, advance_seconds=60)  # the hold's 15 minutes have passed
    expired = held.confirm_after_expiry()  # HTTP 410
    expired.expect_expired_hold_of(LEAK_OFFERS[0])
    # Opened again from the address bar, the confirmation step says the same (no Confirm for a lapsed hold).
    expired = HoldExpiredPage.open(customer_page, f"{link}/hold")
    expired.expect_expired_hold_of(LEAK_OFFERS[0])
    # Fresh times from 9:10 AM (30 minutes lead): the expired hold no longer blocks 9:30 AM-11:00 AM.
    expired.expect_offers(["Mon Jan 7, 9:45 AM", "Mon Jan 7, 11:15 AM", "Mon Jan 7, 12:45 PM"])
    # The customer comes back to the page at 9:50 AM: 9:45 AM has gone by, and picking it says so.
    seeder.set_clock(tenant, advance_seconds=40 * 60)
    fresh = expired.pick_slot_passed_meanwhile(1)
    fresh.expect_offers(["Mon Jan 7, 10:30 AM", "Mon Jan 7, 12:00 PM", "Mon Jan 7, 1:30 PM"])  # from 10:20 AM

    label, booked = hold_and_confirm(fresh, 1)
    booked.expect_booking(service="Leak repair", when=label, price=dollars(item(tenant, "Leak repair").price_cents))


def test_booking_by_sms_replies(
    tenant: TenantHandle, seeder: TenantSeeder, twilio: TwilioFakeClient, customer_phone: str, owner_page: Page,
    app_api: httpx.Client, wait_until: WaitUntil, settle: Settle,
) -> None:
    def reply_to(body: str) -> str:
        return text_the_business(twilio, tenant=tenant, customer=customer_phone, body=body, wait_until=wait_until)

    drain = item(tenant, "Drain cleaning")
    price = dollars(drain.price_cents)
    assert reply_to(JOB).startswith("Leak repair: ")
    # A second job in the same conversation: the numbers now refer to its offers, not the first job's.
    quote = reply_to("My shower drain is clogged again")
    assert quote.startswith(f"Drain cleaning: {price}, about 1 h.\n")
    assert "1) Mon Jan 7, 9:30 AM\n2) Mon Jan 7, 10:30 AM\n3) Mon Jan 7, 11:30 AM\n" in quote
    link = booking_link_in(quote)

    # A YES ("Okay" is one too) before any time was picked books nothing: the customer is asked to pick a time.
    assert reply_to("Okay") == ("Please pick a time first:\n"
                                "1) Mon Jan 7, 9:30 AM\n2) Mon Jan 7, 10:30 AM\n3) Mon Jan 7, 11:30 AM\n"
                                f"Reply 1, 2 or 3 to hold a time, or book online: {link}")
    assert reply_to("4") == f"Please reply 1, 2 or 3 to pick a time, or book online: {link}"
    assert reply_to("Option 3") == "Holding Mon Jan 7, 11:30 AM for you until 9:10 AM. Reply YES to book it."
    # The 15 minutes pass before the YES: the customer is told, and offered fresh times from 9:10 AM.
    seeder.set_clock(tenant, advance_seconds=15 * 60)
    assert reply_to("YES!") == ("Sorry, your hold on Mon Jan 7, 11:30 AM expired. Here are the next free times:\n"
                                "1) Mon Jan 7, 9:45 AM\n2) Mon Jan 7, 10:45 AM\n3) Mon Jan 7, 11:45 AM\n"
                                f"Reply 1, 2 or 3 to hold a time, or book online: {link}")

    # The customer answers 40 minutes later, at 9:50 AM: the first time offered has gone by meanwhile.
    seeder.set_clock(tenant, advance_seconds=40 * 60)
    assert reply_to("1") == ("Sorry, Mon Jan 7, 9:45 AM can't be booked any more. Here are the next free times:\n"
                             "1) Mon Jan 7, 10:30 AM\n2) Mon Jan 7, 11:30 AM\n3) Mon Jan 7, 12:30 PM\n"
                             f"Reply 1, 2 or 3 to hold a time, or book online: {link}")

    # Meanwhile the office holds 11:30 AM for a walk-in: the customer's "2)" is told so, with the times left.
    drain_id = item_id(app_api, drain.name)
    walk_in = app_api.post("/api/v1/holds", json={"item_id": drain_id, "starts_at": "2030-01-07T16:30:00Z"})
    assert walk_in.status_code == 201, walk_in.text
    assert reply_to("2)") == ("Sorry, Mon Jan 7, 11:30 AM was just taken. Here are the next free times:\n"
                             "1) Mon Jan 7, 10:30 AM\n2) Mon Jan 7, 12:30 PM\n3) Mon Jan 7, 1:30 PM\n"
                             f"Reply 1, 2 or 3 to hold a time, or book online: {link}")

    held = reply_to("2 please")  # as customers write it
    assert held == "Holding Mon Jan 7, 12:30 PM for you until 10:05 AM. Reply YES to book it."

    booked = reply_to("Yes please")
    assert booked == confirmation(tenant, "Drain cleaning", "Mon Jan 7, 12:30 PM", price)
    settle.assert_no_new(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone), what="a second confirmation")
    # Once booked, the job's times are spent: a number texted afterwards picks nothing, a person answers.
    assert reply_to("2") == handoff(tenant)

    appointments = AppointmentsPage(owner_page).goto()
    appointments.expect_count(1)
    appointments.expect_appointment(when="Mon Jan 7, 12:30 PM", service="Drain cleaning", price=price,
                                    customer=customer_phone)
    # The owner follows the appointment to the conversation it was booked in.
    appointments.open_conversation("Mon Jan 7, 12:30 PM")
    ConversationPage(owner_page, customer_phone).expect_loaded().expect_message(booked, author="Assistant")
    # The API's copy says how it was booked and names the conversation it was booked in.
    [conversation] = app_api.get("/api/v1/conversations").json()["conversations"]
    [booked_job] = app_api.get("/api/v1/appointments").json()["appointments"]
    assert (booked_job["source"], booked_job["conversation_id"]) == ("sms", conversation["id"]), booked_job
    # Started and last active that Monday morning on the business's clock (not the server's).
    assert (conversation["created_at"][:13], conversation["last_activity_at"][:13]) == (
        "2030-01-07T13", "2030-01-07T14"), conversation
    # The customer books a second job in the same conversation: it gets a confirmation of its own.
    assert reply_to(JOB).startswith("Leak repair: ")
    second = re.fullmatch(r"Holding (.+) for you until .+\. Reply YES to book it\.", reply_to("1"))
    assert second, "the second job's hold"
    leak_price = dollars(item(tenant, "Leak repair").price_cents)
    assert reply_to("yes") == confirmation(tenant, "Leak repair", second.group(1), leak_price)


def test_the_owner_adds_an_item_and_the_assistant_quotes_it(
    tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, owner_page: Page, wait_until: WaitUntil,
) -> None:
    catalog = CatalogPage(owner_page).goto()
    with catalog.expect_form_answer(422):
        catalog.add_item(name="Leak Repair", price="nine", duration="45 min", aliases="burst pipe", priority="high")
    catalog.expect_field_error("Name", "An item with this name already exists.")
    catalog.expect_field_error("Price ($)", "Enter a price in dollars, like 149 or 149.50.")
    catalog.expect_field_error("Priority", "Enter a whole number from 0 to 100.")
    catalog.expect_error_count(3)
    catalog.expect_form_values(name="Leak Repair", aliases="burst pipe", price="nine", duration_minutes=45)
    # With the price fixed, the name is still taken: the same form again, saying so, nothing added.
    with catalog.expect_form_answer(422):
        catalog.add_item(name="leak  repair", price="95", duration="45 min", aliases="burst pipe")
    catalog.expect_field_error("Name", "An item with this name already exists.")
    catalog.expect_form_values(name="leak  repair", aliases="burst pipe", price="95", duration_minutes=45)
    # Other words with no word in them: refused next to their own field (not the name's), nothing added.
    with catalog.expect_form_answer(422):
        catalog.add_item(name="Burst pipe emergency", price="95", duration="2 h", aliases="burst pipe, ?!")
    catalog.expect_field_error("Other words customers use", "Alias '?!' has no words in it.")
    catalog.expect_error_count(1)
    # Typed as people write prices: a dollar sign, a thousands comma, cents with one digit (60 of them: kept
    # exact, not rounded down); the words list ends with a stray comma, as lists typed by hand do.
    catalog.add_item(name="Burst pipe emergency", price="$1,249.6", duration="2 h",
                     aliases="burst pipe, flooding,", priority="50")
    catalog.expect_notice("Item added.")
    catalog.expect_item("Burst pipe emergency", price="$1,249.60")

    reply = text_the_business(twilio, tenant=tenant, customer=customer_phone,
                              body="Help, a burst pipe is flooding the kitchen", wait_until=wait_until)
    assert reply.startswith("Burst pipe emergency: $1,249.60, about 2 h.\n")

    catalog.goto().deactivate("Burst pipe emergency")
    catalog.expect_item("Burst pipe emergency", price="$1,249.60", status="inactive")


def test_an_unknown_booking_link_says_so(page: Page) -> None:
    LinkUnavailablePage.open(page, "/book/this-link-does-not-exist").expect_unknown()
