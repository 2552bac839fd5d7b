"""Stripe's hosted checkout page (served by the Stripe fake in the suite; by checkout.stripe.com for real).

It is reached by redirect from the app's "Subscribe" button, so it has no goto(): its URL is whatever
Stripe returned for the checkout session. It is located the way a person reads it: the "Subscribe to
<plan>" heading, the "Card number" field, the "Pay" and "Cancel" buttons, and an alert for a decline.
"""

from __future__ import annotations

import re
from typing import Self

from playwright.sync_api import Locator, expect

from pages.base import BasePage

#: Stripe's documented test cards (the fake honours the same numbers).
SUCCEEDING_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
DECLINED_MESSAGE = "Your card was declined."


class HostedCheckoutPage(BasePage):
    path = "/checkout/"
    heading_name = re.compile(r"^Subscribe to ")

    def url_pattern(self) -> re.Pattern[str]:
        # No named groups: Playwright hands the pattern to the browser's RegExp, which spells them differently.
        # After a declined Pay the form is shown again at .../pay.
        return re.compile(r"/checkout/(cs_[A-Za-z0-9_]+)(/pay)?$")

    def goto(self) -> Self:
        raise TypeError("the hosted checkout is reached through BillingPage.subscribe(), not by URL")

    @property
    def session_id(self) -> str:
        """The checkout session shown (read from the address bar)."""
        found = self.url_pattern().search(self.page.url)
        if found is None:
            raise AssertionError(f"not on a hosted checkout page: {self.page.url}")
        return found.group(1)

    @property
    def card_number(self) -> Locator:
        return self.page.get_by_label("Card number")

    @property
    def pay_button(self) -> Locator:
        return self.page.get_by_role("button", name="Pay", exact=True)

    @property
    def cancel_button(self) -> Locator:
        return self.page.get_by_role("button", name="Cancel", exact=True)

    @property
    def decline_message(self) -> Locator:
        return self.page.get_by_role("alert")

    @property
    def amount(self) -> Locator:
        return self.page.get_by_text(re.compile(r"^\$\d+\.\d{2}"))

    def pay_with(self, card: str) -> None:
        """Types the card number and presses Pay; where that leads is up to the card (and the test)."""
        self.card_number.fill(card)
        self.pay_button.click()

    def cancel(self) -> None:
        """Leaves checkout without paying (Stripe sends the customer to the cancel URL)."""
        self.cancel_button.click()

    def expect_declined(self, message: str = DECLINED_MESSAGE) -> None:
        """Still on checkout, the card field flagged and the reason shown."""
        expect(self.decline_message).to_have_text(message)
        expect(self.card_number).to_have_attribute("aria-invalid", "true")
        self.expect_loaded()
