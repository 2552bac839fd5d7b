"""Stripe's hosted billing portal (served by the Stripe fake in the suite; billing.stripe.com for real).

Reached from the app's "Manage billing" button by redirect, so it has no goto(). The owner sees each
subscription with its status and "Renews on ..." line, can cancel it, and "Return" goes back to the
app's return URL (the Billing page).
"""

from __future__ import annotations

import re
from typing import Self

from playwright.sync_api import Locator, expect

from pages.base import BasePage

SUBSCRIPTION_TEST_ID = "portal-subscription"
SUBSCRIPTION_STATUS_TEST_ID = "portal-subscription-status"


class BillingPortalPage(BasePage):
    path = "/portal/"
    heading_name = "Manage billing"

    def url_pattern(self) -> re.Pattern[str]:
        # After a cancel the portal shows itself again with ?canceled=<subscription id>.
        return re.compile(r"/portal/[A-Za-z0-9_]+(\?.*)?$")

    def goto(self) -> Self:
        raise TypeError("the billing portal is reached through BillingPage.manage_billing(), not by URL")

    @property
    def subscriptions(self) -> Locator:
        return self.page.get_by_test_id(SUBSCRIPTION_TEST_ID)

    @property
    def cancel_button(self) -> Locator:
        return self.page.get_by_role("button", name="Cancel subscription")

    @property
    def notice(self) -> Locator:
        return self.page.get_by_role("status")

    @property
    def return_link(self) -> Locator:
        return self.page.get_by_role("link", name="Return")

    def cancel_subscription(self) -> Self:
        """Cancels the (one) live subscription at once, as the portal offers."""
        self.cancel_button.click()
        return self.expect_loaded()

    def return_to_app(self) -> None:
        """Follows "Return" to the app's return URL."""
        self.return_link.click()

    def expect_subscriptions(self, statuses: list[str]) -> None:
        """The subscriptions listed, by their status as shown ("active", "canceled", "past due")."""
        expect(self.subscriptions.get_by_test_id(SUBSCRIPTION_STATUS_TEST_ID)).to_have_text(statuses)

    def expect_renews_on(self, date_text: str) -> None:
        expect(self.subscriptions.first).to_contain_text(f"Renews on {date_text}")
