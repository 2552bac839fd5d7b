"""[billing] Flow 5: no plan -> subscribe on Stripe's hosted checkout -> active; a failed renewal -> past due;
recovery -> active; cancel -> canceled; Stripe's duplicate deliveries change nothing; a declined card
stays on checkout.

Stripe is the fake from the stack: the test pays on its hosted page like a person, and plays Stripe's
side (failed renewals, cancellation, redeliveries) through its control API. The app learns about all
of it only through signed webhooks, mirrored by its worker, so after each Stripe-side change the test
waits for the app's plan state (``billing_state``) before looking at the page.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from e2e.support import Settle, StripeFakeClient, TenantHandle, WaitUntil
from pages.banners import BILLING_BANNER_TEST_ID
from pages.billing import BillingPage, CheckoutSuccessPage, billing_state, subscribe_and_pay
from pages.checkout import DECLINED_CARD, SUCCEEDING_CARD
from pages.inbox import InboxPage

pytestmark = pytest.mark.billing


def checkout_session_of(stripe: StripeFakeClient, tenant: TenantHandle) -> dict[str, Any]:
    """The one checkout session the app created for this tenant, as the fake recorded it."""
    [recorded] = stripe.checkout_sessions(client_reference_id=tenant.id)
    return recorded


def events_about(stripe: StripeFakeClient, *object_ids: str) -> list[dict[str, Any]]:
    """Events the fake emitted about these objects (a session, a subscription, its invoices)."""
    def about(event: dict[str, Any]) -> bool:
        obj = event["data"]["object"]
        return obj.get("id") in object_ids or obj.get("subscription") in object_ids
    return [event for event in stripe.events() if about(event)]


def wait_for_plan(page: Page, wait_until: WaitUntil, state: str) -> BillingPage:
    """Waits until the app has mirrored Stripe's change, then opens Billing and checks it shows it."""
    wait_until(lambda: billing_state(page) == state, message=f"the plan to become {state}")
    billing = BillingPage(page).goto()
    billing.expect_state(state)
    return billing


@pytest.mark.smoke
def test_subscribe_and_pay_turns_the_plan_active(owner_page: Page, tenant: TenantHandle,
                                                  stripe: StripeFakeClient) -> None:
    billing = BillingPage(owner_page).goto()
    billing.expect_state("none")
    billing.banners.expect_message(BILLING_BANNER_TEST_ID, "No plan yet — subscribe to keep texting back callers")

    checkout = billing.subscribe()
    session_id = checkout.session_id
    checkout.pay_with(SUCCEEDING_CARD)

    success = CheckoutSuccessPage(owner_page).expect_loaded()
    success.expect_plan_active()  # however late the webhook: the page waits for it by itself
    recorded = checkout_session_of(stripe, tenant)
    assert recorded["session"]["id"] == session_id
    assert recorded["params"]["client_reference_id"] == tenant.id
    assert recorded["params"]["mode"] == "subscription"
    InboxPage(owner_page).goto().banners.expect_state(BILLING_BANNER_TEST_ID, "active")


def test_failed_renewal_is_past_due_until_paid_and_cancel_ends_the_plan(
    owner_page: Page, tenant: TenantHandle, stripe: StripeFakeClient, wait_until: WaitUntil
) -> None:
    subscribe_and_pay(owner_page).expect_plan_active()
    subscription_id = checkout_session_of(stripe, tenant)["session"]["subscription"]

    stripe.payment_failed(subscription_id)
    billing = wait_for_plan(owner_page, wait_until, "past_due")
    billing.banners.expect_message(BILLING_BANNER_TEST_ID, "Payment failed — update your card")
    billing.expect_cannot_subscribe()

    stripe.payment_succeeded(subscription_id)
    wait_for_plan(owner_page, wait_until, "active")

    stripe.cancel(subscription_id)
    billing = wait_for_plan(owner_page, wait_until, "canceled")
    billing.expect_can_subscribe()


def test_duplicate_webhook_deliveries_change_nothing(
    owner_page: Page, tenant: TenantHandle, stripe: StripeFakeClient, wait_until: WaitUntil, settle: Settle
) -> None:
    subscribe_and_pay(owner_page).expect_plan_active()
    session = checkout_session_of(stripe, tenant)["session"]
    stripe.cancel(session["subscription"])
    wait_for_plan(owner_page, wait_until, "canceled")

    # Stripe delivers again everything it sent: checkout completed, subscription created (active), ...
    old_events = events_about(stripe, session["id"], session["subscription"])
    assert {e["type"] for e in old_events} >= {"checkout.session.completed", "customer.subscription.created",
                                               "invoice.paid", "customer.subscription.deleted"}
    for event in old_events:
        deliveries = stripe.redeliver(event["id"])["deliveries"]
        assert [d["status_code"] for d in deliveries] == [200], f"{event['type']} redelivery was not accepted"

    # ... and for a whole settle window the plan never leaves "canceled".
    settle.assert_no_new(lambda: [s for s in [billing_state(owner_page)] if s != "canceled"],
                         what="a plan state other than canceled")
    BillingPage(owner_page).goto().expect_state("canceled")


def test_declined_card_stays_on_checkout_with_its_message(owner_page: Page, tenant: TenantHandle,
                                                          stripe: StripeFakeClient) -> None:
    checkout = BillingPage(owner_page).goto().subscribe()

    checkout.pay_with(DECLINED_CARD)

    checkout.expect_declined("Your card was declined.")
    recorded = checkout_session_of(stripe, tenant)["session"]
    assert recorded["status"] == "open" and recorded["subscription"] is None
    assert billing_state(owner_page) == "none"
    BillingPage(owner_page).goto().expect_state("none")


def test_leaving_checkout_returns_to_billing_without_a_charge(owner_page: Page, tenant: TenantHandle,
                                                              stripe: StripeFakeClient) -> None:
    checkout = BillingPage(owner_page).goto().subscribe()

    checkout.cancel()

    billing = BillingPage(owner_page).expect_loaded()
    billing.expect_state("none")
    billing.expect_can_subscribe()
    assert checkout_session_of(stripe, tenant)["session"]["subscription"] is None
