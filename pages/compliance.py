"""The owner's Compliance page: the business texting registration and its status."""

from __future__ import annotations

import re
from typing import Self

from playwright.sync_api import Locator, expect

from pages.base import BasePage

STATUS_TEST_ID = "compliance-status"
DETAILS_TEST_ID = "registration-details"
FAILURE_TEST_ID = "registration-failure"


class CompliancePage(BasePage):
    path = "/compliance"
    heading_name = "Compliance"
    title = "Compliance"

    @property
    def status_badge(self) -> Locator:
        """data-state: none | pending | approved | rejected."""
        return self.page.get_by_test_id(STATUS_TEST_ID)

    @property
    def status_line(self) -> Locator:
        """The badge and the sentence next to it saying what the status means for texting."""
        return self.page.get_by_role("paragraph").filter(has=self.status_badge)

    @property
    def details(self) -> Locator:
        return self.page.get_by_test_id(DETAILS_TEST_ID)

    @property
    def failure_reason(self) -> Locator:
        return self.page.get_by_test_id(FAILURE_TEST_ID)

    @property
    def form_heading(self) -> Locator:
        """"Register your business" (never registered) or "Submit again" (rejected)."""
        return self.page.get_by_role("heading", level=2, name=re.compile(r"^(Register your business|Submit again)$"))

    @property
    def form_error(self) -> Locator:
        return self.page.get_by_role("alert")

    @property
    def submitted_notice(self) -> Locator:
        return self.page.get_by_role("status").filter(has_text="Registration submitted")

    @property
    def brand_sid(self) -> str:
        """The Twilio brand registration shown in the details (what the app registered)."""
        return self.details.get_by_role("code").inner_text().strip()

    @property
    def legal_name(self) -> Locator:
        return self.page.get_by_label("Legal business name")

    @property
    def ein(self) -> Locator:
        return self.page.get_by_label("EIN")

    @property
    def website(self) -> Locator:
        return self.page.get_by_label("Website")

    @property
    def use_case(self) -> Locator:
        return self.page.get_by_label("Use case")

    @property
    def submit_button(self) -> Locator:
        return self.page.get_by_role("button", name="Submit registration")

    def register(self, *, legal_name: str, ein: str, website: str, use_case: str = "CUSTOMER_CARE") -> Self:
        """Fills and submits the registration form; lands back on this page (accepted or with errors)."""
        self.legal_name.fill(legal_name)
        self.ein.fill(ein)
        self.website.fill(website)
        self.use_case.select_option(use_case)
        self.submit_button.click()
        return self.expect_loaded()

    def expect_form_values(self, *, legal_name: str, ein: str, website: str, use_case: str) -> None:
        """The form as the owner left it (a refused submission keeps what was typed and chosen)."""
        expect(self.legal_name).to_have_value(legal_name)
        expect(self.ein).to_have_value(ein)
        expect(self.website).to_have_value(website)
        expect(self.use_case).to_have_value(use_case)

    def expect_submitted(self) -> None:
        """Accepted: pending (saying texting waits for the review), the notice shown, and no form to submit again."""
        self.expect_status("pending")
        expect(self.status_line).to_contain_text("Twilio and the carriers are reviewing your registration")
        expect(self.submitted_notice).to_have_text("Registration submitted. We'll let you know when it is approved.")
        expect(self.submit_button).to_have_count(0)

    def expect_details(self, *, legal_name: str, ein: str, website: str, use_case_label: str) -> None:
        """The registration as stored (normalised: "123456789" shows as "12-3456789")."""
        for value in (legal_name, ein, website, use_case_label):
            expect(self.details).to_contain_text(value)

    def expect_form(self, heading: str) -> None:
        expect(self.form_heading).to_have_text(heading)
        expect(self.submit_button).to_be_visible()

    def expect_rejected_because(self, reason: str) -> None:
        self.expect_status("rejected")
        expect(self.status_line).to_contain_text("The registration was rejected. Correct the details below")
        expect(self.failure_reason).to_have_text(reason)

    def expect_status(self, state: str) -> None:
        expect(self.status_badge).to_have_attribute("data-state", state)

    def expect_field_error(self, label: str, text: str) -> None:
        """The message is shown and is part of the field's accessible description (what a screen reader reads
        with the field, after its hint)."""
        field = self.page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(self.page.get_by_text(text)).to_be_visible()
        expect(field).to_have_accessible_description(re.compile(rf"(^|\s){re.escape(text)}$"))
