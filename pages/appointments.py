"""The Appointments page (OWNER and TECH): booked jobs with their time, price and source conversation."""

from __future__ import annotations

from playwright.sync_api import Locator, expect

from pages.base import BasePage

APPOINTMENT_ROW_TEST_ID = "appointment-row"
APPOINTMENT_SERVICE_TEST_ID = "appointment-service"
APPOINTMENT_CUSTOMER_TEST_ID = "appointment-customer"
APPOINTMENT_PRICE_TEST_ID = "appointment-price"
APPOINTMENT_STATUS_TEST_ID = "appointment-status"
APPOINTMENTS_EMPTY_TEST_ID = "appointments-empty"
UPCOMING_TOTAL_TEST_ID = "upcoming-total"


class AppointmentsPage(BasePage):
    path = "/appointments"
    heading_name = "Appointments"
    title = "Appointments"

    @property
    def upcoming(self) -> Locator:
        return self.page.get_by_role("table", name="Upcoming appointments")

    @property
    def past(self) -> Locator:
        return self.page.get_by_role("table", name="Past appointments")

    @property
    def rows(self) -> Locator:
        return self.page.get_by_test_id(APPOINTMENT_ROW_TEST_ID)

    @property
    def upcoming_total(self) -> Locator:
        return self.page.get_by_test_id(UPCOMING_TOTAL_TEST_ID)

    def expect_upcoming(self, whens: list[str]) -> None:
        """The upcoming appointments' start times, soonest first."""
        expect(self.upcoming.get_by_role("time")).to_have_text(whens)

    def expect_past(self, whens: list[str]) -> None:
        """The past appointments' start times, most recent first (none: no Past table at all)."""
        if whens:
            expect(self.past.get_by_role("time")).to_have_text(whens)
        else:
            expect(self.past).to_have_count(0)

    def expect_upcoming_total(self, text: str) -> None:
        expect(self.upcoming_total).to_have_text(text)

    @property
    def empty_state(self) -> Locator:
        return self.page.get_by_test_id(APPOINTMENTS_EMPTY_TEST_ID)

    def row_for(self, when: str) -> Locator:
        """The appointment starting at ``when``, as the page shows it ("Mon Jan 7, 9:30 AM")."""
        return self.rows.filter(has=self.page.get_by_text(when, exact=True))

    def open_conversation(self, when: str) -> None:
        self.row_for(when).get_by_role("link", name="Conversation").click()

    def expect_appointment(self, *, when: str, service: str, price: str, customer: str | None = None,
                           name: str | None = None, via: str | None = None) -> None:
        """``via``: how it was booked, as the page says when there is no conversation to link ("Booking page")."""
        row = self.row_for(when)
        expect(row).to_have_count(1)
        expect(row.get_by_test_id(APPOINTMENT_SERVICE_TEST_ID)).to_have_text(service)
        expect(row.get_by_test_id(APPOINTMENT_PRICE_TEST_ID)).to_have_text(price)
        expect(row.get_by_test_id(APPOINTMENT_STATUS_TEST_ID)).to_have_text("booked")
        if customer is not None or name is not None:
            # The name, then the number on a line of its own (inner text, so a lost line break shows).
            shown = " ".join(text for text in (name, customer) if text)
            expect(row.get_by_test_id(APPOINTMENT_CUSTOMER_TEST_ID)).to_have_text(shown, use_inner_text=True)
        if via is not None:
            expect(row.get_by_role("cell", name=via, exact=True)).to_have_count(1)

    def expect_count(self, count: int) -> None:
        expect(self.rows).to_have_count(count)

    def expect_empty(self) -> None:
        expect(self.empty_state).to_be_visible()
