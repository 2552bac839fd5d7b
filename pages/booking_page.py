"""The customer's public booking page (/book/{token}, the link in the SMS) and its steps.

    OffersPage --pick_slot(n)--> HeldPage --confirm()--> BookedPage
        |  a slot taken meanwhile: pick_slot_taken_meanwhile(n) stays on OffersPage with a notice
        |  an expired hold: HeldPage.confirm_after_expiry() -> HoldExpiredPage (HTTP 410), fresh offers
    LinkUnavailablePage: an unknown (404) or expired (410) link

The pages have no fixed path (the token is in the link), so they are opened with ``open(page, url)``
and recognised by their URL shape and <h1>. Slots are radio buttons labelled with the local time
("Mon Jan 7, 9:30 AM") inside the "Choose a time" group; ``n`` counts from 1 like the SMS offers.
"""

from __future__ import annotations

import re
from typing import ClassVar, Self

from playwright.sync_api import Locator, Page, expect

from pages.base import BasePage

TOKEN_PATH = r"/book/[A-Za-z0-9_-]+"
SLOT_OPTION_TEST_ID = "slot-option"
JOB_SERVICE_TEST_ID = "job-service"
JOB_PRICE_TEST_ID = "job-price"
BOOKING_NOTICE_TEST_ID = "booking-notice"
CURRENT_HOLD_TEST_ID = "current-hold"
HELD_SLOT_TEST_ID = "held-slot"
HOLD_EXPIRY_TEST_ID = "hold-expiry"
HOLD_EXPIRED_TEST_ID = "hold-expired"
BOOKING_CONFIRMATION_TEST_ID = "booking-confirmation"
BOOKED_SERVICE_TEST_ID = "booked-service"
BOOKED_TIME_TEST_ID = "booked-time"
BOOKED_PRICE_TEST_ID = "booked-price"
LINK_UNAVAILABLE_TEST_ID = "link-unavailable"
NO_OFFERS_TEST_ID = "no-offers"
SLOT_TAKEN_MESSAGE = "Sorry, that time was just taken by someone else."
SLOT_UNAVAILABLE_MESSAGE = "That time can't be booked any more. Please pick another one."
PHONE_REFUSED_MESSAGE = "Enter a mobile number we can text, like (555) 010-0123 or +15550100123."


class BookingStep(BasePage):
    """A step of the booking page: its URL is the link's, plus ``suffix`` (a regex)."""

    path = "/book/"
    suffix: ClassVar[str] = ""
    # The HTTP status of the page ``open`` arrived on (after redirects): None for a step reached by a click.
    http_status: int | None = None

    def url_pattern(self) -> re.Pattern[str]:
        return re.compile(TOKEN_PATH + self.suffix + r"(\?.*)?$")

    @classmethod
    def open(cls, page: Page, url: str) -> Self:
        """Opens the link (absolute, as texted) and checks this is the step it shows."""
        response = page.goto(url)
        step = cls(page)
        step.http_status = response.status if response is not None else None
        return step.expect_loaded()

    def _expect_http_status(self, status: int) -> None:
        """The page's words are backed by its status (crawlers and link checkers read only that); a step reached
        by a click has none to check."""
        assert self.http_status in (None, status), f"booking page answered HTTP {self.http_status}, not {status}"

    def goto(self) -> Self:
        raise TypeError(f"{type(self).__name__} has no fixed address: use {type(self).__name__}.open(page, link)")

    def _expect_own_checks(self) -> None:
        # A booking link is one customer's and gets pasted and forwarded: its pages ask search engines not to
        # index them.
        expect(self.page.locator('meta[name="robots"]')).to_have_attribute("content", "noindex")

    # The job card every step but the confirmation shows.
    @property
    def job_service(self) -> Locator:
        return self.page.get_by_test_id(JOB_SERVICE_TEST_ID)

    @property
    def job_price(self) -> Locator:
        return self.page.get_by_test_id(JOB_PRICE_TEST_ID)

    def expect_quote(self, service: str, price: str) -> None:
        """The job and its price as quoted, e.g. ("Leak repair", "$149")."""
        expect(self.job_service).to_have_text(service)
        expect(self.job_price).to_have_text(price)

    def expect_business(self, name: str) -> None:
        """The page is the business's own: its name tops the page and ends the tab's title ("Choose a time · Ace
        Plumbing"), so a customer with several tabs open knows whose booking this is."""
        expect(self.page.get_by_role("banner").get_by_text(name, exact=True)).to_be_visible()
        expect(self.page).to_have_title(re.compile(r" · " + re.escape(name) + "$"))


class OffersPage(BookingStep):
    """Choose a time: one labelled radio button per offered slot, and "Hold this time"."""

    heading_name = re.compile(r"^Book ")

    @property
    def slot_group(self) -> Locator:
        return self.page.get_by_role("group", name="Choose a time")

    @property
    def slots(self) -> Locator:
        return self.slot_group.get_by_role("radio")

    def slot(self, n: int) -> Locator:
        return self.slots.nth(n - 1)

    def slot_named(self, label: str) -> Locator:
        return self.slot_group.get_by_role("radio", name=label, exact=True)

    @property
    def hold_button(self) -> Locator:
        return self.page.get_by_role("button", name="Hold this time")

    @property
    def notice(self) -> Locator:
        return self.page.get_by_test_id(BOOKING_NOTICE_TEST_ID)

    @property
    def current_hold(self) -> Locator:
        return self.page.get_by_test_id(CURRENT_HOLD_TEST_ID)

    def slot_labels(self) -> list[str]:
        """The offered times as shown, in order (call after expect_offer_count when it matters)."""
        return [text.strip() for text in self.page.get_by_test_id(SLOT_OPTION_TEST_ID).all_inner_texts()]

    def choose(self, n: int, *, answered: int) -> None:
        """Picks offer ``n`` and presses "Hold this time"; the form must be answered with HTTP ``answered``."""
        self.slot(n).check()
        with self.expect_form_answer(answered):
            self.hold_button.click()

    def pick_slot(self, n: int) -> HeldPage:
        """Holds offer ``n`` (1-based) and lands on the confirmation step."""
        self.choose(n, answered=303)
        return HeldPage(self.page).expect_loaded()

    def pick_slot_passed_meanwhile(self, n: int) -> OffersPage:
        """Picks offer ``n`` whose time has come too close (the page was left open): told so, offered anew."""
        self.choose(n, answered=303)
        fresh = OffersPage(self.page).expect_loaded()
        expect(fresh.notice).to_have_text(SLOT_UNAVAILABLE_MESSAGE)
        return fresh

    def pick_slot_after_link_expiry(self, n: int) -> LinkUnavailablePage:
        """Picks offer ``n`` on a page left open while the link expired: nothing is held, the page says so."""
        self.choose(n, answered=410)
        return LinkUnavailablePage(self.page).expect_loaded()

    def pick_slot_after_booking(self, n: int) -> BookedPage:
        """Picks offer ``n`` on a page left open while the job was booked (another tab): shown the booking."""
        self.choose(n, answered=303)
        return BookedPage(self.page).expect_loaded()

    def pick_slot_taken_meanwhile(self, n: int) -> OffersPage:
        """Picks offer ``n`` that someone else took since the page loaded: the page explains and offers anew."""
        self.choose(n, answered=303)
        fresh = OffersPage(self.page).expect_loaded()
        fresh.expect_slot_taken_notice()
        expect(fresh.page.get_by_role("heading", level=2, name="Fresh times")).to_be_visible()
        return fresh

    @property
    def no_offers(self) -> Locator:
        return self.page.get_by_test_id(NO_OFFERS_TEST_ID)

    def expect_offer_count(self, count: int) -> None:
        expect(self.slots).to_have_count(count)

    def expect_no_free_times(self, *, phone: str) -> None:
        """No radio buttons, and the page says so, with the business's number to text (``phone``)."""
        expect(self.no_offers).to_contain_text("There are no free times in the next two weeks.")
        expect(self.no_offers).to_contain_text(f"Text us at {phone} and we'll find one.")
        expect_texting_link(self.no_offers, phone)
        expect(self.slots).to_have_count(0)
        expect(self.hold_button).to_have_count(0)

    def expect_offers(self, labels: list[str]) -> None:
        expect(self.page.get_by_test_id(SLOT_OPTION_TEST_ID)).to_have_text(labels)

    def expect_not_offered(self, label: str) -> None:
        expect(self.slot_named(label)).to_have_count(0)

    def expect_slot_taken_notice(self) -> None:
        expect(self.notice).to_contain_text(SLOT_TAKEN_MESSAGE)

    def expect_current_hold(self, label: str, *, until: re.Pattern[str]) -> None:
        """The banner of the time this customer holds (not among the offers) while choosing another, and until
        when on the business's clock (``until`` matches the time, e.g. "9:10 AM")."""
        expect(self.current_hold).to_contain_text(
            re.compile(rf"You're holding {re.escape(label)} until {until.pattern}\."))
        self.expect_not_offered(label)

    def confirm_current_hold(self) -> HeldPage:
        """"Confirm it" in the banner of the time already held: back to the confirmation step."""
        self.current_hold.get_by_role("link", name="Confirm it").click()
        return HeldPage(self.page).expect_loaded()


class HoldExpiredPage(OffersPage):
    """HTTP 410: the hold ran out (15 minutes on the business's clock); says so and offers fresh times."""

    heading_name = re.compile(r"^Your hold expired$")
    suffix = r"/(hold|confirm)"

    @property
    def message(self) -> Locator:
        return self.page.get_by_test_id(HOLD_EXPIRED_TEST_ID)

    def expect_expired_hold_of(self, label: str) -> None:
        self._expect_http_status(410)
        expect(self.message).to_contain_text(f"We held {label} for you")
        expect(self.message).to_contain_text("that time has passed")

    def expect_released_hold_of(self, label: str) -> None:
        """The hold confirmed was given back when the customer picked another time."""
        expect(self.message).to_contain_text(f"You picked another time, so we let {label} go.")


class HeldPage(BookingStep):
    """The slot is held: shows what and until when, and Confirm."""

    heading_name = "Confirm your booking"
    suffix = r"/(hold|confirm)"  # a refused Confirm (a number that cannot be texted) shows this step at /confirm

    @property
    def held_slot(self) -> Locator:
        return self.page.get_by_test_id(HELD_SLOT_TEST_ID)

    @property
    def hold_expiry(self) -> Locator:
        return self.page.get_by_test_id(HOLD_EXPIRY_TEST_ID)

    @property
    def name_field(self) -> Locator:
        return self.page.get_by_label("Your name")

    @property
    def phone_field(self) -> Locator:
        return self.page.get_by_label("Mobile number")

    @property
    def confirm_button(self) -> Locator:
        return self.page.get_by_role("button", name="Confirm booking")

    @property
    def error(self) -> Locator:
        return self.page.get_by_role("alert")

    @property
    def choose_another_link(self) -> Locator:
        return self.page.get_by_role("link", name="Choose a different time")

    def choose_another_time(self) -> OffersPage:
        """"Choose a different time": the offers again, the held time kept until another is picked."""
        self.choose_another_link.click()
        return OffersPage(self.page).expect_loaded()

    def expect_held(self, label: str, *, until: str | re.Pattern[str] = re.compile(r"^\d{1,2}:\d{2} [AP]M$")) -> None:
        """Holding ``label``, with the time the hold runs out shown (``until``: that time, "9:10 AM")."""
        expect(self.held_slot).to_have_text(label)
        expect(self.hold_expiry).to_have_text(until)

    def _submit(self, name: str, phone: str | None, *, answered: int) -> None:
        """Fills and sends the Confirm form; it must be answered with HTTP ``answered``."""
        if name:
            self.name_field.fill(name)
        if phone is not None:
            self.phone_field.fill(phone)
        with self.expect_form_answer(answered):
            self.confirm_button.click()

    def confirm(self, *, name: str = "", phone: str | None = None) -> BookedPage:
        """Books the held slot; ``phone`` only for links that came without the customer's number."""
        self._submit(name, phone, answered=303)
        return BookedPage(self.page).expect_loaded()

    @property
    def hold_id(self) -> str:
        """The hold this step's form confirms (a hidden field of the Confirm form, read through the button)."""
        return str(self.confirm_button.evaluate("button => button.form.elements.hold_id.value"))

    def confirm_tampered(self, hold_id: str) -> OffersPage:
        """Confirms with the form's hold id replaced (someone else's hold): refused, back to the offers."""
        self.confirm_button.evaluate("(button, id) => { button.form.elements.hold_id.value = id; }", hold_id)
        self.confirm_button.click()
        offers = OffersPage(self.page).expect_loaded()
        expect(offers.notice).to_have_text("Please choose a time first.")
        return offers

    def confirm_earlier_hold(self, hold_id: str, *, phone: str | None = None) -> HoldExpiredPage:
        """Confirms a hold this link had before (as a tab left open on the time picked first would): nothing
        is booked, the page says that time was let go and offers times again (HTTP 410)."""
        self.confirm_button.evaluate("(button, id) => { button.form.elements.hold_id.value = id; }", hold_id)
        self._submit("", phone, answered=410)
        return HoldExpiredPage(self.page).expect_loaded()

    def confirm_with_invalid_phone(self, *, phone: str, name: str = "") -> Self:
        """A number that cannot be texted: the same step again (HTTP 422), the field flagged, nothing booked."""
        self._submit(name, phone, answered=422)
        self.expect_loaded()
        expect(self.error).to_have_text(PHONE_REFUSED_MESSAGE)
        expect(self.phone_field).to_have_attribute("aria-invalid", "true")
        # ... and a screen reader reads that message with the field.
        expect(self.phone_field).to_have_accessible_description(PHONE_REFUSED_MESSAGE)
        # What the customer typed is still there to correct, not to type again.
        expect(self.phone_field).to_have_value(phone)
        expect(self.name_field).to_have_value(name)
        return self

    def expect_phone_asked(self, asked: bool = True) -> None:
        """Links sent by text already know the customer's number; others ask for it, as a phone number: a phone
        opens its number pad for it and offers the customer's own number to fill in."""
        expect(self.phone_field).to_have_count(1 if asked else 0)
        if asked:
            expect(self.phone_field).to_have_attribute("type", "tel")
            expect(self.phone_field).to_have_attribute("autocomplete", "tel")

    def confirm_after_link_expiry(self) -> LinkUnavailablePage:
        """Confirms once the link itself has expired (its hold still running): nothing is booked, the page says
        the link expired."""
        self._submit("", None, answered=410)
        return LinkUnavailablePage(self.page).expect_loaded()

    def confirm_after_expiry(self, *, phone: str | None = None) -> HoldExpiredPage:
        """Confirms once the hold has run out: the 410 page with fresh offers (also when ``phone`` is one that
        cannot be texted: the lapsed hold is what the customer needs to hear of)."""
        self._submit("", phone, answered=410)
        return HoldExpiredPage(self.page).expect_loaded()


class BookedPage(BookingStep):
    heading_name = "You're booked"
    suffix = "/booked"

    @property
    def confirmation(self) -> Locator:
        return self.page.get_by_test_id(BOOKING_CONFIRMATION_TEST_ID)

    def expect_booking(self, *, service: str, when: str, price: str, texting: str | None = None) -> None:
        """``texting``: the number the page says the confirmation SMS goes to."""
        expect(self.confirmation.get_by_test_id(BOOKED_SERVICE_TEST_ID)).to_have_text(service)
        expect(self.confirmation.get_by_test_id(BOOKED_TIME_TEST_ID)).to_have_text(when)
        expect(self.confirmation.get_by_test_id(BOOKED_PRICE_TEST_ID)).to_have_text(price)
        if texting is not None:
            expect(self.confirmation).to_contain_text(f"We're texting a confirmation to {texting}.")

    def expect_no_text_promised(self) -> None:
        """A booking with no conversation to text in (a link made without one) promises no confirmation text."""
        expect(self.confirmation).to_contain_text("You're booked")
        expect(self.confirmation).not_to_contain_text("We're texting")


class LinkUnavailablePage(BookingStep):
    """An unknown link (404) or an expired one (410): a page that says so, never a stack trace."""

    heading_name = re.compile(r"^(This booking link has expired|We couldn't find this booking link)$")
    suffix = r"(/\w+)?"

    @property
    def card(self) -> Locator:
        return self.page.get_by_test_id(LINK_UNAVAILABLE_TEST_ID)

    def expect_expired(self, *, business: str | None = None, phone: str | None = None) -> None:
        """The 410 page; it tells the customer whom to text for a fresh link when the business is known."""
        expect(self.card).to_have_attribute("data-status", "410")
        self._expect_http_status(410)
        expect(self.heading).to_have_text("This booking link has expired")
        expect(self.page).to_have_title(re.compile(r"^Link expired\b"))
        expect(self.card).to_contain_text("Booking links work for 72 hours.")
        if business is not None and phone is not None:
            expect(self.card).to_contain_text(f"Text {business} at {phone} and we'll send you a fresh one.")
            expect_texting_link(self.card, phone)

    def expect_unknown(self) -> None:
        expect(self.card).to_have_attribute("data-status", "404")
        self._expect_http_status(404)
        expect(self.heading).to_have_text("We couldn't find this booking link")
        expect(self.page).to_have_title("Link not found")


def expect_texting_link(region: Locator, phone: str) -> None:
    """The business's number is a link that opens a text to it on a phone."""
    expect(region.get_by_role("link", name=phone, exact=True)).to_have_attribute("href", f"sms:{phone}")


def hold_and_confirm(offers: OffersPage, slot: int, *, name: str = "") -> tuple[str, BookedPage]:
    """The rest of the customer's journey from an offers page: hold offer ``slot``, check it is the one
    held, confirm. Returns the booked time as the page labelled it, and the confirmation page."""
    label = offers.slot_labels()[slot - 1]
    held = offers.pick_slot(slot)
    held.expect_held(label)
    return label, held.confirm(name=name)
