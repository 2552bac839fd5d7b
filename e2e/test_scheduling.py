"""[booking] Scheduling as the customer and the owner see it: offers respect the lead time, the closing
time and closed days, up to two weeks ahead; a job that fits no opening says "no free times" (by text
and on the page); a booking link expires after 72 hours on the tenant clock; picking another time on
the page gives the first one back; a link made without the customer's number asks for one (and refuses
one that cannot be texted) and the owner sees it came from the booking page; appointments move from
Upcoming to Past when they end, the most recent first. Through the scheduling API (no browser): the holds it
refuses, offers and a day's free times, bookings replayed by Idempotency-Key, lapsed, started and given-back holds.

The tenant opens Mon, Wed, Thu and Fri 08:00-15:45 in New York (Tuesday closed, no weekend), so a
whole-day (8 h) job never fits; one test's tenant opens only on Saturday mornings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.support import (
    CatalogItem,
    TenantHandle,
    TenantSeeder,
    TwilioFakeClient,
    WaitUntil,
    bodies_to,
    handoff,
    help_reply,
    item_id,
    text_the_business,
)
from pages.appointments import AppointmentsPage
from pages.booking_page import LinkUnavailablePage, OffersPage

OPEN = ["08:00", "15:45"]
pytestmark = [pytest.mark.booking, pytest.mark.tenant(
    catalog=["Leak repair", CatalogItem("Whole-house repipe", ("repipe",), 450_000, 480)],
    business_hours={"mon": OPEN, "tue": [], "wed": OPEN, "thu": OPEN, "fri": OPEN},
)]

MONDAY_MORNING = datetime(2030, 1, 7, 13, 55, tzinfo=UTC)  # 08:55 in America/New_York
HOLD_ENDS = re.compile(r"9:1[01] AM")  # a hold made then lasts 15 minutes (a minute later if the clock moved on)
LINK = re.compile(r"https?://\S+/book/[A-Za-z0-9_-]+")
LEAK_JOB = "There's a leaking pipe under the sink"


def dollars(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"${whole:,}" if rest == 0 else f"${whole:,}.{rest:02d}"


def price_of(tenant: TenantHandle, name: str) -> str:
    return dollars(next(i.price_cents for i in tenant.catalog if i.name == name))


def national(e164: str) -> str:
    """+15175550123 as a person types it: (517) 555-0123."""
    digits = e164.removeprefix("+1")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def test_offers_skip_closed_days_and_say_when_nothing_is_free(
    tenant: TenantHandle, seeder: TenantSeeder, twilio: TwilioFakeClient, customer_phone: str, customer_page: Page,
    app_api: httpx.Client, wait_until: WaitUntil,
) -> None:
    # Monday 1:44:30 PM: the earliest start is 2:15 PM (30 minutes lead, on the quarter hour), and a
    # 90-minute job then ends exactly at closing. Tuesday is closed.
    seeder.set_clock(tenant, now=datetime(2030, 1, 7, 18, 44, 30, tzinfo=UTC))
    offers = ["Mon Jan 7, 2:15 PM", "Wed Jan 9, 8:00 AM", "Wed Jan 9, 9:30 AM"]
    reply = text_the_business(twilio, tenant=tenant, customer=customer_phone, body=LEAK_JOB, wait_until=wait_until)
    assert reply.startswith(f"Leak repair: {price_of(tenant, 'Leak repair')}, about 1 h 30 min.\n"
                            + "".join(f"{n}) {label}\n" for n, label in enumerate(offers, start=1))
                            + "Reply 1, 2 or 3 to hold a time, or book online: "), reply
    link = LINK.search(reply)
    assert link, reply
    booking = OffersPage.open(customer_page, link.group(0))
    booking.expect_offers(offers)
    # A job that ends exactly at closing can be held; the hold runs 15 minutes on the business's clock (the
    # seconds the test has taken meanwhile count too): until 1:59 PM, or 2:00 PM.
    booking.pick_slot(1).expect_held(offers[0], until=re.compile(r"^(1:59|2:00) PM$"))

    # An 8-hour job fits no opening in the next two weeks: no times and no link, a person takes over.
    reply = text_the_business(twilio, tenant=tenant, customer=customer_phone, body="We need a whole-house repipe",
                              wait_until=wait_until)
    assert reply == (f"Whole-house repipe: $4,500, about 8 h.\n"
                     f"We have no free times in the next two weeks; {tenant.name} will text you to find one.")
    # The promise is kept by flagging the conversation for the owner, saying why.
    flagged = app_api.get("/api/v1/conversations", params={"needs_attention": "true"}).json()["conversations"]
    assert [(c["customer_phone"], c["attention_reason"]) for c in flagged] == [
        (customer_phone, "No free times to offer for Whole-house repipe")], flagged
    # A number in answer (to the leak's times, say) refers to the newest quote, which has none: told so again.
    assert text_the_business(twilio, tenant=tenant, customer=customer_phone, body="1", wait_until=wait_until) == (
        "Here are the next free times:\n"
        f"We have no free times in the next two weeks; {tenant.name} will text you to find one.")
    made = app_api.post("/api/v1/booking-links", json={"item_id": item_id(app_api, "Whole-house repipe")})
    assert made.status_code == 201, made.text
    assert made.json()["offers"] == []
    OffersPage.open(customer_page, made.json()["url"]).expect_no_free_times(phone=tenant.phone_number)


@pytest.mark.tenant(business_hours={"mon": ["08:00", "22:00"], "wed": OPEN})
def test_the_business_day_is_its_own_in_the_evening_and_in_summer(
    tenant: TenantHandle, seeder: TenantSeeder, app_api: httpx.Client,
) -> None:
    """Open until 10 PM on Mondays: at 7:05 PM in New York it is already Tuesday in UTC, and the rest of the
    business's Monday is still offered, listed and holdable. In July the same opening hours are EDT's."""
    leak = item_id(app_api, "Leak repair")
    seeder.set_clock(tenant, now=datetime(2030, 1, 8, 0, 5, tzinfo=UTC))  # Monday 7:05 PM in New York
    offers = app_api.get("/api/v1/offers", params={"item_id": leak, "count": 2})
    assert [slot["label"] for slot in offers.json()["offers"]] == ["Mon Jan 7, 7:45 PM", "Wed Jan 9, 8:00 AM"], \
        offers.text
    today = app_api.get("/api/v1/availability", params={"date": "2030-01-07", "item_id": leak})
    assert [slot["label"] for slot in today.json()["slots"]] == [
        f"Mon Jan 7, {t} PM" for t in ("7:15", "7:30", "7:45", "8:00", "8:15", "8:30")], today.text
    # The window of days it answers for is the business's too: from its yesterday to 180 days after its today.
    for day, status in (("2030-01-06", 200), (str(date(2030, 1, 7) + timedelta(days=181)), 422)):
        answer = app_api.get("/api/v1/availability", params={"date": day, "item_id": leak})
        assert answer.status_code == status, (day, answer.text)
    evening = app_api.post("/api/v1/holds", json={"item_id": leak, "starts_at": "2030-01-08T00:45:00Z"})
    assert (evening.status_code, evening.json().get("live")) == (201, True), evening.text
    # A summer Monday at 7:55 AM (EDT, UTC-4): the business opens at 8:00 AM local time, not at 9:00 AM (EST's 8:00).
    seeder.set_clock(tenant, now=datetime(2030, 7, 8, 11, 55, tzinfo=UTC))
    summer = app_api.get("/api/v1/offers", params={"item_id": leak, "count": 1})
    assert [slot["label"] for slot in summer.json()["offers"]] == ["Mon Jul 8, 8:30 AM"], summer.text
    assert summer.json()["offers"][0]["starts_at"] in ("2030-07-08T12:30:00Z", "2030-07-08T12:30:00+00:00"), summer.text


@pytest.mark.tenant(business_hours={"sat": ["08:00", "11:00"]}, catalog=["Leak repair", "Water heater repair"])
def test_offers_reach_two_weeks_ahead_for_a_business_open_one_morning_a_week(
    tenant: TenantHandle, seeder: TenantSeeder, twilio: TwilioFakeClient, customer_phone: str, wait_until: WaitUntil,
    customer_page: Page, app_api: httpx.Client,
) -> None:
    # Saturday 10:00 AM: too late for a 90-minute job today, and the third offer falls on the 14th day, the
    # last one searched (two weeks on, 8:00 AM is still before 10:00 AM): it must be offered.
    seeder.set_clock(tenant, now=datetime(2030, 1, 5, 15, 0, tzinfo=UTC))
    reply = text_the_business(twilio, tenant=tenant, customer=customer_phone, body=LEAK_JOB, wait_until=wait_until)
    assert reply.startswith(f"Leak repair: {price_of(tenant, 'Leak repair')}, about 1 h 30 min.\n"
                            "1) Sat Jan 12, 8:00 AM\n2) Sat Jan 12, 9:30 AM\n3) Sat Jan 19, 8:00 AM\n"), reply
    # Two days on (the link lasts 72 hours) the customer books on its page. The conversation closed after a day
    # without activity, which stops nobody's confirmation: it is texted all the same.
    link = LINK.search(reply)
    assert link, reply
    seeder.set_clock(tenant, advance_seconds=2 * 24 * 3600)
    listed = app_api.get("/api/v1/conversations").json()["conversations"]  # the owner's inbox closes idle ones
    assert [c["state"] for c in listed] == ["closed"], listed
    offers = OffersPage.open(customer_page, link.group(0))
    first = offers.slot_labels()[0]
    offers.pick_slot(1).confirm(name="Robin Later").expect_booking(
        service="Leak repair", when=first, price=price_of(tenant, "Leak repair"))
    [confirmation] = wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone)[1:],
                                message="the confirmation SMS")
    assert confirmation.startswith(f"You're booked: Leak repair on {first}, "), confirmation
    # A 2-hour job now fits only the next Saturday (the booking fills the 12th until 9:30 AM, and the business
    # closes at 11): one time, offered as the only choice.
    reply = text_the_business(twilio, tenant=tenant, customer=customer_phone, body="No hot water, the water heater "
                              "is broken", wait_until=wait_until)
    assert "\n1) Sat Jan 19, 8:00 AM\nReply 1 to hold a time, or book online: " in reply, reply


def test_a_booking_link_expires_after_72_hours(
    tenant: TenantHandle, seeder: TenantSeeder, twilio: TwilioFakeClient, customer_phone: str, customer_page: Page,
    wait_until: WaitUntil, app_api: httpx.Client,
) -> None:
    seeder.set_clock(tenant, now=MONDAY_MORNING)
    reply = text_the_business(twilio, tenant=tenant, customer=customer_phone, body=LEAK_JOB, wait_until=wait_until)
    link = LINK.search(reply)
    assert link, reply
    # The customer keeps the conversation going (idle for 24 hours it would close, and take its offers with
    # it): what ends the offers below is the link's own expiry.
    for _day in range(3):
        seeder.set_clock(tenant, advance_seconds=23 * 3600)
        assert text_the_business(twilio, tenant=tenant, customer=customer_phone, body="HELP",
                                 wait_until=wait_until) == help_reply(tenant)

    seeder.set_clock(tenant, advance_seconds=3 * 3600 - 120)  # two minutes to go: still open
    # Opened with words slipped into its address (a forwarded, doctored link): the page shows only its own.
    offers = OffersPage.open(customer_page, f"{link.group(0)}?notice=Pay+a+%2450+deposit+to+555-0199+first")
    offers.expect_offer_count(3)
    expect(offers.notice).to_have_count(0)
    left_open = OffersPage.open(customer_page.context.new_page(), link.group(0))  # a second tab, same offers
    held = offers.pick_slot(1)  # held for 15 minutes: longer than the link has left
    seeder.set_clock(tenant, advance_seconds=120)
    # Confirming that hold once the link has expired books nothing: the page says the link expired.
    held.confirm_after_link_expiry().expect_expired(business=tenant.name, phone=tenant.phone_number)
    # The confirmation step opened again (Back, a reload) says so too, rather than showing the hold.
    LinkUnavailablePage.open(customer_page.context.new_page(), f"{link.group(0)}/hold").expect_expired(
        business=tenant.name, phone=tenant.phone_number)
    # Nor does picking a time on offers left open since before the expiry hold it: the time stays free.
    second_time = left_open.slot(2).get_attribute("value")
    left_open.pick_slot_after_link_expiry(2).expect_expired(business=tenant.name, phone=tenant.phone_number)
    free = app_api.post("/api/v1/holds", json={"item_id": item_id(app_api, "Leak repair"), "starts_at": second_time})
    assert free.status_code == 201, f"the expired link's pick held {second_time}: {free.text}"
    assert app_api.delete(f"/api/v1/holds/{free.json()['id']}").status_code == 204
    LinkUnavailablePage.open(customer_page, link.group(0)).expect_expired(business=tenant.name,
                                                                            phone=tenant.phone_number)
    # A reply "1" to the old offers, in the same conversation, no longer holds anything: a person is asked to
    # help instead.
    assert text_the_business(twilio, tenant=tenant, customer=customer_phone, body="1",
                             wait_until=wait_until) == handoff(tenant)


def test_a_link_without_the_customers_number_asks_for_it(
    tenant: TenantHandle, seeder: TenantSeeder, customer_phone: str, customer_page: Page, owner_page: Page,
    app_api: httpx.Client,
) -> None:
    seeder.set_clock(tenant, now=MONDAY_MORNING)
    # A job the catalog has nothing for gets no link (and no quote) but a 422 saying so.
    unmatched = app_api.post("/api/v1/booking-links", json={"text": "Can you paint the fence?"})
    assert (unmatched.status_code, unmatched.json().get("code")) == (422, "no_catalog_match"), unmatched.text
    # Nor does a number that cannot be texted (the confirmation would go nowhere).
    untextable = app_api.post("/api/v1/booking-links", json={"text": LEAK_JOB, "customer_phone": "555-0100"})
    assert untextable.status_code == 422 and "E.164" in untextable.text, untextable.text
    # An item and a description both: which job is meant is not guessed.
    both = app_api.post("/api/v1/booking-links", json={"text": LEAK_JOB, "item_id": item_id(app_api, "Leak repair")})
    assert (both.status_code, both.json().get("code")) == (422, "validation_error"), both.text
    made = app_api.post("/api/v1/booking-links", json={"text": LEAK_JOB})  # e.g. the owner quotes a walk-in
    assert made.status_code == 201, made.text
    assert made.json()["expires_at"][:16] == "2030-01-10T13:55", made.text  # good for 72 hours from now
    price = price_of(tenant, "Leak repair")

    # The confirmation's address of a link not booked yet shows the times to pick.
    held = OffersPage.open(customer_page, f"{made.json()['url']}/booked").pick_slot(1)
    held.expect_held("Mon Jan 7, 9:30 AM")
    first_hold = held.hold_id
    # The customer changes their mind: picking another time gives the first one back.
    offers = held.choose_another_time()
    offers.expect_current_hold("Mon Jan 7, 9:30 AM", until=HOLD_ENDS)
    offers.expect_offers(["Mon Jan 7, 11:00 AM", "Mon Jan 7, 12:30 PM", "Mon Jan 7, 2:00 PM"])
    held = offers.pick_slot(1)
    held.expect_held("Mon Jan 7, 11:00 AM")
    offers = held.choose_another_time()
    offers.expect_current_hold("Mon Jan 7, 11:00 AM", until=HOLD_ENDS)
    offers.expect_offers(["Mon Jan 7, 9:30 AM", "Mon Jan 7, 12:30 PM", "Mon Jan 7, 2:00 PM"])
    held = offers.confirm_current_hold()
    held.expect_held("Mon Jan 7, 11:00 AM")
    # Confirming the first time (from a tab still open on it) books nothing: the page says it was let go.
    released = held.confirm_earlier_hold(first_hold, phone=national(customer_phone))
    released.expect_released_hold_of("Mon Jan 7, 9:30 AM")
    released.expect_current_hold("Mon Jan 7, 11:00 AM", until=HOLD_ENDS)
    held = released.confirm_current_hold()

    held.expect_held("Mon Jan 7, 11:00 AM")
    held.expect_phone_asked()
    held.confirm_with_invalid_phone(phone="555-0100", name="Sam Walkin")
    held.expect_held("Mon Jan 7, 11:00 AM")  # still held: nothing was lost
    # The customer comes back after the hold's 15 minutes and sends the same mistyped number: the page says
    # the hold lapsed (not that the number is wrong) and offers times from 9:10 AM.
    seeder.set_clock(tenant, advance_seconds=15 * 60)
    lapsed = held.confirm_after_expiry(phone="555-0100")
    lapsed.expect_expired_hold_of("Mon Jan 7, 11:00 AM")
    lapsed.expect_offers(["Mon Jan 7, 9:45 AM", "Mon Jan 7, 11:15 AM", "Mon Jan 7, 12:45 PM"])
    held = lapsed.pick_slot(2)
    held.expect_held("Mon Jan 7, 11:15 AM")
    # Typed with the country code and dots this time, as many people do: the same number.
    digits = customer_phone.removeprefix("+1")
    booked_page = held.confirm(phone=f"1 {digits[:3]}.{digits[3:6]}.{digits[6:]}", name="Sam Walkin")
    booked_page.expect_booking(service="Leak repair", when="Mon Jan 7, 11:15 AM", price=price)
    # No conversation to send a confirmation in (the app sends none for such links): the page promises none.
    booked_page.expect_no_text_promised()

    # The number was typed, not texted from: it is the appointment's contact (no conversation to confirm in).
    appointments = AppointmentsPage(owner_page).goto()
    appointments.expect_count(1)
    appointments.expect_appointment(when="Mon Jan 7, 11:15 AM", service="Leak repair", price=price,
                                    customer=customer_phone, name="Sam Walkin", via="Booking page")
    booked = app_api.get("/api/v1/appointments").json()["appointments"]
    assert [(a["customer_phone"], a["customer_name"], a["source"]) for a in booked] == [
        (customer_phone, "Sam Walkin", "web")]
    # The API's copy of the job: 11:15 AM-12:45 PM in New York, at the price quoted.
    assert [(a["starts_label"], a["starts_at"], a["ends_at"], a["price_display"]) for a in booked] == [
        ("Mon Jan 7, 11:15 AM", "2030-01-07T16:15:00Z", "2030-01-07T17:45:00Z", price)]


def test_appointments_move_from_upcoming_to_past_when_they_end(
    tenant: TenantHandle, seeder: TenantSeeder, customer_phone: str, owner_page: Page, app_api: httpx.Client,
    twilio: TwilioFakeClient, wait_until: WaitUntil,
) -> None:
    seeder.set_clock(tenant, now=MONDAY_MORNING)
    leak = item_id(app_api, "Leak repair")
    for starts_at in ("2030-01-07T14:30:00Z", "2030-01-07T16:00:00Z"):  # 9:30-11 AM, 11 AM-12:30 PM, through the API
        hold = app_api.post("/api/v1/holds", json={"item_id": leak, "starts_at": starts_at,
                                                   "customer_phone": customer_phone})
        assert hold.status_code == 201, hold.text
        booked = app_api.post("/api/v1/bookings", json={"hold_id": hold.json()["id"]})
        assert booked.status_code == 201, booked.text
    price_cents = next(i.price_cents for i in tenant.catalog if i.name == "Leak repair")

    appointments = AppointmentsPage(owner_page).goto()
    appointments.expect_upcoming(["Mon Jan 7, 9:30 AM", "Mon Jan 7, 11:00 AM"])
    appointments.expect_past([])
    appointments.expect_upcoming_total(dollars(2 * price_cents))

    # 11:00 AM: the first job has just ended; the second has just started, so it is still upcoming work.
    seeder.set_clock(tenant, now=datetime(2030, 1, 7, 16, 0, tzinfo=UTC))
    appointments.goto()
    appointments.expect_upcoming(["Mon Jan 7, 11:00 AM"])
    appointments.expect_past(["Mon Jan 7, 9:30 AM"])
    appointments.expect_upcoming_total(dollars(price_cents))
    appointments.expect_appointment(when="Mon Jan 7, 9:30 AM", service="Leak repair", price=dollars(price_cents),
                                    customer=customer_phone, via="API")

    # 12:30 PM: both have ended; Past lists the most recent first.
    seeder.set_clock(tenant, now=datetime(2030, 1, 7, 17, 30, tzinfo=UTC))
    appointments.goto()
    appointments.expect_empty()
    appointments.expect_past(["Mon Jan 7, 11:00 AM", "Mon Jan 7, 9:30 AM"])
    # The customer texts for another job now: a time held from 12:30 PM is held until 12:45 PM (the noon hour
    # reads 12, and PM).
    assert text_the_business(twilio, tenant=tenant, customer=customer_phone, body=LEAK_JOB,
                             wait_until=wait_until).startswith("Leak repair: ")
    held = text_the_business(twilio, tenant=tenant, customer=customer_phone, body="1", wait_until=wait_until)
    assert held.endswith(" for you until 12:45 PM. Reply YES to book it."), held


def test_the_scheduling_api_refuses_what_cannot_be_held_and_books_each_hold_once(
    tenant: TenantHandle, seeder: TenantSeeder, customer_phone: str, new_customer_phone: Callable[[], str],
    app_api: httpx.Client,
) -> None:
    """What an integration sees: the holds it cannot make, offers and a day's free times, bookings replayed by
    their Idempotency-Key, holds that lapse, start or are given back, and a window of the appointments list."""
    seeder.set_clock(tenant, now=MONDAY_MORNING)
    reached_at = new_customer_phone()
    leak = item_id(app_api, "Leak repair")
    # Times an integration cannot hold (8:55 AM now; open 8:00 AM-3:45 PM, Tuesday closed).
    for starts_at, code in (("2030-01-07T14:40:00Z", "invalid_start"),  # 9:40 AM, off the quarter hour
                            ("2030-01-07T13:45:00Z", "slot_in_past"),  # 8:45 AM
                            ("2030-01-09T12:45:00Z", "outside_business_hours"),  # Wednesday 7:45 AM, before opening
                            ("2030-01-07T19:45:00Z", "outside_business_hours"),  # 2:45 PM: runs past closing
                            ("2030-01-08T14:30:00Z", "outside_business_hours"),  # Tuesday
                            ("2030-07-08T14:30:00Z", "slot_too_far"),  # a Monday 26 weeks on (over 180 days)
                            ("0001-01-01T00:00:00+14:00", "invalid_start")):  # a time with no UTC equivalent
        refused = app_api.post("/api/v1/holds", json={"item_id": leak, "starts_at": starts_at})
        assert (refused.status_code, refused.json().get("code")) == (422, code), (starts_at, refused.text)
    # ... while the last Friday before the 180 days are up still can be held (10:30 AM, 179 days on).
    far = app_api.post("/api/v1/holds", json={"item_id": leak, "starts_at": "2030-07-05T14:30:00Z"})
    assert (far.status_code, far.json().get("live")) == (201, True), far.text
    # The hold answers for the item's job: its name, its price, and a 90-minute slot.
    assert (far.json()["service_name"], far.json()["price_cents"], far.json()["ends_at"]) == (
        "Leak repair", next(i.price_cents for i in tenant.catalog if i.name == "Leak repair"),
        "2030-07-05T16:00:00Z"), far.text
    # Booked with a number that cannot be texted, it is refused like the hold would be.
    unreachable = app_api.post("/api/v1/bookings", json={"hold_id": far.json()["id"], "customer_phone": "555-0100"})
    assert unreachable.status_code == 422 and "E.164" in unreachable.text, unreachable.text
    untextable = app_api.post("/api/v1/holds", json={"item_id": leak, "starts_at": "2030-01-07T14:30:00Z",
                                                     "customer_phone": "555-0100"})
    assert untextable.status_code == 422 and "E.164" in untextable.text, untextable.text
    # Five offers when asked for five: the rest of Monday, then Wednesday (Tuesday is closed).
    five = app_api.get("/api/v1/offers", params={"item_id": leak, "count": 5})
    assert [slot["label"] for slot in five.json()["offers"]] == [
        "Mon Jan 7, 9:30 AM", "Mon Jan 7, 11:00 AM", "Mon Jan 7, 12:30 PM", "Mon Jan 7, 2:00 PM",
        "Wed Jan 9, 8:00 AM"], five.text
    assert five.json()["timezone"] == tenant.timezone, five.text  # the zone those labels are in, for integrations
    # A job length can be given instead of an item, but exactly one of the two is needed.
    by_length = app_api.get("/api/v1/offers", params={"duration_minutes": 45, "count": 2})
    assert [(slot["label"], slot["ends_at"]) for slot in by_length.json()["offers"]] == [
        ("Mon Jan 7, 9:30 AM", "2030-01-07T15:15:00Z"), ("Mon Jan 7, 10:15 AM", "2030-01-07T16:00:00Z")], by_length.text
    neither_or_both: tuple[dict[str, str | int], ...] = ({}, {"item_id": leak, "duration_minutes": 45})
    for params in neither_or_both:
        refused = app_api.get("/api/v1/offers", params=params)
        assert (refused.status_code, refused.json().get("code")) == (422, "invalid_query"), (params, refused.text)
    too_many = app_api.get("/api/v1/offers", params={"item_id": leak, "count": 11})  # ten at most
    assert (too_many.status_code, too_many.json().get("code")) == (422, "validation_error"), too_many.text
    booked_ids: list[str] = []
    for n, starts_at in enumerate(("2030-01-07T14:30:00Z", "2030-01-07T16:00:00Z")):  # 9:30-11 AM, 11 AM-12:30 PM
        hold = app_api.post("/api/v1/holds", json={"item_id": leak, "starts_at": starts_at,
                                                   "customer_phone": customer_phone})
        assert hold.status_code == 201, hold.text
        if booked_ids:  # an Idempotency-Key already used for the first booking cannot book this hold
            reused = app_api.post("/api/v1/bookings", json={"hold_id": hold.json()["id"]},
                                  headers={"Idempotency-Key": "walk-in-0"})
            assert (reused.status_code, reused.json().get("code")) == (409, "idempotency_key_reused"), reused.text
        # The second job is booked with a contact of its own: the number given at booking beats the hold's.
        contact = {"customer_phone": reached_at, "customer_name": "Samantha Walkinshaw-Okafor"} if n else {}
        booked = app_api.post("/api/v1/bookings", json={"hold_id": hold.json()["id"], **contact},
                              headers={"Idempotency-Key": f"walk-in-{n}"})
        assert booked.status_code == 201, booked.text
        assert (booked.json()["item_id"], booked.json()["hold_id"]) == (leak, hold.json()["id"]), booked.text
        assert (booked.json()["customer_phone"], booked.json()["customer_name"]) == (
            (reached_at, "Samantha Walkinshaw-Okafor") if n else (customer_phone, "")), booked.text
        # The integration retries (its answer was lost): the same booking comes back, marked as a replay.
        again = app_api.post("/api/v1/bookings", json={"hold_id": hold.json()["id"]},
                             headers={"Idempotency-Key": f"walk-in-{n}"})
        assert (again.status_code, again.json()["id"]) == (200, booked.json()["id"]), again.text
        booked_ids.append(booked.json()["id"])
    # Giving back a hold that was booked changes nothing: it stays booked (and its time taken).
    first_hold = app_api.get(f"/api/v1/appointments/{booked_ids[0]}").json()["hold_id"]
    assert app_api.delete(f"/api/v1/holds/{first_hold}").status_code == 204
    given_back_booked = app_api.get(f"/api/v1/holds/{first_hold}").json()
    assert (given_back_booked["status"], given_back_booked["live"]) == ("booked", False), given_back_booked
    taken = app_api.post("/api/v1/holds", json={"item_id": leak, "starts_at": "2030-01-07T14:30:00Z"})
    assert (taken.status_code, taken.json().get("code")) == (409, "slot_taken"), taken.text
    # The rest of Monday, every free quarter hour (not only non-overlapping offers): after the 12:30 PM end, up
    # to the last 90-minute start before the 3:45 PM closing. Two days ago is no longer asked about.
    day = app_api.get("/api/v1/availability", params={"date": "2030-01-07", "item_id": leak})
    assert [slot["label"] for slot in day.json()["slots"]] == [
        f"Mon Jan 7, {t}" for t in ("12:30 PM", "12:45 PM", "1:00 PM", "1:15 PM", "1:30 PM", "1:45 PM", "2:00 PM",
                                    "2:15 PM")], day.text
    assert day.json()["timezone"] == tenant.timezone, day.text
    past = app_api.get("/api/v1/availability", params={"date": "2030-01-05", "item_id": leak})
    assert (past.status_code, past.json().get("code")) == (422, "invalid_date"), past.text
    # Yesterday still is (a caller's today may lag the business's): answered, with nothing free.
    yesterday = app_api.get("/api/v1/availability", params={"date": "2030-01-06", "item_id": leak})
    assert (yesterday.status_code, yesterday.json().get("slots")) == (200, []), yesterday.text
    # Ahead, up to 180 days (how far a hold may be placed): the 180th day is answered, the 181st refused.
    for days_ahead, status in ((180, 200), (181, 422)):
        ahead = app_api.get("/api/v1/availability",
                            params={"date": str(date(2030, 1, 7) + timedelta(days=days_ahead)), "item_id": leak})
        assert ahead.status_code == status, (days_ahead, ahead.text)
    # A hold nobody books (2:00 PM) lapses after its 15 minutes on the tenant clock: looked up later, not live.
    lapsing = app_api.post("/api/v1/holds", json={"item_id": leak, "starts_at": "2030-01-07T19:00:00Z"}).json()
    # A window of the list, from 9:30 AM (included) to 11:00 AM (excluded): only the first job.
    window = app_api.get("/api/v1/appointments", params={"from": "2030-01-07T14:30:00Z", "to": "2030-01-07T16:00:00Z"})
    assert [a["id"] for a in window.json()["appointments"]] == booked_ids[:1], window.text
    # A page of the list: as many as asked for, the earliest first.
    first_page = app_api.get("/api/v1/appointments", params={"limit": 1})
    assert [a["id"] for a in first_page.json()["appointments"]] == booked_ids[:1], first_page.text
    # A window bound with no UTC equivalent (year 1, 14 hours ahead of UTC) is refused, saying which.
    unbounded = app_api.get("/api/v1/appointments", params={"from": "0001-01-01T00:00:00+14:00"})
    assert (unbounded.status_code, unbounded.json().get("code")) == (422, "invalid_query"), unbounded.text
    assert "'from' is out of range" in unbounded.text, unbounded.text

    # 9:11 AM: the 2:00 PM hold lapsed a minute ago; its time can be held again at once (by anyone).
    seeder.set_clock(tenant, now=datetime(2030, 1, 7, 14, 11, tzinfo=UTC))
    lapsed = app_api.get(f"/api/v1/holds/{lapsing['id']}").json()
    assert (lapsing["live"], lapsed["status"], lapsed["live"]) == (True, "held", False), lapsed
    again = app_api.post("/api/v1/holds", json={"item_id": leak, "starts_at": "2030-01-07T19:00:00Z"})
    assert again.status_code == 201, again.text
    # The lapsed hold books nothing, now that its time is someone else's hold.
    late_booking = app_api.post("/api/v1/bookings", json={"hold_id": lapsing["id"]})
    assert (late_booking.status_code, late_booking.json().get("code")) == (410, "hold_expired"), late_booking.text

    # 12:40 PM: a hold placed now for 12:45 PM lives until 12:55 PM, past its slot's start: at 12:46 PM it can no
    # longer be booked. Given back, it reads as released and no longer live.
    seeder.set_clock(tenant, now=datetime(2030, 1, 7, 17, 40, tzinfo=UTC))
    late = app_api.post("/api/v1/holds", json={"item_id": leak, "starts_at": "2030-01-07T17:45:00Z"})
    assert (late.status_code, late.json()["live"], late.json()["expires_at"][:16]) == (
        201, True, "2030-01-07T17:55"), late.text  # held until 12:55 PM, New York
    seeder.set_clock(tenant, advance_seconds=6 * 60)
    started = app_api.post("/api/v1/bookings", json={"hold_id": late.json()["id"]})
    assert (started.status_code, started.json().get("code")) == (410, "slot_started"), started.text
    assert app_api.delete(f"/api/v1/holds/{late.json()['id']}").status_code == 204
    released = app_api.get(f"/api/v1/holds/{late.json()['id']}").json()
    assert (released["status"], released["live"]) == ("released", False), released
    given_back = app_api.post("/api/v1/bookings", json={"hold_id": late.json()["id"]})
    assert (given_back.status_code, given_back.json().get("code")) == (410, "hold_released"), given_back.text
