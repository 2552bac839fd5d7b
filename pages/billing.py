"""The owner's Billing page, the checkout success page, and the billing journeys that span Stripe.

The plan state is mirrored from Stripe's webhooks, which arrive asynchronously; a test that made Stripe
change something (a failed renewal at the fake, say) waits for the app to have it with
``wait_until(lambda: billing_state(page) == "past_due")`` and then looks at the page, which is
server-rendered and so shows it on the next load.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from pages.banners import BILLING_BANNER_TEST_ID
from pages.base import BasePage
from pages.billing_portal import BillingPortalPage
from pages.checkout import SUCCEEDING_CARD, HostedCheckoutPage
from pages.errors import ErrorPage
from pages.inbox import InboxPage

PLAN_STATE_TEST_ID = "billing-state"
BILLING_ERROR_TEST_ID = "billing-error"
CHECKOUT_CANCELED_TEST_ID = "checkout-canceled"
CHECKOUT_RESULT_TEST_ID = "checkout-result"
STATUS_API_PATH = "/api/v1/billing/status"
#: The longest the checkout success page waits between two looks at the plan (app/static/billing.js MAX_DELAY_MS).
LOOK_GAP_MAX_MS = 5_000
#: What the plan badge says for each state.
STATE_LABELS = {"none": "No plan", "active": "Active", "past_due": "Past due", "canceled": "Canceled"}
# How urgent the billing banner looks in each state (its colour: banner-info is blue, banner-danger red, ...).
BANNER_LEVELS = {"none": "info", "active": "success", "past_due": "warning", "canceled": "danger"}


def billing_state(page: Page) -> str:
    """The plan state the app holds now (none / active / past_due / canceled), read through its JSON API
    with the page's own session — for waiting on a webhook, not for asserting what the user sees."""
    response = page.request.get(STATUS_API_PATH)
    if not response.ok:
        raise AssertionError(f"GET {STATUS_API_PATH} answered {response.status}: {response.text()}")
    return str(response.json()["state"])


class BillingPage(BasePage):
    path = "/billing"
    heading_name = "Billing"
    title = "Billing"

    @property
    def plan_state(self) -> Locator:
        """The badge next to "Your plan"; its data-state is none / active / past_due / canceled."""
        return self.page.get_by_test_id(PLAN_STATE_TEST_ID)

    @property
    def subscribe_button(self) -> Locator:
        return self.page.get_by_role("button", name=re.compile(r"^Subscribe( again)?$"))

    @property
    def manage_billing_button(self) -> Locator:
        return self.page.get_by_role("button", name="Manage billing")

    @property
    def error(self) -> Locator:
        return self.page.get_by_test_id(BILLING_ERROR_TEST_ID)

    @property
    def checkout_canceled_notice(self) -> Locator:
        return self.page.get_by_test_id(CHECKOUT_CANCELED_TEST_ID)

    def subscribe(self) -> HostedCheckoutPage:
        """Presses Subscribe and lands on Stripe's hosted checkout."""
        self.subscribe_button.click()
        return HostedCheckoutPage(self.page).expect_loaded()

    def post_subscribe_form(self) -> str:
        """Posts the Subscribe form as the browser does (its hidden fields included), as a second click would
        before Stripe's page opens; returns where the answer leads (the checkout page's address)."""
        form = self.page.locator("form").filter(has=self.subscribe_button)
        fields: dict[str, str | float | bool] = {
            name: form.locator(f"input[name={name}]").input_value() for name in ("csrf_token", "attempt")}
        answer = self.page.request.post("/billing/checkout", form=fields, max_redirects=0)
        assert answer.status == 303, f"the Subscribe form answered {answer.status}: {answer.text()[:200]}"
        return answer.headers["location"]

    def post_manage_billing_form(self) -> str:
        """Posts the Manage billing form as a page loaded before the plan changed would (this page may not show the
        button); returns where the answer leads."""
        token = self.page.locator("input[name=csrf_token]").first.input_value()
        answer = self.page.request.post("/billing/portal", form={"csrf_token": token}, max_redirects=0)
        assert answer.status == 303, f"the Manage billing form answered {answer.status}: {answer.text()[:200]}"
        return answer.headers["location"]

    @property
    def plan_card(self) -> Locator:
        return self.page.get_by_role("region", name="Your plan")

    def manage_billing(self) -> BillingPortalPage:
        """Opens Stripe's billing portal (leaves the app)."""
        self.manage_billing_button.click()
        return BillingPortalPage(self.page).expect_loaded()

    def open_as_tech(self) -> ErrorPage:
        """A TECH opening Billing gets the 403 page."""
        self.page.goto(self.path)
        denied = ErrorPage(self.page)
        denied.expect_forbidden()
        return denied

    def expect_state(self, state: str) -> None:
        """The plan badge (its state and its words) and the banner agree on the state."""
        expect(self.plan_state).to_have_attribute("data-state", state)
        expect(self.plan_state).to_have_text(STATE_LABELS[state])
        self.banners.expect_state(BILLING_BANNER_TEST_ID, state)
        self.banners.expect_level(BILLING_BANNER_TEST_ID, BANNER_LEVELS[state])

    def expect_can_subscribe(self, label: str | None = None) -> None:
        """The Subscribe button is offered ("Subscribe", or "Subscribe again" after a cancellation)."""
        expect(self.subscribe_button).to_be_visible()
        if label is not None:
            expect(self.subscribe_button).to_have_text(label)

    def expect_cannot_subscribe(self) -> None:
        expect(self.subscribe_button).to_have_count(0)

    def expect_renewal(self, text: str) -> None:
        """The line under an active plan: "Renews on March 3, 2027" (in the business's time zone)."""
        expect(self.plan_card).to_contain_text(text)

    def expect_can_manage(self) -> None:
        expect(self.manage_billing_button).to_be_visible()

    def expect_cannot_manage(self) -> None:
        expect(self.manage_billing_button).to_have_count(0)

    def expect_checkout_canceled(self) -> None:
        expect(self.checkout_canceled_notice).to_have_text("Checkout canceled — you were not charged.")

    def expect_error(self, text: str) -> None:
        expect(self.error).to_contain_text(text)


class CheckoutSuccessPage(BasePage):
    """Where Stripe sends the owner after paying; it waits for the webhook by itself, then says so."""

    path = "/billing/success"
    heading_name = re.compile(r"^(Finishing up…|You're all set)$")

    @property
    def result(self) -> Locator:
        return self.page.get_by_test_id(CHECKOUT_RESULT_TEST_ID)

    @property
    def waiting_heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1, name="Finishing up…")

    @property
    def all_set_heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1, name="You're all set")

    def expect_waiting(self) -> None:
        """No news from Stripe yet: the page says it is waiting for it and will update by itself."""
        expect(self.waiting_heading).to_be_visible()
        expect(self.result.get_by_text(
            "Thanks! Stripe is confirming your payment. This page updates by itself in a few seconds.")).to_be_visible()
        expect(self.all_set_heading).to_be_hidden()

    def expect_plan_active(self) -> None:
        """The page noticed the webhook (however late) and shows the active plan, banner included. Once the app
        has the plan active, the page notices at its next look: within LOOK_GAP_MAX_MS (its backoff's ceiling)."""
        expect(self.all_set_heading).to_be_visible(timeout=LOOK_GAP_MAX_MS + 2_000)
        expect(self.waiting_heading).to_be_hidden()  # one outcome shown, not two
        expect(self.result.get_by_text(  # what the plan now does, in words
            "Your NeverMissCall plan is active. Every caller you miss gets a text back right away.")).to_be_visible()
        for name, href in (("Go to your inbox", "/inbox"), ("View billing", "/billing")):  # and where to go next
            expect(self.result.get_by_role("link", name=name)).to_have_attribute("href", href)
        expect(self.page).to_have_title(re.compile(r"^Plan active"))  # the browser tab says it too
        expect(self.result).to_have_attribute("data-state", "active")
        # The banner the page loaded with ("No plan yet", "Choose a plan") is rewritten in place, words and link.
        self.banners.expect_state(BILLING_BANNER_TEST_ID, "active")
        self.banners.expect_message(BILLING_BANNER_TEST_ID, "Your NeverMissCall plan is active.")
        self.banners.expect_no_link(BILLING_BANNER_TEST_ID)
        self.banners.expect_level(BILLING_BANNER_TEST_ID, BANNER_LEVELS["active"])

    def expect_taking_longer(self, shown: bool = True) -> None:
        """The reassurance the page gives after 20 s without Stripe's news: slow, and the owner may leave."""
        note = self.page.get_by_text("This is taking a little longer than usual. You can leave this page")
        if shown:
            expect(note).to_be_visible()
        else:
            expect(note).to_be_hidden()

    def expect_reference(self, session_id: str) -> None:
        """The checkout session paid, shown for support questions."""
        expect(self.result).to_contain_text(f"Checkout reference: {session_id}")

    def expect_no_reference(self) -> None:
        expect(self.result).not_to_contain_text("Checkout reference")

    def go_to_billing(self) -> BillingPage:
        self.page.get_by_role("link", name="View billing").click()
        return BillingPage(self.page).expect_loaded()

    def go_to_inbox(self) -> InboxPage:
        self.page.get_by_role("link", name="Go to your inbox").click()
        return InboxPage(self.page).expect_loaded()


def subscribe_and_pay(page: Page, card: str = SUCCEEDING_CARD) -> CheckoutSuccessPage:
    """Billing -> Subscribe -> pay on Stripe's checkout -> back on the app's success page."""
    checkout = BillingPage(page).goto().subscribe()
    checkout.pay_with(card)
    return CheckoutSuccessPage(page).expect_loaded()
