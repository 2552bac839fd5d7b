"""[calendar] The owner connects Google Calendar in the UI (through the Google fake's consent page); an event
added in Google takes its time out of the booking page's offers; a booking made on the booking page appears
in Google; a push notification Google never delivered is made good by the poll once the tenant clock passes
the poll interval (no sleeping); an event moved or deleted in Google frees its time; a time that became busy
after the page loaded cannot be held; a Google outage shows on the Calendar page and clears when Google is
back (and a consent answer with a forged OAuth state is refused); an access token past its hour is refreshed
without the owner; the push channel is renewed before Google lets it expire, and a push naming it without
its token is refused.
The same for Jobber (through the Jobber fake's consent page, its visits and its signed webhooks; an unsigned
one is refused; an expired access token is refreshed with the refresh token Jobber rotated to last time).
Both connected at once: each sync replaces only its own busy time, and a booking reaches both. A booking write
whose answer is lost is retried without writing the event or visit twice.

The tenant's clock is Monday 7 January 2030, 08:55 in New York: a Leak repair (90 min) is offered at 9:30 AM,
11:00 AM and 12:30 PM before anything is busy (as in e2e/test_booking.py).
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.plugins.snapshots import Snapshots
from e2e.plugins.tenants import WaitUntil
from e2e.support import item_id
from e2e.test_booking import JOB, LEAK_OFFERS, MONDAY_MORNING, booking_link_in, dollars, item, text_the_business
from e2e.test_page_structure import check_page
from fakes.core.client import ControlClient
from fakes.google.client import GoogleFakeClient
from fakes.jobber.app import SIGNATURE_HEADER as JOBBER_SIGNATURE_HEADER
from fakes.jobber.app import sign
from fakes.jobber.client import JobberFakeClient
from fakes.twilio.client import TwilioFakeClient
from pages.booking_page import OffersPage, hold_and_confirm
from pages.calendar import GOOGLE_CONSENT_REQUEST, CalendarPage, oauth_state
from seed import http
from seed.factories import DEFAULT_HOURS
from seed.handle import TenantHandle
from seed.seeder import TenantSeeder
from stack.waiting import Settle

pytestmark = [pytest.mark.calendar, pytest.mark.tenant(catalog=["Leak repair"])]

NEW_YORK = ZoneInfo("America/New_York")  # the tenant's zone (the factory's)
#: The first sync, seconds after the clock is set to MONDAY_MORNING (13:55 UTC), as the Calendar page shows it.
SYNCED_ON_MONDAY_MORNING = re.compile(r"2030-01-07 13:5[5-9] UTC")
EVENTS = r"/calendar/v3/calendars/[^/]+/events$"  # Google's events of a calendar: list (GET), insert (POST)
POLL_INTERVAL_S = 300  # [stack.google] poll_interval_s in playwright.config.toml
MONDAY = date(2030, 1, 7)  # the tenant's today (MONDAY_MORNING)


def local(hour: int, minute: int = 0) -> datetime:
    """Monday 2030-01-07 at hour:minute New York time (EST), as UTC."""
    return datetime(2030, 1, 7, hour + 5, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def monday_morning(seeder: TenantSeeder, tenant: TenantHandle) -> None:
    seeder.set_clock(tenant, now=MONDAY_MORNING)


def google_reads(google: GoogleFakeClient, tenant: TenantHandle) -> list[dict[str, object]]:
    """The app's reads of the owner's calendar's events at Google (syncs and polls), oldest first."""
    # The app reads its "primary" calendar; the account is the token's, named in the answer's summary.
    return [r for r in google.requests(contains="/calendar/v3/calendars/primary/events")
            if r["method"] == "GET" and tenant.owner.email in (r.get("response_body") or "")]


@pytest.fixture
def calendar(owner_page: Page, tenant: TenantHandle, google: GoogleFakeClient, wait_until: WaitUntil,
             settle: Settle) -> CalendarPage:
    """The owner's Calendar page, connected to the Google account of the owner's email and synced once."""
    page = CalendarPage(owner_page).goto()
    page.connect_google(tenant.owner.email)
    wait_until(page.synced, message="the first sync with Google Calendar")
    page.expect_last_synced(SYNCED_ON_MONDAY_MORNING)  # stamped with the business's clock, not the server's
    # Synced: Google is not asked again until a push comes or the poll interval is over on the business's clock
    # (the window lasts while the app reports a poll due within it).
    reads = settle.assert_no_new(lambda: google_reads(google, tenant), what="reads of Google before the poll is due")
    # One read in all: the push channel's opening message ("sync") is no change to read again for.
    assert len(reads) == 1, reads
    return page


@pytest.fixture
def offers(customer_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str,
           wait_until: WaitUntil) -> OffersPage:
    """The booking page the assistant texted the customer, showing the offers of the moment."""
    link = booking_link_in(text_the_business(twilio, tenant=tenant, customer=customer_phone, body=JOB,
                                             wait_until=wait_until))
    return OffersPage.open(customer_page, link)


def app_requests_to(fake: ControlClient, path: str, *, since: int, contains: str | None = None) -> list[dict[str, Any]]:
    """The app's requests to exactly `path` at a fake after journal entry `since`, oldest first (its webhooks left out)."""
    return [r for r in fake.requests(since_id=since, contains=contains, direction="inbound") if r["path"] == path]


def offered_after_reload(offers: OffersPage) -> list[str]:
    offers.page.reload()
    return offers.slot_labels()


@pytest.mark.smoke
# Open late on Tuesdays: an all-day event taken as UTC's day (19:00 to 19:00 in New York) would show in the evening.
@pytest.mark.tenant(business_hours={**DEFAULT_HOURS, "tue": ["08:00", "21:00"]})
def test_google_busy_time_leaves_the_offers_and_bookings_reach_google(
    calendar: CalendarPage, offers: OffersPage, tenant: TenantHandle, google: GoogleFakeClient, wait_until: WaitUntil,
    app_api: httpx.Client, settle: Settle,
) -> None:
    offers.expect_offers(LEAK_OFFERS)
    # An event the owner shows as free in Google (a reminder: "transparency": "transparent") takes no time.
    synced_before = calendar.synced_at()
    google.add_event(tenant.owner.email, start=local(9, 30), end=local(11), summary="Call the supplier", free=True)
    wait_until(lambda: calendar.synced_at() != synced_before, message="the free event synced from Google")
    assert offered_after_reload(offers) == LEAK_OFFERS
    synced_before = calendar.synced_at()
    # Off the quarter-hour grid: 10:50 takes the 10:45 block too, so 9:30-11:00 is no longer free either.
    # It ends at 11:45, when the first time left starts: that time is held and booked below (an event's
    # end is not part of it). Written with New York's offset (-05:00), as Google writes a calendar's times.
    # An invitation the owner answered "Maybe" ("status": "tentative"): busy all the same, as in Google's free/busy.
    google.add_event(tenant.owner.email, start=local(10, 50).astimezone(NEW_YORK),
                     end=local(11, 45).astimezone(NEW_YORK), summary="Dentist", tentative=True)  # pushed
    wait_until(lambda: calendar.synced_at() != synced_before, message="the pushed change synced from Google")
    # The customer's page still shows 9:30 AM from before: 9:30-11:00 runs into the event's first ten minutes,
    # so holding it now is refused, not double-booked.
    fresh = offers.pick_slot_taken_meanwhile(1)
    after_dentist = ["Mon Jan 7, 11:45 AM", "Mon Jan 7, 1:15 PM", "Mon Jan 7, 2:45 PM"]
    fresh.expect_offers(after_dentist)
    # Google writes the booking but its answer comes after the app stopped waiting (1 s on this stack): the write
    # is retried, not lost, and the retry finds the event already there (Google's 409 for the event id the app
    # chose) instead of writing a second one.
    google.add_fault(EVENTS, "late", method="POST", ms=1300, times=1)
    booking_writes = google.journal_end()
    label, booked = hold_and_confirm(fresh, 1, name="Pat Customer")
    assert label == after_dentist[0]
    booked.expect_booking(service="Leak repair", when=label, price=dollars(item(tenant, "Leak repair").price_cents))
    theirs = ("Dentist", "Call the supplier")  # the owner's own events

    def inserts(since: int = booking_writes) -> list[dict[str, object]]:
        """The app's writes of events to Google since the booking above (this test's: the fake is the worker's)."""
        return [r for r in google.requests(direction="inbound", since_id=since)
                if r["method"] == "POST" and re.search(EVENTS, str(r["path"]))]

    # The write whose answer was lost, then its retry: both answered before the calendar is looked at.
    wait_until(lambda: len([r for r in inserts() if r["finished_at"]]) >= 2, message="the write and its retry")
    events = [e for e in google.events(tenant.owner.email) if e["summary"] not in theirs]
    assert [(e["summary"], e["start"]["dateTime"], e["end"]["dateTime"]) for e in events] == [
        ("Leak repair (NeverMissCall)", local(11, 45).isoformat(), local(13, 15).isoformat())]
    assert "Customer: Pat Customer" in events[0]["description"], events[0]  # the owner sees whom to expect
    leak_id = item_id(app_api, "Leak repair")
    # Google refuses the next booking's write (403: the calendar is read-only to the app now): a refusal is not
    # worth retrying, so Google is asked once, however long one waits.
    google.add_fault(EVENTS, "status", method="POST", code=403, times=1000)
    before = len(inserts())
    hold = app_api.post("/api/v1/holds", json={"item_id": leak_id, "starts_at": local(13, 15).isoformat()})
    assert hold.status_code == 201, hold.text
    booked_by_api = app_api.post("/api/v1/bookings", json={"hold_id": hold.json()["id"]})
    assert booked_by_api.status_code == 201, booked_by_api.text
    wait_until(lambda: inserts()[before:], message="the refused write to Google")
    settle.assert_no_new(inserts, what="a retry of the write Google refused")
    assert len(inserts()) == before + 1, inserts()[before:]
    # Google down for good when the third booking is written (its gateway timing out: 504): retried, up to the
    # stack's OUTBOX_MAX_ATTEMPTS (4, playwright.config.toml) in all, then given up (not tried forever).
    google.clear_faults()
    google.add_fault(EVENTS, "status", method="POST", code=504, times=1000)
    before = len(inserts())
    hold = app_api.post("/api/v1/holds", json={"item_id": leak_id, "starts_at": local(14, 45).isoformat()})
    assert hold.status_code == 201, hold.text
    assert app_api.post("/api/v1/bookings", json={"hold_id": hold.json()["id"]}).status_code == 201
    wait_until(lambda: len(inserts()) >= before + 4, message="four tries to write the booking")
    settle.assert_no_new(inserts, what="a fifth try")
    assert len(inserts()) == before + 4, inserts()[before:]
    google.clear_faults()

    # A day off, written in Google as an all-day event (dates, not times): that whole day leaves the times the
    # office can book, and only that day (Google's end date is the day after).

    def free_on(day: date) -> list[str]:
        return free_times(app_api, leak_id, day)

    tuesday, wednesday, thursday, friday = (date(2030, 1, 8), date(2030, 1, 9), date(2030, 1, 10),
                                            date(2030, 1, 11))
    tuesday_free = free_on(tuesday)
    assert tuesday_free and free_on(wednesday) and free_on(thursday) and free_on(friday)
    assert tuesday_free[-1] == "Tue Jan 8, 7:30 PM", tuesday_free  # the last 90-minute start before 9 PM
    office = f"office.{tenant.owner.email}"  # the business's shared Google account, not connected yet
    google.add_all_day_event(office, first=wednesday, last=thursday, summary="Office closed")  # two days, one event
    google.add_all_day_event(office, first=friday, last=friday, summary="Stocktake")
    google.add_all_day_event(tenant.owner.email, first=tuesday, last=tuesday, summary="Day off")  # pushed
    wait_until(lambda: not free_on(tuesday), message="the day off out of Tuesday's times")
    assert free_on(wednesday) and free_on(thursday) and free_on(friday)

    # The owner reconnects with the shared account: its calendar is the one that counts now, read whole (its
    # days were written before the owner's calendar was last read), and the owner's day off no longer does.
    # Google answers that read one event a page (it may send fewer than asked for): the second page counts too.
    google.limit_pages(office, 1)
    # Google refuses the first push channel asked for on it (a 503): "sync failing" until the retry opens one.
    google.add_fault(r"/events/watch$", "status", method="POST", code=503, times=1)
    calendar.through_google_consent(office, hint=tenant.owner.email)
    wait_until(lambda: calendar.state() == "connected", message="the shared account connected after the retry")
    # The days are the business's own (New York's), so Tuesday is whole again, evening included.
    wait_until(lambda: free_on(tuesday) == tuesday_free and not free_on(wednesday) and not free_on(thursday)
               and not free_on(friday), message="the shared account's busy times, both pages of them")
    # Its changes are pushed from now on: a live channel on the shared account's calendar.
    wait_until(lambda: [c for c in google.channels(office) if c["live"]], message="a push channel on the shared account")
    # And back to the owner's own account. It gave the app offline access before, so Google sends a refresh token
    # again only if the app asks for its consent screen again (prompt=consent); without one the app would refresh
    # an hour later with the shared account's token and read the wrong calendar.
    calendar.connect_google(tenant.owner.email)
    wait_until(lambda: not free_on(tuesday) and free_on(wednesday), message="the owner's calendar counting again")
    assert google.expire_access_tokens(tenant.owner.email) >= 1
    next_monday = date(2030, 1, 14)
    assert free_on(next_monday)
    google.add_all_day_event(tenant.owner.email, first=next_monday, last=next_monday, summary="Training")  # pushed
    wait_until(lambda: not free_on(next_monday), message="the owner's new day off, read on a refreshed token")


def free_times(app_api: httpx.Client, item: str, day: date) -> list[str]:
    """The start times the office can book `item` at on `day` (the availability API's labels)."""
    answer = app_api.get("/api/v1/availability", params={"date": day.isoformat(), "item_id": item})
    assert answer.status_code == 200, answer.text
    return [slot["label"] for slot in answer.json()["slots"]]


def overlaps_hour(label: str, hour: int, minutes: int = 90) -> bool:
    """Whether an offer ("Mon Jan 7, 11:15 AM") of `minutes` overlaps hour:00-(hour+1):00 that Monday."""
    starts = datetime.strptime(label.split(", ")[1], "%I:%M %p")
    begin = starts.hour * 60 + starts.minute
    return begin < (hour + 1) * 60 and begin + minutes > hour * 60


def clear_of(labels: list[str], *hours: int) -> bool:
    """Whether there are times, and none of them (90-minute jobs) overlaps any of `hours` (each hour:00-hour+1:00)."""
    return bool(labels) and not any(overlaps_hour(label, hour) for label in labels for hour in hours)


def test_a_dropped_push_is_made_good_by_the_poll_on_the_tenant_clock(
    calendar: CalendarPage, offers: OffersPage, tenant: TenantHandle, google: GoogleFakeClient, seeder: TenantSeeder,
    wait_until: WaitUntil, settle: Settle,
) -> None:
    google.drop_notifications(1)
    google.add_event(tenant.owner.email, start=local(11), end=local(12), summary="School run")
    assert google.health()["dropped_notifications"] >= 1
    # Nor does it ask Google before the poll interval is over: watched over a few turns of the app's poll loop
    # (0.2 s each on the e2e stack), which the app's own "nothing due" report cannot vouch for.
    settle.assert_no_new(lambda: google_reads(google, tenant), what="reads of Google before the poll is due",
                         at_least_s=0.7)
    offers.expect_offers(LEAK_OFFERS)  # 11:00 AM still: without the notification the app does not know
    # The next poll is due on the tenant clock. (The offers move on too: 30 min lead from the new time.) Google
    # is down when it comes: the Calendar page says so...
    google.add_fault(EVENTS, "status", method="GET", code=503, times=1000)
    seeder.set_clock(tenant, advance_seconds=POLL_INTERVAL_S)
    wait_until(lambda: calendar.state() == "error", message="the failed poll on the Calendar page")
    calendar.expect_error_mentions("Google Calendar is unavailable (HTTP 503)")
    google.clear_faults()  # ...and the poll, backed off a second or two, tries again

    def offers_clear_of_the_event() -> list[str] | None:
        labels = offered_after_reload(offers)
        return labels if clear_of(labels, 11) else None

    labels = wait_until(offers_clear_of_the_event, message="the poll to take 11:00-12:00 out of the offers")
    assert labels is not None and len(labels) == 3, labels


def test_a_google_outage_shows_and_clears(
    calendar: CalendarPage, tenant: TenantHandle, google: GoogleFakeClient, wait_until: WaitUntil,
    seeder: TenantSeeder, app_api: httpx.Client, snapshots: Snapshots,
) -> None:
    check_calendar(calendar, snapshots, "calendar-connected")
    leak_id = item_id(app_api, "Leak repair")
    google.add_event(tenant.owner.email, start=local(9), end=local(10), summary="Dentist")  # pushed
    wait_until(lambda: clear_of(free_times(app_api, leak_id, MONDAY), 9), message="Google's event out of Monday's times")
    # Words slipped into the page's address (a doctored link) are never shown as the app's own: errors are codes.
    calendar.page.goto(f"{CalendarPage.path}?error=Your+Google+account+was+suspended.+Call+555-0199+now.")
    calendar.expect_loaded()
    expect(calendar.connect_error).to_have_count(0)
    # A consent answer this owner did not ask for (a forged state: someone else's code slipped in) is refused.
    calendar.return_from_consent(code="someone-elses-code", state="forged")
    calendar.expect_connect_error("The connection request expired. Try again.")
    # The owner changes their mind on Google's consent screen: told so (it was no failure to retry).
    calendar.cancel_google_consent().expect_connect_error("Google Calendar was not connected.")
    # Reconnecting while Google's token endpoint fails: told so, and the connection in place stays connected.
    google.add_fault(r"/token$", "status", method="POST", code=503, times=1)
    calendar.reconnect_google_refused(tenant.owner.email)
    calendar.expect_connect_error("Google Calendar could not be connected. Try again.")
    expect(calendar.status_badge).to_have_attribute("data-state", "connected")
    # ... and while Google refuses the code (400 invalid_grant: a consent sent twice, a code already used).
    google.add_fault(r"/token$", "status", method="POST", code=400, times=1,
                     body={"error": "invalid_grant", "error_description": "Bad Request"})
    calendar.reconnect_google_refused(tenant.owner.email)
    calendar.expect_connect_error("Google Calendar could not be connected. Try again.")
    expect(calendar.status_badge).to_have_attribute("data-state", "connected")
    # Google rate-limits the reads (429, its "rateLimitExceeded"): an outage to wait out, not a refusal.
    since = google.journal_end()
    google.add_fault(EVENTS, "status", method="GET", code=429, times=1000)
    google.add_event(tenant.owner.email, start=local(14), end=local(15), summary="During the outage")
    wait_until(lambda: calendar.state() == "error", message="the outage on the Calendar page")
    calendar.expect_status("error")
    calendar.expect_error_mentions("Google Calendar is unavailable (HTTP 429)")
    # As the page says, offers go on using the busy time last seen, and it says when that was.
    calendar.expect_last_synced(SYNCED_ON_MONDAY_MORNING)
    free = free_times(app_api, leak_id, MONDAY)
    assert clear_of(free, 9), free
    check_calendar(calendar, snapshots, "calendar-error")
    # Waited out politely: each refused read puts the next one twice as far off (1-2 s after the first, 2-4 s
    # after the second: jittered), not one read per turn of the app's poll. The business's clock is moved to
    # the retry, so the test does not wait for it.
    def throttled_reads() -> list[dict[str, Any]]:
        return [r for r in google.requests(since_id=since) if r["status"] == 429]

    refused = throttled_reads()
    soon_after = [r["id"] for r in refused if float(r["started_ts"]) < float(refused[0]["started_ts"]) + 0.9]
    # The first retry waits a second or more, whichever of the outbox and the poll makes it.
    assert soon_after == [refused[0]["id"]], f"retried at once: {[r['started_at'] for r in refused]}"
    seeder.set_clock(tenant, advance_seconds=retry_delay_s(seeder, tenant, refused[-1]) + 0.1)
    moved = google.journal_end()  # later reads failed after the clock moved

    def retried() -> list[dict[str, Any]]:
        reads = throttled_reads()
        return reads if reads[-1]["id"] > moved else []

    reads = wait_until(retried, message="the retry of the throttled read")
    delay = retry_delay_s(seeder, tenant, reads[-1])
    assert delay >= 2 ** len(reads) / 2 - 0.2, f"{len(reads)} refused reads, then a retry due {delay:.2f}s after"
    # A booking made while the reads fail still goes to Google (it takes writes): the owner's calendar has it.
    # (Google's push of the new event makes the app read again: done with the timing of the retries above.)
    assert calendar.state() == "error"
    hold = app_api.post("/api/v1/holds", json={"item_id": leak_id, "starts_at": local(11).isoformat()})
    assert hold.status_code == 201, hold.text
    assert app_api.post("/api/v1/bookings", json={"hold_id": hold.json()["id"]}).status_code == 201
    wait_until(lambda: [e for e in google.events(tenant.owner.email) if e["summary"] == "Leak repair (NeverMissCall)"
                        and e["start"]["dateTime"] == local(11).isoformat()], message="the booking in Google")
    google.clear_faults()
    # Back: the next change's notification (or the next retry, whichever comes first) syncs again.
    google.add_event(tenant.owner.email, start=local(16), end=local(17), summary="After the outage")
    wait_until(lambda: calendar.state() == "connected", message="recovery after Google is back")
    # Google refusing a read (a 400, the lowest refusal) is no answer to sync from: shown with Google's own words.
    # Its words are shown as words: markup in them (a provider's message passed through, or doctored on the way)
    # is never the page's own.
    words = 'Invalid calendar id <a href="https://evil.example/fix">fix it here</a>'
    refusal = {"error": {"code": 400, "message": words, "errors": [{"reason": "invalid"}]}}
    google.add_fault(EVENTS, "status", method="GET", code=400, body=refusal,
                     times=1000)
    google.add_event(tenant.owner.email, start=local(9), end=local(10), summary="While Google refuses")
    wait_until(lambda: calendar.state() == "error", message="the refusal on the Calendar page")
    calendar.expect_error_mentions(f"Google Calendar refused the request (HTTP 400: {words})")
    # The sync in between succeeded, so the backoff starts over: the n-th refusal waits under 2^n seconds.
    def refusals() -> list[dict[str, Any]]:
        return [r for r in google.requests(since_id=since) if r["status"] == 400]

    def settled() -> tuple[int, float] | None:  # the delay of the latest refusal, with no newer one meanwhile
        before = refusals()
        delay = retry_delay_s(seeder, tenant, before[-1])
        return (len(before), delay) if len(refusals()) == len(before) else None

    latest = wait_until(settled, message="the retry delay after the latest refusal")
    assert latest is not None
    count, delay = latest
    assert delay < 2 ** count + 0.2, f"{count} refused reads after a sync, then a retry due {delay:.2f}s after"
    google.clear_faults()  # a refusal is not the end: the poll asks again and finds Google answering
    wait_until(lambda: calendar.state() == "connected", message="recovery after Google's refusal")


def check_calendar(calendar: CalendarPage, snapshots: Snapshots, name: str) -> None:
    """The Calendar page's look and structure in one of its states (the sync's minute masked: it varies by one)."""
    check_page(calendar.page, snapshots, name, mask=[calendar.page.get_by_text(re.compile(r"^Last synced "))])


def retry_delay_s(seeder: TenantSeeder, tenant: TenantHandle, failed_read: dict[str, object]) -> float:
    """How long after `failed_read` (a journal entry of the Google fake) the app's next try of the calendar is due."""
    due_in = seeder.operator.outbox(tenant.id)["calendar_due_in_seconds"]
    assert due_in is not None, "no calendar work scheduled after a failed read"
    return float(due_in) + time.time() - float(failed_read["started_ts"])  # type: ignore[arg-type]


def test_an_expired_google_token_is_refreshed_once_and_moved_or_deleted_events_free_their_time(
    calendar: CalendarPage, offers: OffersPage, tenant: TenantHandle, google: GoogleFakeClient, wait_until: WaitUntil,
    app_api: httpx.Client,
) -> None:
    offers.expect_offers(LEAK_OFFERS)
    since = google.journal_end()  # this test's part of the fake's journal
    assert google.expire_access_tokens(tenant.owner.email) == 1  # the access token's hour is over
    event = google.add_event(tenant.owner.email, start=local(11), end=local(12), summary="After the hour")  # pushed
    wait_until(lambda: LEAK_OFFERS[1] not in offered_after_reload(offers), message="11:00 AM to leave the offers")
    # 9:30-11:00 ends as the event begins, so the office can still hold it (then gives it back).
    leak_id = item_id(app_api, "Leak repair")
    held = app_api.post("/api/v1/holds", json={"item_id": leak_id, "starts_at": local(9, 30).isoformat()})
    assert held.status_code == 201, held.text
    assert app_api.delete(f"/api/v1/holds/{held.json()['id']}").status_code == 204
    # Moved in Google to 12:00-1:00 PM: 11:00 AM is free again and 12:30 PM is not (an incremental sync
    # names the same event with its new time).
    google.move_event(tenant.owner.email, event["id"], start=local(12), end=local(13))
    moved = ["Mon Jan 7, 9:30 AM", "Mon Jan 7, 1:00 PM", "Mon Jan 7, 2:30 PM"]
    wait_until(lambda: offered_after_reload(offers) == moved, message="the offers to follow the moved event")
    # The owner shows it as Free in Google, then as Busy again: its time is offered, then taken again.
    google.show_as(tenant.owner.email, event["id"], free=True)
    wait_until(lambda: offered_after_reload(offers) == LEAK_OFFERS, message="the event shown as free to free its time")
    google.show_as(tenant.owner.email, event["id"], free=False)
    wait_until(lambda: offered_after_reload(offers) == moved, message="the event shown as busy again")
    # Deleted in Google (a "cancelled" event in the incremental sync): its time is offered again.
    google.delete_event(tenant.owner.email, event["id"])
    wait_until(lambda: offered_after_reload(offers) == LEAK_OFFERS, message="the deleted event's time offered again")
    # Google forgets the sync tokens (410): the next sync is a full one, which no longer lists a deleted event,
    # so the busy time the app kept must go with the full sync.
    second = google.add_event(tenant.owner.email, start=local(11), end=local(12), summary="Before the 410")
    wait_until(lambda: LEAK_OFFERS[1] not in offered_after_reload(offers), message="11:00 AM to leave the offers")
    google.invalidate_sync_tokens()
    google.delete_event(tenant.owner.email, second["id"])
    wait_until(lambda: offered_after_reload(offers) == LEAK_OFFERS, message="the full sync to free 11:00 AM again")
    # Five syncs on one refreshed token: refreshed once, and kept for the next calls.
    refreshes = app_requests_to(google, "/token", since=since, contains="grant_type=refresh_token")
    assert len(refreshes) == 1, refreshes
    # Between the full syncs Google is asked only for what changed, with the sync token it gave.
    incremental = [r for r in google.requests(since_id=since, contains="syncToken=") if r["method"] == "GET"]
    assert len(incremental) >= 3, incremental
    # Another hour over: Google's refresh answers carry no new refresh token, so the one from the consent must
    # still be there to refresh with a second time.
    assert google.expire_access_tokens(tenant.owner.email) == 1
    google.add_event(tenant.owner.email, start=local(11), end=local(12), summary="After the second hour")
    wait_until(lambda: LEAK_OFFERS[1] not in offered_after_reload(offers), message="11:00 AM to leave the offers")
    refreshes = app_requests_to(google, "/token", since=since, contains="grant_type=refresh_token")
    assert [r["status"] for r in refreshes] == [200, 200], refreshes
    calendar.page.reload()
    assert calendar.state() == "connected"


def test_the_push_channel_is_renewed_before_google_lets_it_expire(
    calendar: CalendarPage, customer_page: Page, tenant: TenantHandle, google: GoogleFakeClient, seeder: TenantSeeder,
    twilio: TwilioFakeClient, customer_phone: str, wait_until: WaitUntil, settle: Settle,
) -> None:
    (first,) = google.channels(tenant.owner.email)
    # Five and a half days on, Google's week-long channel has a day and a half left: the poll syncs, and renews
    # nothing yet (it renews a day ahead).
    with settle.window(lambda: google.channels(tenant.owner.email), what="the push channel renewed early"):
        seeder.set_clock(tenant, advance_seconds=5 * 86400 + 12 * 3600)
    # A day later (Sunday the 13th, 8:55 PM) half a day is left: time to renew it. (The fake silences it already,
    # so the change below can only arrive on the new channel.) Google refuses the first new channel asked for
    # (a 503): the old one must not have been stopped for it, or the business would be left with none.
    google.expire_channels(tenant.owner.email)
    google.add_fault(r"/events/watch$", "status", method="POST", code=503, times=1)
    since = google.journal_end()
    seeder.set_clock(tenant, advance_seconds=86400)
    wait_until(lambda: [r for r in google.requests(since_id=since) if r["status"] == 503], message="the refused channel")
    seeder.set_clock(tenant, advance_seconds=POLL_INTERVAL_S)  # the next poll tries again
    # Renewed: a new channel open, and the old one stopped (not merely left to expire).
    def replaced() -> list[dict[str, object]]:
        channels = google.channels(tenant.owner.email)
        return channels if len(channels) == 1 and channels[0]["id"] != first["id"] else []

    (renewed,) = wait_until(replaced, message="the old push channel replaced by a new one")
    assert renewed["live"]
    # In Google's journal: the refused channel, the new one, and only then the old one stopped.
    channel_calls = [(str(r["path"]).rsplit("/", 1)[-1], r["status"])
                     for r in google.requests(since_id=since, direction="inbound")
                     if r["method"] == "POST" and str(r["path"]).endswith(("/events/watch", "/channels/stop"))]
    assert channel_calls[:3] == [("watch", 503), ("watch", 200), ("stop", 204)], channel_calls
    # Anyone can post to the webhook: a push naming the channel without its token is refused.
    for token in ({"X-Goog-Channel-Token": "guessed"}, {}):  # a wrong token, and none at all
        forged = http.post(tenant.url("/webhooks/google/calendar"), timeout=30, headers={
            "X-Goog-Channel-ID": str(renewed["id"]), "X-Goog-Resource-State": "exists", **token})
        assert forged.status_code == 403 and forged.json()["code"] == "invalid_signature", (token, forged.text)
    # A weekly meeting whose series began last Monday: this Monday's occurrence is the one that counts (the
    # app asks Google for each occurrence, not the series as stored with its first date).
    google.add_event(tenant.owner.email, start=local(11), end=local(12), summary="Weekly supplier call",
                     weekly=4)  # pushed on the new channel only; the poll is 5 min away
    link = booking_link_in(text_the_business(twilio, tenant=tenant, customer=customer_phone, body=JOB,
                                             wait_until=wait_until))
    offers = OffersPage.open(customer_page, link)
    monday = ["Mon Jan 14, 8:00 AM", "Mon Jan 14, 9:30 AM", "Mon Jan 14, 11:00 AM"]  # closed on Sunday
    wait_until(lambda: monday[2] not in offered_after_reload(offers), message="11:00 AM to leave the offers")
    assert offers.slot_labels()[:2] == monday[:2]
    # Booked by text this time ("1", then YES): the appointment reaches Google Calendar all the same.
    assert text_the_business(twilio, tenant=tenant, customer=customer_phone, body="1",
                             wait_until=wait_until).startswith(f"Holding {monday[0]} for you until ")
    assert text_the_business(twilio, tenant=tenant, customer=customer_phone, body="YES",
                             wait_until=wait_until).startswith(f"You're booked: Leak repair on {monday[0]}, ")
    booked = wait_until(lambda: [e for e in google.events(tenant.owner.email)
                                 if e["summary"] == "Leak repair (NeverMissCall)"], message="the SMS booking in Google")
    assert [e["start"]["dateTime"] for e in booked] == [(local(8) + timedelta(days=7)).isoformat()], booked


def test_google_and_jobber_connected_together_both_block_time_and_both_get_the_booking(
    calendar: CalendarPage, offers: OffersPage, tenant: TenantHandle, google: GoogleFakeClient,
    jobber: JobberFakeClient, wait_until: WaitUntil, app_api: httpx.Client,
) -> None:
    # The owner's Google Calendar is connected (the fixture); the crew's visits are in Jobber: both count.
    calendar.connect_jobber(tenant.owner.email)
    wait_until(lambda: calendar.synced("jobber"), message="the first sync with Jobber")
    leak_id = item_id(app_api, "Leak repair")

    def monday_clear_of(*hours: int) -> bool:
        return clear_of(free_times(app_api, leak_id, MONDAY), *hours)

    google.add_event(tenant.owner.email, start=local(9), end=local(10), summary="Dentist")  # pushed
    wait_until(lambda: monday_clear_of(9), message="Google's event out of Monday's times")
    # Jobber's news syncs Jobber's visits, and only Jobber's: Google's busy time must stay.
    jobber.add_visit(tenant.owner.email, start=local(13), end=local(14), title="Furnace check")  # webhook
    wait_until(lambda: monday_clear_of(13), message="Jobber's visit out of Monday's times")
    assert monday_clear_of(9, 13), "Jobber's sync gave Google's busy time back"
    # Google forgets its sync tokens: its next sync is a full one, which replaces Google's busy time, not Jobber's.
    google.invalidate_sync_tokens()
    google.add_event(tenant.owner.email, start=local(16), end=local(17), summary="School run")  # pushed
    wait_until(lambda: monday_clear_of(16), message="the full sync to take 4 PM")
    assert monday_clear_of(9, 13, 16), "Google's full sync gave Jobber's busy time back"
    # A booking is written to both: the owner's Google Calendar and the crew's Jobber.
    labels = offered_after_reload(offers)
    assert clear_of(labels, 9, 13), labels
    label, booked = hold_and_confirm(offers, 1, name="Pat Customer")
    booked.expect_booking(service="Leak repair", when=label, price=dollars(item(tenant, "Leak repair").price_cents))
    wait_until(lambda: [e for e in google.events(tenant.owner.email) if e["summary"] == "Leak repair (NeverMissCall)"],
               message="the booking in Google Calendar")
    wait_until(lambda: [v for v in jobber.visits(tenant.owner.email) if v["title"] == "Leak repair (NeverMissCall)"],
               message="the booking in Jobber")


# --- Jobber ------------------------------------------------------------------------------------------
@pytest.fixture
def jobber_calendar(owner_page: Page, tenant: TenantHandle, jobber: JobberFakeClient,
                    wait_until: WaitUntil) -> CalendarPage:
    """The owner's Calendar page, connected to the Jobber account of the owner's email and synced once."""
    page = CalendarPage(owner_page).goto()
    page.connect_jobber(tenant.owner.email)
    expect(page.badge("google")).to_have_attribute("data-state", "none")  # Jobber is not taken for Google
    wait_until(lambda: page.synced("jobber"), message="the first sync with Jobber")
    page.expect_last_synced(SYNCED_ON_MONDAY_MORNING, provider="jobber")
    return page


def test_jobber_visits_leave_the_offers_and_bookings_reach_jobber_once(
    jobber_calendar: CalendarPage, offers: OffersPage, tenant: TenantHandle, jobber: JobberFakeClient,
    wait_until: WaitUntil,
) -> None:
    offers.expect_offers(LEAK_OFFERS)
    since = jobber.journal_end()  # this test's part of the fake's journal
    assert jobber.expire_access_tokens(tenant.owner.email) == 1  # the access token's hour is over
    visit = jobber.add_visit(tenant.owner.email, start=local(11), end=local(12), title="Furnace check")  # webhook
    wait_until(lambda: LEAK_OFFERS[1] not in offered_after_reload(offers), message="11:00 AM to leave the offers")
    offers.expect_not_offered(LEAK_OFFERS[1])
    # Another hour over: only the refresh token Jobber rotated to last time still works.
    assert jobber.expire_access_tokens(tenant.owner.email) == 1
    # Rescheduled in Jobber to 12:00-1:00 PM (VISIT_UPDATE): 11:00 AM is free again and 12:30 PM is not.
    jobber.move_visit(tenant.owner.email, visit["id"], start=local(12), end=local(13))
    moved = ["Mon Jan 7, 9:30 AM", "Mon Jan 7, 1:00 PM", "Mon Jan 7, 2:30 PM"]
    wait_until(lambda: offered_after_reload(offers) == moved, message="the offers to follow the rescheduled visit")
    # Deleted in Jobber (VISIT_DESTROY): its time is free again.
    jobber.delete_visit(tenant.owner.email, visit["id"])
    wait_until(lambda: offered_after_reload(offers) == LEAK_OFFERS, message="the offers to drop the deleted visit")
    # A third hour over, and Jobber fails the booking's write just after the app refreshed its token: the tokens
    # Jobber rotated to must outlive the failed write, or its retry could never sign in again.
    assert jobber.expire_access_tokens(tenant.owner.email) == 1
    failing = jobber.journal_end()
    jobber.add_fault(r"^/api/graphql$", "delay", method="POST", ms=1, times=1)  # the write's first try: its 401
    jobber.add_fault(r"^/api/graphql$", "status", method="POST", code=500, times=1)  # its try after the refresh
    # The next try is written, but its answer comes after the app stopped waiting (1 s on this stack): the retry
    # after it, with the same idempotency key, gets the visit back instead of booking the crew twice.
    jobber.add_fault(r"^/api/graphql$", "late", method="POST", ms=1300, times=1)
    label, booked = hold_and_confirm(offers, 1, name="Pat Customer")
    assert label == LEAK_OFFERS[0]
    booked.expect_booking(service="Leak repair", when=label, price=dollars(item(tenant, "Leak repair").price_cents))
    ours = wait_until(lambda: [v for v in jobber.visits(tenant.owner.email) if v["title"] != "Furnace check"],
                      message="the booking in Jobber")
    assert [(v["title"], v["startAt"], v["endAt"]) for v in ours] == [
        ("Leak repair (NeverMissCall)", "2030-01-07T14:30:00Z", "2030-01-07T16:00:00Z")]
    # The crew sees whom to expect; the mark tells the app's sync the visit is its own.
    assert ours[0]["instructions"] == "Booked through NeverMissCall. Customer: Pat Customer", ours[0]
    # One refresh per expired token, each kept for the calls after it (the booking's retried write included).
    refreshes = app_requests_to(jobber, "/api/oauth/token", since=since, contains="grant_type=refresh_token")
    assert len(refreshes) == 3, refreshes
    def answered_writes() -> list[object] | None:
        writes = [r["status"] for r in app_requests_to(jobber, "/api/graphql", since=failing) if r["finished_at"]]
        return writes[:4] if len(writes) >= 4 else None

    writes = wait_until(answered_writes, message="the four tries' answers in the fake's journal")
    assert writes == [401, 500, 200, 200], writes
    ours = [v for v in jobber.visits(tenant.owner.email) if v["title"] != "Furnace check"]
    assert len(ours) == 1, ours  # the retry after the lost answer booked nothing more


def test_a_dropped_jobber_webhook_is_made_good_by_the_poll_on_the_tenant_clock(
    jobber_calendar: CalendarPage, offers: OffersPage, tenant: TenantHandle, jobber: JobberFakeClient,
    seeder: TenantSeeder, wait_until: WaitUntil, app_api: httpx.Client,
) -> None:
    # A webhook not signed with the app's client secret is refused, whatever account it names.
    body = json.dumps({"data": {"webHookEvent": {"topic": "VISIT_CREATE", "accountId": jobber.account_id(
        tenant.owner.email), "itemId": "forged", "occurredAt": local(9).isoformat()}}}).encode()
    for signature in ({JOBBER_SIGNATURE_HEADER: sign("not-the-client-secret", body)}, {}):  # a wrong one, and none
        forged = http.post(tenant.url("/webhooks/jobber"), timeout=30, content=body,
                           headers={"Content-Type": "application/json", **signature})
        assert forged.status_code == 403 and forged.json()["code"] == "invalid_signature", (signature, forged.text)
    # Jobber's news about an account nobody here connects is still answered 200: Jobber disables apps whose
    # webhooks keep failing, and this business's own would be lost with them.
    stranger = f"elsewhere-{tenant.id}@example.test"
    jobber.add_visit(stranger, start=local(9), end=local(10), title="Another company's job")
    stranger_account = jobber.account_id(stranger)
    assert stranger_account, "positive control failed: the Jobber fake made no account for the other company"
    answers = wait_until(lambda: [e["status"] for e in jobber.requests(direction="outbound", contains=stranger_account)],
                         message="the other company's webhook delivered")
    assert answers == [200], answers
    # A visit that began hours before now (6:00-10:00: the crew has been on it since dawn) still blocks the rest
    # of its time.
    jobber.add_visit(tenant.owner.email, start=local(6), end=local(10), title="Early call")
    after_early_call = ["Mon Jan 7, 10:00 AM", "Mon Jan 7, 11:30 AM", "Mon Jan 7, 1:00 PM"]
    wait_until(lambda: offered_after_reload(offers) == after_early_call, message="the visit under way to take 9:30 AM")
    # Jobber answers the owner's lists one visit a page from now on (a connection holds at most `first` nodes):
    # the poll's read below has the Early call on its first page and the Gutter job on its second.
    jobber.limit_pages(tenant.owner.email, 1)
    jobber.drop_webhooks(1)
    jobber.add_visit(tenant.owner.email, start=local(11), end=local(12), title="Gutter job")
    assert jobber.health()["dropped_webhooks"] >= 1
    offers.expect_offers(after_early_call)  # 10:00 AM still: without the webhook the app does not know
    seeder.set_clock(tenant, advance_seconds=POLL_INTERVAL_S)  # the next poll is due on the tenant clock

    def offers_clear_of_the_visit() -> list[str] | None:
        labels = offered_after_reload(offers)
        return labels if clear_of(labels, 9, 11) else None

    labels = wait_until(offers_clear_of_the_visit, message="the poll to take 11:00-12:00 out of the offers")
    assert labels is not None and len(labels) == 3, labels
    # A visit five weeks out (a whole day's job) counts as much as today's: offers reach that far.
    later = MONDAY + timedelta(weeks=5)
    leak_id = item_id(app_api, "Leak repair")
    assert free_times(app_api, leak_id, later), "positive control failed: nothing free five weeks out"
    jobber.add_visit(tenant.owner.email, start=local(8) + timedelta(weeks=5), end=local(17) + timedelta(weeks=5),
                     title="Boiler replacement")  # a webhook
    wait_until(lambda: not free_times(app_api, leak_id, later), message="the visit five weeks out in its day's times")

    # The business reconnects Jobber with its office's account: the owner's visits no longer count, and news of
    # the office's reaches the app (its webhooks name the new account).
    office = f"office.{tenant.owner.email}"
    jobber_calendar.connect_jobber(office)
    clear_day = ["Mon Jan 7, 9:45 AM", "Mon Jan 7, 11:15 AM", "Mon Jan 7, 12:45 PM"]  # 9:00 now, and a 30 min lead
    wait_until(lambda: offered_after_reload(offers) == clear_day, message="the owner's visits out of the offers")
    jobber.add_visit(office, start=local(11), end=local(12), title="Office inspection")  # a webhook
    wait_until(lambda: clear_day[1] not in offered_after_reload(offers), message="the office's visit in the offers")


def test_a_jobber_outage_shows_and_clears(
    jobber_calendar: CalendarPage, tenant: TenantHandle, jobber: JobberFakeClient, wait_until: WaitUntil,
) -> None:
    # As for Google: a consent answer with a forged OAuth state is refused before its code is used...
    jobber_calendar.return_from_consent(code="someone-elses-code", state="forged", provider="jobber")
    jobber_calendar.expect_connect_error("The connection request expired. Try again.")
    # ...and so is one carrying this business's own state for Google: a state is for one provider's round trip.
    with jobber_calendar.page.expect_request(GOOGLE_CONSENT_REQUEST) as consent:
        jobber_calendar.cancel_google_consent().expect_connect_error("Google Calendar was not connected.")
    google_state = oauth_state(consent.value.url)
    jobber_calendar.return_from_consent(code="someone-elses-code", state=google_state, provider="jobber")
    jobber_calendar.expect_connect_error("The connection request expired. Try again.")
    jobber_calendar.cancel_jobber_consent().expect_connect_error("Jobber was not connected.")
    # Reconnecting while Jobber's token endpoint fails: told so, and the connection in place stays connected.
    jobber.add_fault(r"^/api/oauth/token$", "status", method="POST", code=503, times=1)
    jobber_calendar.reconnect_jobber_refused(tenant.owner.email)
    jobber_calendar.expect_connect_error("Jobber could not be connected. Try again.")
    jobber_calendar.expect_status("connected", provider="jobber")
    # ... and while Jobber refuses the code (400 invalid_grant).
    jobber.add_fault(r"^/api/oauth/token$", "status", method="POST", code=400, times=1,
                     body={"error": "invalid_grant", "error_description": "The authorization code is invalid"})
    jobber_calendar.reconnect_jobber_refused(tenant.owner.email)
    jobber_calendar.expect_connect_error("Jobber could not be connected. Try again.")
    jobber_calendar.expect_status("connected", provider="jobber")
    # The access token's hour is over as Jobber fails: the sync refreshes it (Jobber rotates the refresh token with
    # it), then its read fails. The new tokens must outlive the failed sync: Jobber has already replaced the old
    # refresh token, so the next sync could not refresh with it.
    since = jobber.journal_end()
    assert jobber.expire_access_tokens(tenant.owner.email) == 1
    jobber.add_fault(r"^/api/graphql$", "delay", method="POST", ms=1, times=1)  # the first read: its 401, as it is
    jobber.add_fault(r"^/api/graphql$", "status", method="POST", code=500, times=1000)  # an error on its side
    jobber.add_visit(tenant.owner.email, start=local(14), end=local(15), title="During the outage")
    wait_until(lambda: jobber_calendar.state("jobber") == "error", message="the outage on the Calendar page")
    jobber_calendar.expect_status("error", provider="jobber")
    jobber_calendar.expect_error_mentions("Jobber is unavailable (HTTP 500)", provider="jobber")  # not "refused"
    jobber.clear_faults()
    # Back: the next change's webhook (or the next retry, whichever comes first) syncs again.
    jobber.add_visit(tenant.owner.email, start=local(16), end=local(17), title="After the outage")
    wait_until(lambda: jobber_calendar.state("jobber") == "connected", message="recovery after Jobber is back")
    refreshes = [r["status"] for r in app_requests_to(jobber, "/api/oauth/token", since=since,
                                                      contains="grant_type=refresh_token")]
    assert refreshes == [200], refreshes  # one refresh, kept through the failure
    # Jobber stops answering (each read held past the app's 1 s timeout): an outage as well, shown as one.
    jobber.add_fault(r"^/api/graphql$", "timeout", method="POST", hold_ms=1500, times=1000)
    jobber.add_visit(tenant.owner.email, start=local(9), end=local(10), title="While Jobber hangs")
    wait_until(lambda: jobber_calendar.state("jobber") == "error", message="the hanging Jobber on the Calendar page")
    jobber_calendar.expect_error_mentions("Jobber did not answer (ReadTimeout)", provider="jobber")
