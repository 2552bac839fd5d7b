"""The owner's Compliance page: the business texting registration and its status."""

from __future__ import annotations

from typing import Self

from playwright.sync_api import Locator, expect

from pages.base import BasePage

STATUS_TEST_ID = "compliance-status"
DETAILS_TEST_ID = "registration-details"


class CompliancePage(BasePage):
    path = "/compliance"
    heading_name = "Compliance"

    @property
    def status_badge(self) -> Locator:
        """data-state: none | pending | approved | rejected."""
        return self.page.get_by_test_id(STATUS_TEST_ID)

    @property
    def details(self) -> Locator:
        return self.page.get_by_test_id(DETAILS_TEST_ID)

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
        """Fills and submits the registration form; lands back on this page."""
        self.legal_name.fill(legal_name)
        self.ein.fill(ein)
        self.website.fill(website)
        self.use_case.select_option(use_case)
        self.submit_button.click()
        return self.expect_loaded()

    def expect_status(self, state: str) -> None:
        expect(self.status_badge).to_have_attribute("data-state", state)

    def expect_field_error(self, label: str, text: str) -> None:
        field = self.page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(self.page.get_by_text(text)).to_be_visible()
