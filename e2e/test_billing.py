"""[billing] Flow 5: no plan -> subscribe on Stripe's hosted checkout -> active; a failed renewal -> past due;
recovery -> active; canceled for the period's end -> still active, saying until when; cancel -> canceled;
Stripe's duplicate, reordered and late deliveries change nothing the owner can see (and cost one Stripe
look-up per event); a declined card stays on checkout; the billing portal cancels, and subscribing again
reuses the Stripe customer.

Stripe is the fake from the stack: the test pays on its hosted page like a person, and plays Stripe's
side (failed renewals, cancellation, redeliveries) through its control API. The app learns about all
of it only through signed webhooks, mirrored by its worker, so after each Stripe-side change the test
waits for the app's plan state (``billing_state``) before looking at the page.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.support import Settle, StripeFakeClient, TenantHandle, TenantSeeder, WaitUntil, drop_first, expect_banner_link
from fakes.stripe.objects import invoice_subscription
from fakes.stripe.signing import signature_header
from pages.banners import BILLING_BANNER_TEST_ID
from pages.billing import STATUS_API_PATH, BillingPage, CheckoutSuccessPage, billing_state, subscribe_and_pay
from pages.checkout import DECLINED_CARD, SUCCEEDING_CARD, HostedCheckoutPage

pytestmark = pytest.mark.billing


def checkout_session_of(stripe: StripeFakeClient, tenant: TenantHandle) -> dict[str, Any]:
    """The one checkout session the app created for this tenant, as the fake recorded it."""
    [recorded] = stripe.checkout_sessions(client_reference_id=tenant.id)
    return recorded


def events_about(stripe: StripeFakeClient, *object_ids: str) -> list[dict[str, Any]]:
    """Events the fake emitted about these objects (a session, a subscription, its invoices)."""
    def about(event: dict[str, Any]) -> bool:
        obj = event["data"]["object"]
        return obj.get("id") in object_ids or obj.get("subscription") in object_ids or (
            obj.get("object") == "invoice" and invoice_subscription(obj) in object_ids)
    return [event for event in stripe.events() if about(event)]


def subscription_lookups(stripe: StripeFakeClient, subscription_id: str) -> list[int]:
    """The app's GETs of this subscription at Stripe (journal ids): exactly one per Stripe event it processes."""
    return [entry["id"] for entry in stripe.requests(direction="inbound")
            if entry["method"] == "GET" and entry["path"] == f"/v1/subscriptions/{subscription_id}"]


def delivery_statuses(stripe: StripeFakeClient, event_type: str, subscription_id: str) -> list[int | None]:
    """The app's answers to each post (copies included) of this subscription's events of one type."""
    return [d["status"] for d in stripe.deliveries(event_type=event_type) if subscription_id in d["body"]]


def acknowledgements(stripe: StripeFakeClient, event_type: str, subscription_id: str) -> list[dict[str, Any]]:
    """The app's answers to each post (copies included) of this subscription's events of one type:
    {"received": true, "duplicate": ..., "ignored": ...}."""
    return [json.loads(d["response_body"]) for d in stripe.deliveries(event_type=event_type)
            if subscription_id in d["body"] and d["status"] is not None]


def renewal_date(stripe: StripeFakeClient, subscription_id: str, timezone: str) -> str:
    """Stripe's current period end of the subscription as the Billing page writes it ("March 3, 2027")."""
    local = period_end_of(stripe, subscription_id).astimezone(ZoneInfo(timezone))
    return f"{local:%B} {local.day}, {local.year}"


def period_end_of(stripe: StripeFakeClient, subscription_id: str) -> datetime:
    """Stripe's current period end of the subscription."""
    [subscription] = [s for s in stripe.subscriptions() if s["id"] == subscription_id]
    period_end = subscription.get("current_period_end") or subscription["items"]["data"][0]["current_period_end"]
    return datetime.fromtimestamp(int(period_end), UTC)


def mirrored(app_api: httpx.Client, wait_until: WaitUntil, stripe_status: str) -> dict[str, Any]:
    """The status API's answer once it reports the subscription with Stripe's own `stripe_status`."""
    def answer() -> dict[str, Any] | None:
        status: dict[str, Any] = app_api.get(STATUS_API_PATH).json()
        return status if (status["subscription"] or {}).get("status") == stripe_status else None
    found = wait_until(answer, message=f"the subscription {stripe_status} at the app")
    assert found is not None  # wait_until returns a truthy value
    return found


def wait_for_plan(page: Page, wait_until: WaitUntil, state: str) -> BillingPage:
    """Waits until the app has mirrored Stripe's change, then opens Billing and checks it shows it."""
    wait_until(lambda: billing_state(page) == state, message=f"the plan to become {state}")
    billing = BillingPage(page).goto()
    billing.expect_state(state)
    return billing


@pytest.mark.smoke
def test_subscribe_and_pay_turns_the_plan_active(owner_page: Page, tenant: TenantHandle, stripe: StripeFakeClient,
                                                  app_api: httpx.Client, wait_until: WaitUntil) -> None:
    # Error words in the address are not echoed (the page shows its own messages, by code only).
    owner_page.goto("/billing?error=Your+card+was+charged+%24999.+Call+555-0199")
    billing = BillingPage(owner_page).expect_loaded()
    expect(billing.error).to_have_count(0)
    billing.expect_state("none")
    billing.banners.expect_message(BILLING_BANNER_TEST_ID, "No plan yet — subscribe to keep texting back callers")
    expect_banner_link(owner_page, BILLING_BANNER_TEST_ID, "Choose a plan")
    # Twenty seconds on the success page without Stripe's news (none is coming: nothing was paid), on the page's
    # own clock (Playwright's page.clock): the page says it is slow and that the owner may leave.
    owner_page.clock.install()
    owner_page.goto(CheckoutSuccessPage.path)
    waiting = CheckoutSuccessPage(owner_page).expect_loaded()
    waiting.expect_waiting()
    waiting.expect_taking_longer(shown=False)
    owner_page.clock.fast_forward(21_000)
    waiting.expect_taking_longer()

    checkout = BillingPage(owner_page).goto().subscribe()
    session_id = checkout.session_id
    # Stripe's news waits 2 s: the success page meets the plan unpaid, is told so (its second look, at ~1.25 s),
    # keeps looking, and refreshes itself (heading, banner words, colour and link) when the news comes.
    stripe.configure_webhooks(delay_ms=2000)
    # ... and its first look at the plan is lost on the way (a network blip): it just asks again.
    dropped = drop_first(owner_page, f"**{STATUS_API_PATH}", method="GET")
    checkout.pay_with(SUCCEEDING_CARD)

    success = CheckoutSuccessPage(owner_page).expect_loaded()
    # However late the webhook, the page waits for it by itself: once the app has it, at the page's next look.
    wait_until(lambda: billing_state(owner_page) == "active", message="Stripe's late news")
    success.expect_plan_active()
    success.expect_taking_longer(shown=False)
    assert len(dropped) == 1, "the success page's first status request was not dropped"
    success.expect_reference(session_id)
    # A doctored return address shows no "reference" but Stripe's own kind of session id (cs_...).
    owner_page.goto(f"{CheckoutSuccessPage.path}?session_id=Call+555-0199+for+your+refund")
    doctored = CheckoutSuccessPage(owner_page).expect_loaded()
    doctored.expect_plan_active()
    doctored.expect_no_reference()
    recorded = checkout_session_of(stripe, tenant)
    assert recorded["session"]["id"] == session_id
    assert recorded["params"]["client_reference_id"] == tenant.id
    assert recorded["params"]["mode"] == "subscription"
    # What Stripe bills: one seat of the plan, on a subscription that names the tenant itself (so its own
    # events find the tenant even when they overtake the session's).
    [subscription] = stripe.subscriptions(customer=recorded["session"]["customer"])
    assert [item["quantity"] for item in subscription["items"]["data"]] == [1], subscription["items"]
    assert subscription["metadata"].get("tenant_id") == tenant.id, subscription["metadata"]
    doctored.go_to_inbox().banners.expect_state(BILLING_BANNER_TEST_ID, "active")
    # The status API agrees: active on this subscription, nothing to subscribe to, the portal available.
    status = app_api.get("/api/v1/billing/status").json()
    assert (status["state"], status["subscription"]["id"], status["subscription"]["status"], status["can_subscribe"],
            status["has_customer"]) == ("active", subscription["id"], "active", False, True), status
    # An integration opens the billing portal for the business's Stripe customer.
    portal = app_api.post("/api/v1/billing/portal")
    assert portal.status_code == 201 and "/portal/bps_" in portal.json()["url"], portal.text
    # An integration asking for a second checkout while the plan is active is refused (it would double-bill).
    again = app_api.post("/api/v1/billing/checkout")
    assert (again.status_code, again.json().get("code")) == (409, "already_subscribed"), again.text
    # Anyone can post to the webhook: an event not signed with the endpoint's secret is refused.
    forged = app_api.post("/webhooks/stripe", content=json.dumps(events_about(stripe, subscription["id"])[0]),
                          headers={"Stripe-Signature": f"t={int(time.time())},v1={'0' * 64}",
                                   "Content-Type": "application/json"})
    assert (forged.status_code, forged.json().get("code")) == (400, "invalid_signature"), forged.text
    # Signed with the endpoint's own secret (a leaked secret, a replaying proxy) but not shaped like an event:
    # a 400 that Stripe's dashboard shows, not a 500 further in, and the plan is untouched.
    [secret] = [e["secret"] for e in stripe.webhook_endpoints()
                if e["url"] == str(app_api.base_url).rstrip("/") + "/webhooks/stripe"]
    body = json.dumps({"id": "evt_malformed", "type": "customer.subscription.deleted", "created": int(time.time()),
                       "data": {"object": f"{subscription['id']} (a string where the subscription belongs)"}})
    malformed = app_api.post("/webhooks/stripe", content=body, headers={
        "Stripe-Signature": signature_header(body, secret), "Content-Type": "application/json"})
    assert (malformed.status_code, malformed.json().get("code")) == (400, "invalid_payload"), malformed.text
    # One of Stripe's own events about this plan, signed with the secret: accepted now (a redelivery), refused
    # when its signature is ten minutes old (a captured request replayed; Stripe's tolerance is five).
    event = json.dumps(events_about(stripe, subscription["id"])[-1])
    for signed_at, expected in ((int(time.time()), 200), (int(time.time()) - 600, 400)):
        replayed = app_api.post("/webhooks/stripe", content=event, headers={
            "Stripe-Signature": signature_header(event, secret, signed_at), "Content-Type": "application/json"})
        assert replayed.status_code == expected, (signed_at, replayed.text)
    assert replayed.json()["code"] == "invalid_signature", replayed.text
    assert app_api.get("/api/v1/billing/status").json()["state"] == "active"
    # Stripe's own moves. A free trial given in its Dashboard: still a plan, nothing to subscribe to...
    stripe.move_subscription(subscription["id"], "trialing")
    status = mirrored(app_api, wait_until, "trialing")
    assert (status["state"], status["can_subscribe"]) == ("active", False), status
    BillingPage(owner_page).goto().expect_state("active")
    # ... and the trial ending without a card pauses the subscription: the plan is over, a new one may start.
    stripe.move_subscription(subscription["id"], "paused")
    wait_for_plan(owner_page, wait_until, "canceled").expect_can_subscribe("Subscribe again")


def test_failed_renewal_is_past_due_until_paid_and_cancel_ends_the_plan(
    owner_page: Page, tenant: TenantHandle, stripe: StripeFakeClient, wait_until: WaitUntil, app_api: httpx.Client,
) -> None:
    subscribe_and_pay(owner_page).expect_plan_active()
    subscription_id = checkout_session_of(stripe, tenant)["session"]["subscription"]

    stripe.payment_failed(subscription_id)
    billing = wait_for_plan(owner_page, wait_until, "past_due")
    billing.banners.expect_message(BILLING_BANNER_TEST_ID, "Payment failed — update your card")
    expect_banner_link(owner_page, BILLING_BANNER_TEST_ID, "Update card")
    billing.expect_cannot_subscribe()
    billing.expect_can_manage()  # the card is updated in Stripe's portal
    # An integration is told the same, and a second plan while this one is unpaid is refused (it would double-bill).
    status = app_api.get("/api/v1/billing/status").json()
    assert (status["state"], status["can_subscribe"], status["has_customer"]) == ("past_due", False, True), status
    again = app_api.post("/api/v1/billing/checkout")
    assert (again.status_code, again.json().get("code")) == (409, "already_subscribed"), again.text
    # Stripe's retries run out and, as the business's Stripe settings say, it marks the subscription unpaid: for
    # the app still past due (the card is what to fix; no second plan).
    stripe.move_subscription(subscription_id, "unpaid")
    status = mirrored(app_api, wait_until, "unpaid")
    assert (status["state"], status["can_subscribe"]) == ("past_due", False), status
    billing = BillingPage(owner_page).goto()
    billing.expect_state("past_due")
    billing.expect_cannot_subscribe()
    # Stripe's portal is down (the app's one retry included): the owner is told so, about the portal.
    stripe.add_fault(r"/v1/billing_portal/sessions$", "status", method="POST", code=503, times=2)
    billing.manage_billing_button.click()
    billing.expect_error("Stripe is not answering right now, so the billing portal could not open. Please try again.")
    stripe.clear_faults()

    # The card is paid while Stripe's API fails the app's first four looks at the subscription: each of the two
    # events (invoice.paid, customer.subscription.updated) is looked up again a moment later (not given up),
    # and the plan is active all the same.
    since = stripe.journal_end()
    stripe.add_fault(rf"/v1/subscriptions/{subscription_id}$", "status", method="GET", code=500, times=4)
    stripe.payment_succeeded(subscription_id)
    wait_for_plan(owner_page, wait_until, "active")
    # One event at a time (a business's billing events are handled in order), so every look before the one that
    # made the plan active has its answer; a later one may still be on its way.
    looks = [entry["status"] for entry in stripe.requests(since_id=since, contains=subscription_id)
             if entry["method"] == "GET" and entry["path"] == f"/v1/subscriptions/{subscription_id}"]
    assert looks[:5] == [500, 500, 500, 500, 200], looks

    # Canceled for the end of the period (as Stripe's portal can): still active, and the page says until when.
    stripe.cancel_at_period_end(subscription_id)
    ends = f"Your plan ends on {renewal_date(stripe, subscription_id, tenant.timezone)}."
    wait_until(lambda: ends in BillingPage(owner_page).goto().plan_card.inner_text(), message="the plan's end date")
    BillingPage(owner_page).expect_state("active")
    # The status API says the same to an integration: ending, and when.
    subscription = owner_page.request.get(STATUS_API_PATH).json()["subscription"]
    ends_at = subscription["current_period_end"]
    assert subscription["cancel_at_period_end"] and ends_at, subscription
    assert datetime.fromisoformat(ends_at) == period_end_of(stripe, subscription_id), subscription

    stripe.cancel(subscription_id)
    billing = wait_for_plan(owner_page, wait_until, "canceled")
    billing.expect_can_subscribe("Subscribe again")


def test_duplicate_webhook_deliveries_change_nothing(
    owner_page: Page, tenant: TenantHandle, stripe: StripeFakeClient, wait_until: WaitUntil, settle: Settle
) -> None:
    subscribe_and_pay(owner_page).expect_plan_active()
    session = checkout_session_of(stripe, tenant)["session"]
    subscription_id = session["subscription"]

    # Stripe posts every webhook of the renewal failure and of the cancellation three times.
    stripe.configure_webhooks(duplicate=3)
    stripe.payment_failed(subscription_id)
    wait_for_plan(owner_page, wait_until, "past_due")
    stripe.cancel(subscription_id)
    wait_for_plan(owner_page, wait_until, "canceled")
    stripe.configure_webhooks(duplicate=1)

    events = events_about(stripe, session["id"], subscription_id)
    assert [e["type"] for e in events] == [
        "checkout.session.completed", "customer.subscription.created", "invoice.paid",
        "invoice.payment_failed", "customer.subscription.updated", "customer.subscription.deleted",
    ]
    wait_until(lambda: len(delivery_statuses(stripe, "customer.subscription.deleted", subscription_id)) == 3,
               message="the three copies of the cancellation")
    assert delivery_statuses(stripe, "customer.subscription.deleted", subscription_id) == [200, 200, 200]
    # The app's answer to each copy says which one it took and which it ignored as a duplicate.
    assert [a["duplicate"] for a in acknowledgements(stripe, "customer.subscription.deleted", subscription_id)] == [
        False, True, True]
    # One look-up at Stripe per event, however many copies arrived: a copy processed again would add one.
    wait_until(lambda: len(subscription_lookups(stripe, subscription_id)) >= len(events), message="every event mirrored")

    # Later, Stripe delivers again everything it ever sent (the active subscription among it)...
    for event in events:
        deliveries = stripe.redeliver(event["id"])["deliveries"]
        assert [d["status_code"] for d in deliveries] == [200], f"{event['type']} redelivery was not accepted"

    # ... and for a whole settle window nothing is looked up again and the plan never leaves "canceled".
    settle.assert_no_new(lambda: subscription_lookups(stripe, subscription_id), what="a second look-up of an event")
    assert len(subscription_lookups(stripe, subscription_id)) == len(events)
    billing = BillingPage(owner_page).goto()
    billing.expect_state("canceled")
    billing.banners.expect_message(BILLING_BANNER_TEST_ID,
                                   "Your plan is canceled — subscribe again to keep texting back callers")


def zone_a_day_off_utc(now: datetime) -> str:
    """A time zone whose date is not UTC's at this time of day: Kiritimati (UTC+14) is a day ahead from 10:00 UTC,
    Pago Pago (UTC-11) a day behind until 11:00 UTC. Stripe's period end has the subscription's time of day, so a
    renewal date written as UTC's instead of the business's shows another day there (in New York only between
    00:00 and 05:00 UTC). Picked when the tests are collected, with ten minutes' margin; collected in the ten
    minutes before midnight UTC, Pago Pago's date differs only once midnight has passed."""
    minutes = now.hour * 60 + now.minute
    return "Pacific/Kiritimati" if 10 * 60 + 30 <= minutes < 23 * 60 + 50 else "Pacific/Pago_Pago"


@pytest.mark.tenant(timezone=zone_a_day_off_utc(datetime.now(UTC)))
def test_reordered_and_late_deliveries_never_show_a_stale_plan(
    owner_page: Page, tenant: TenantHandle, stripe: StripeFakeClient, wait_until: WaitUntil
) -> None:
    # Checkout's three webhooks arrive newest first: the invoice and the subscription before the session.
    stripe.configure_webhooks(reorder=True)
    subscribe_and_pay(owner_page).expect_plan_active()
    subscription_id = checkout_session_of(stripe, tenant)["session"]["subscription"]

    # A renewal fails and is paid again at Stripe before the app hears of the failure: every webhook
    # waits 400 ms in Stripe's queue (both operations are done at Stripe well before the first one
    # leaves), and each operation's pair arrives reversed.
    stripe.configure_webhooks(reorder=True, delay_ms=400)
    lookups_before = len(subscription_lookups(stripe, subscription_id))
    failed = stripe.payment_failed(subscription_id)
    recovered = stripe.payment_succeeded(subscription_id)
    late_events = len(failed["events"]) + len(recovered["events"])
    assert late_events == 4

    seen: list[str] = []

    def every_late_event_mirrored() -> bool:
        seen.append(billing_state(owner_page))
        return len(subscription_lookups(stripe, subscription_id)) >= lookups_before + late_events

    wait_until(every_late_event_mirrored, timeout=30, message="the late webhooks to be mirrored")
    billing = wait_for_plan(owner_page, wait_until, "active")
    # The failure was already paid when its news arrived: the owner was never told "Payment failed".
    assert "past_due" not in seen, f"the plan showed a stale state while late webhooks arrived: {seen}"
    assert len(subscription_lookups(stripe, subscription_id)) == lookups_before + late_events
    billing.banners.expect_message(BILLING_BANNER_TEST_ID, "Your NeverMissCall plan is active.")
    billing.expect_renewal(f"Renews on {renewal_date(stripe, subscription_id, tenant.timezone)}.")


def test_cancel_in_the_billing_portal_then_subscribe_again(
    owner_page: Page, tenant: TenantHandle, stripe: StripeFakeClient, wait_until: WaitUntil, seeder: TenantSeeder,
    app_api: httpx.Client,
) -> None:
    success = subscribe_and_pay(owner_page)
    success.expect_plan_active()
    [first] = stripe.checkout_sessions(client_reference_id=tenant.id)
    customer_id, first_subscription = first["session"]["customer"], first["session"]["subscription"]
    assert customer_id and first_subscription

    billing = success.go_to_billing()  # the success page's own way on
    billing.expect_state("active")
    billing.expect_cannot_subscribe()
    billing.expect_renewal(f"Renews on {renewal_date(stripe, first_subscription, tenant.timezone)}.")

    portal = billing.manage_billing()  # Stripe's portal, for this business's customer
    portal.expect_subscriptions(["active"])
    portal.cancel_subscription()
    portal.expect_subscriptions(["canceled"])
    portal.return_to_app()
    BillingPage(owner_page).expect_loaded()

    billing = wait_for_plan(owner_page, wait_until, "canceled")
    billing.banners.expect_message(BILLING_BANNER_TEST_ID,
                                   "Your plan is canceled — subscribe again to keep texting back callers")
    expect_banner_link(owner_page, BILLING_BANNER_TEST_ID, "Subscribe again")
    billing.expect_can_subscribe("Subscribe again")
    billing.expect_can_manage()
    # The status API says the same: a new plan may be started, and the portal still has the Stripe customer.
    status = app_api.get("/api/v1/billing/status").json()
    assert (status["state"], status["can_subscribe"], status["has_customer"]) == ("canceled", True, True), status

    checkout = billing.subscribe()
    checkout.pay_with(SUCCEEDING_CARD)
    CheckoutSuccessPage(owner_page).expect_loaded().expect_plan_active()

    first_again, second = stripe.checkout_sessions(client_reference_id=tenant.id)
    assert first_again["session"]["id"] == first["session"]["id"]
    assert second["params"]["customer"] == customer_id, "the second checkout must reuse the Stripe customer"
    second_subscription = second["session"]["subscription"]
    assert second_subscription not in (None, first_subscription)
    # One canceled and one active subscription: the plan is active, and the page speaks of the new one.
    billing = BillingPage(owner_page).goto()
    billing.expect_state("active")
    billing.expect_cannot_subscribe()
    billing.expect_renewal(f"Renews on {renewal_date(stripe, second_subscription, tenant.timezone)}.")
    billing.manage_billing().expect_subscriptions(["canceled", "active"])
    # The new plan's renewal then fails: beside the canceled one, that makes the business past due, not canceled.
    stripe.payment_failed(second_subscription)
    wait_for_plan(owner_page, wait_until, "past_due")
    # The business leaves (its tenant is deleted): Stripe must stop billing it. The live subscription is
    # canceled there; the one already canceled is left alone.
    owner_page.goto("about:blank")  # no page of the deleted business keeps polling
    since = stripe.journal_end()
    seeder.delete(tenant)
    wait_until(lambda: {s["id"]: s["status"] for s in stripe.subscriptions(customer=customer_id)}
               == {first_subscription: "canceled", second_subscription: "canceled"},
               message="both subscriptions canceled at Stripe")
    cancels = [entry["path"] for entry in stripe.requests(since_id=since) if entry["method"] == "DELETE"]
    assert cancels == [f"/v1/subscriptions/{second_subscription}"], cancels
    # The owner's session went with the business: refused as a session nobody has any more.
    gone = app_api.get("/api/v1/me")
    assert (gone.status_code, gone.json()["code"]) == (401, "invalid_token"), gone.text
    # Stripe's word of that cancellation reaches an app that no longer knows the business: taken, and ignored.
    wait_until(lambda: acknowledgements(stripe, "customer.subscription.deleted", second_subscription),
               message="the cancellation's webhook answered")
    assert acknowledgements(stripe, "customer.subscription.deleted", second_subscription) == [
        {"received": True, "duplicate": False, "ignored": True}]


def test_declined_card_stays_on_checkout_and_another_card_pays(owner_page: Page, tenant: TenantHandle,
                                                          stripe: StripeFakeClient) -> None:
    billing = BillingPage(owner_page).goto()
    # Subscribe pressed again before Stripe's page opened (the form posted twice, then clicked): one checkout.
    assert billing.post_subscribe_form() == billing.post_subscribe_form()
    checkout = billing.subscribe()

    checkout.pay_with(DECLINED_CARD)

    checkout.expect_declined("Your card was declined.")
    recorded = checkout_session_of(stripe, tenant)["session"]
    assert recorded["status"] == "open" and recorded["subscription"] is None
    assert events_about(stripe, recorded["id"]) == [], "a declined card completes nothing at Stripe"
    assert billing_state(owner_page) == "none"

    # The owner types another card on the same page and pays.
    retry = HostedCheckoutPage(owner_page)
    assert retry.session_id == recorded["id"]
    retry.pay_with(SUCCEEDING_CARD)
    CheckoutSuccessPage(owner_page).expect_loaded().expect_plan_active()
    paid = checkout_session_of(stripe, tenant)["session"]
    assert paid["status"] == "complete" and paid["subscription"]


@pytest.mark.allow_app_errors("Stripe refuses, then does not answer, a checkout asked for through the API: 502 on purpose",
                              only=r"POST /api/v1/billing/checkout -> 502")
def test_leaving_checkout_returns_to_billing_without_a_charge(owner_page: Page, tenant: TenantHandle,
                                                              stripe: StripeFakeClient, app_api: httpx.Client) -> None:
    # Stripe fails (a 500, its usual "api_error"; the app's one retry included): the owner is told to try again,
    # not that Stripe refused. (The billing portal flow has Stripe answer 503.)
    stripe.add_fault(r"/v1/checkout/sessions$", "status", method="POST", code=500, times=2)
    billing = BillingPage(owner_page).goto()
    billing.subscribe_button.click()
    billing.expect_error("Stripe is not answering right now, so checkout could not start. "
                         "Nothing was charged — please try again.")
    billing.expect_state("none")
    # Stripe refuses the request itself (a 400): retrying cannot help, and the owner is told so.
    stripe.add_fault(r"/v1/checkout/sessions$", "status", method="POST", code=400, times=1)
    billing.subscribe_button.click()
    billing.expect_error("Stripe refused to start checkout, so nothing was charged.")
    # An integration asking through the API is told the same: Stripe's refusal, and that nothing was charged.
    stripe.add_fault(r"/v1/checkout/sessions$", "status", method="POST", code=400, times=1)
    refused = app_api.post("/api/v1/billing/checkout")
    assert (refused.status_code, refused.json().get("code"), refused.json().get("retryable")) == (
        502, "stripe_rejected", False), refused.text
    assert refused.json()["detail"].endswith(". Nothing was charged."), refused.text
    # Stripe not answering (a 500), busy with the same object (a 409, a lock timeout) or rate-limiting (a 429),
    # through the API: worth a retry, and said in the words the owner gets.
    for code in (500, 409, 429):
        stripe.add_fault(r"/v1/checkout/sessions$", "status", method="POST", code=code, times=2)
        unanswered = app_api.post("/api/v1/billing/checkout")
        assert (unanswered.status_code, unanswered.json().get("code"), unanswered.json().get("retryable"),
                unanswered.json().get("detail")) == (
            502, "stripe_unavailable", True, "Stripe is not answering right now, so checkout could not start. "
                                             "Nothing was charged — please try again."), (code, unanswered.text)
        stripe.clear_faults()  # (a 429 is not retried at once, so its second fault is left unused)

    checkout = billing.subscribe()

    checkout.cancel()

    billing = BillingPage(owner_page).expect_loaded()
    billing.expect_checkout_canceled()
    billing.expect_state("none")
    billing.expect_can_subscribe("Subscribe")
    billing.expect_cannot_manage()  # no Stripe customer yet
    # A Manage billing form posted anyway (from a page of another tab, say) is told why, not that Stripe is down.
    owner_page.goto(billing.post_manage_billing_form())
    billing.expect_error("There is no Stripe customer for this business yet: subscribe first.")
    portal = app_api.post("/api/v1/billing/portal")
    assert (portal.status_code, portal.json().get("code")) == (409, "no_customer"), portal.text
    assert checkout_session_of(stripe, tenant)["session"]["subscription"] is None
    # An integration retrying a checkout request with its Idempotency-Key gets the same session back, not a second.
    first, retried = (app_api.post("/api/v1/billing/checkout", headers={"Idempotency-Key": "retry-after-timeout"})
                      for _ in range(2))
    assert first.status_code == 201 and retried.json()["session_id"] == first.json()["session_id"], retried.text
    assert len(stripe.checkout_sessions(client_reference_id=tenant.id)) == 2  # the page's and this one
