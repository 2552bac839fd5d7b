"""Starting checkout: the session the app creates at Stripe (through the SDK), and what happens when Stripe fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from app.billing.models import BillSubscription, StripeWebhookEvent
from app.outbox.models import OutboxEvent
from tests.billing.conftest import PRICE_ID, Billing
from tests.conftest import csrf_of

MakeTenant = Callable[..., dict[str, Any]]
LoginAs = Callable[[dict[str, Any], str], TestClient]


def test_checkout_session_carries_tenant_mode_price_and_urls(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    tenant = make_tenant()
    owner = login_as(tenant, "OWNER")

    created = billing.checkout(owner)

    assert created["session_id"].startswith("cs_test_")
    assert created["url"] == f"{billing.stripe.base_url}/checkout/{created['session_id']}"
    [recorded] = billing.stripe.control.checkout_sessions(client_reference_id=tenant["id"])
    params = recorded["params"]
    assert params["mode"] == "subscription"
    assert params["client_reference_id"] == tenant["id"]
    assert params["metadata"] == {"tenant_id": tenant["id"]}
    assert params["subscription_data"] == {"metadata": {"tenant_id": tenant["id"]}}
    assert params["line_items"] == [{"price": PRICE_ID, "quantity": "1"}]
    assert params["success_url"] == "http://testserver/billing/success?session_id={CHECKOUT_SESSION_ID}"
    assert params["cancel_url"] == "http://testserver/billing?canceled=1"


def test_checkout_sends_an_idempotency_key_and_a_repeat_gets_the_same_session(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    owner = login_as(make_tenant(), "OWNER")
    headers = {"X-CSRF-Token": csrf_of(owner), "Idempotency-Key": "attempt-0001"}

    first = owner.post("/api/v1/billing/checkout", headers=headers)
    again = owner.post("/api/v1/billing/checkout", headers=headers)
    other = owner.post("/api/v1/billing/checkout", headers={**headers, "Idempotency-Key": "attempt-0002"})

    assert first.status_code == again.status_code == other.status_code == 201
    assert again.json()["session_id"] == first.json()["session_id"]
    assert other.json()["session_id"] != first.json()["session_id"]
    creates = [r for r in billing.stripe.control.requests(direction="inbound")
               if r["method"] == "POST" and r["path"] == "/v1/checkout/sessions"]
    keys = [next(v for k, v in r["headers"].items() if k.lower() == "idempotency-key") for r in creates]
    assert keys[0] == keys[1] != keys[2]
    assert keys[0].startswith("nmc-checkout-")


def test_billing_page_subscribe_button_redirects_to_the_hosted_checkout(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    tenant = make_tenant()
    owner = login_as(tenant, "OWNER")
    page = owner.get("/billing")
    assert page.status_code == 200
    assert 'data-testid="billing-state" data-state="none"' in page.text
    assert ">Subscribe</button>" in page.text

    response = owner.post("/billing/checkout", data={"csrf_token": csrf_of(owner), "attempt": "form-attempt-1"},
                          follow_redirects=False)

    assert response.status_code == 303
    [recorded] = billing.stripe.control.checkout_sessions(client_reference_id=tenant["id"])
    assert response.headers["location"] == recorded["session"]["url"]


def test_stripe_5xx_during_checkout_shows_a_retryable_message_and_writes_nothing(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    tenant = make_tenant()
    owner = login_as(tenant, "OWNER")
    outbox_before = billing.count(OutboxEvent, tenant_id=tenant["id"])
    # More failures than the SDK's one retry, so the error reaches the user.
    billing.stripe.control.add_fault(r"/v1/checkout/sessions", "status", method="POST", code=500, times=4)

    response = owner.post("/billing/checkout", data={"csrf_token": csrf_of(owner), "attempt": "form-attempt-2"},
                          follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/billing?error=stripe_unavailable"
    page = owner.get(response.headers["location"])
    assert page.status_code == 200
    assert 'role="alert"' in page.text and "please try again" in page.text
    assert ">Subscribe</button>" in page.text  # the user can simply retry

    api = owner.post("/api/v1/billing/checkout", headers={"X-CSRF-Token": csrf_of(owner)})
    assert api.status_code == 502
    assert api.json()["code"] == "stripe_unavailable"
    assert api.json()["retryable"] is True

    assert billing.tenant_state(tenant["id"]) == "none"
    assert billing.count(BillSubscription) == 0
    assert billing.count(StripeWebhookEvent) == 0
    assert billing.count(OutboxEvent, tenant_id=tenant["id"]) == outbox_before

    # Stripe is back: the same button works.
    retried = owner.post("/billing/checkout", data={"csrf_token": csrf_of(owner), "attempt": "form-attempt-3"},
                         follow_redirects=False)
    assert retried.status_code == 303
    assert retried.headers["location"].startswith(f"{billing.stripe.base_url}/checkout/cs_test_")


def test_one_stripe_5xx_is_absorbed_by_the_sdk_retry_without_a_second_session(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    tenant = make_tenant()
    owner = login_as(tenant, "OWNER")
    billing.stripe.control.add_fault(r"/v1/checkout/sessions", "status", method="POST", code=503, times=1)

    created = billing.checkout(owner)

    assert [s["session"]["id"] for s in billing.stripe.control.checkout_sessions(client_reference_id=tenant["id"])] \
        == [created["session_id"]]


def test_stripe_rejecting_the_request_is_not_retryable(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    owner = login_as(make_tenant(), "OWNER")
    billing.settings.stripe_price_id = "price_does_not_exist"

    api = owner.post("/api/v1/billing/checkout", headers={"X-CSRF-Token": csrf_of(owner)})

    assert api.status_code == 502
    assert api.json()["code"] == "stripe_rejected"
    assert api.json()["retryable"] is False


def test_malformed_idempotency_key_is_422(billing: Billing, make_tenant: MakeTenant, login_as: LoginAs) -> None:
    owner = login_as(make_tenant(), "OWNER")
    response = owner.post("/api/v1/billing/checkout",
                          headers={"X-CSRF-Token": csrf_of(owner), "Idempotency-Key": "no spaces!"})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert billing.stripe.control.checkout_sessions() == []


def test_checkout_needs_csrf_with_a_cookie_session(billing: Billing, make_tenant: MakeTenant, login_as: LoginAs) -> None:
    owner = login_as(make_tenant(), "OWNER")
    assert owner.post("/api/v1/billing/checkout").status_code == 403
    assert owner.post("/billing/checkout", data={"attempt": "form-attempt-4"}).status_code == 403
    assert billing.stripe.control.checkout_sessions() == []


def test_subscribed_tenant_cannot_start_a_second_checkout(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    tenant = make_tenant()
    owner = login_as(tenant, "OWNER")
    billing.subscribe(owner)
    assert billing.tenant_state(tenant["id"]) == "active"

    api = owner.post("/api/v1/billing/checkout", headers={"X-CSRF-Token": csrf_of(owner)})
    form = owner.post("/billing/checkout", data={"csrf_token": csrf_of(owner)}, follow_redirects=False)

    assert api.status_code == 409 and api.json()["code"] == "already_subscribed"
    assert form.headers["location"] == "/billing?error=already_subscribed"
    assert len(billing.stripe.control.checkout_sessions(client_reference_id=tenant["id"])) == 1


def test_returning_customer_checks_out_as_the_same_stripe_customer(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    tenant = make_tenant()
    owner = login_as(tenant, "OWNER")
    first = billing.subscribe(owner)
    billing.deliver_all(billing.stripe.control.cancel(first)["events"])
    assert billing.tenant_state(tenant["id"]) == "canceled"
    customer = billing.subscription_row(first).stripe_customer_id  # type: ignore[union-attr]

    billing.checkout(owner)

    sessions = billing.stripe.control.checkout_sessions(client_reference_id=tenant["id"])
    assert sessions[-1]["params"]["customer"] == customer


def test_portal_opens_for_the_tenants_customer(billing: Billing, make_tenant: MakeTenant, login_as: LoginAs) -> None:
    tenant = make_tenant()
    owner = login_as(tenant, "OWNER")
    assert owner.post("/api/v1/billing/portal", headers={"X-CSRF-Token": csrf_of(owner)}).json()["code"] == "no_customer"
    subscription_id = billing.subscribe(owner)

    response = owner.post("/billing/portal", data={"csrf_token": csrf_of(owner)}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{billing.stripe.base_url}/portal/bps_")
    portal_calls = [r for r in billing.stripe.control.requests(direction="inbound")
                    if r["path"] == "/v1/billing_portal/sessions"]
    assert len(portal_calls) == 1
    customer = billing.subscription_row(subscription_id).stripe_customer_id  # type: ignore[union-attr]
    assert customer and customer in portal_calls[0]["body"]
    assert "return_url=http%3A%2F%2Ftestserver%2Fbilling" in portal_calls[0]["body"]


def test_without_stripe_configured_subscribe_explains_instead_of_failing(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    billing.settings.stripe_api_key = ""
    tenant = make_tenant()
    owner = login_as(tenant, "OWNER")

    form = owner.post("/billing/checkout", data={"csrf_token": csrf_of(owner)}, follow_redirects=False)
    api = owner.post("/api/v1/billing/checkout", headers={"X-CSRF-Token": csrf_of(owner)})

    assert form.headers["location"] == "/billing?error=billing_not_configured"
    assert "Billing is not configured" in owner.get(form.headers["location"]).text
    # 503, not a 502: Stripe did not fail, this server was never set up to sell (nothing was asked of it).
    assert api.status_code == 503, api.text
    assert api.json()["code"] == "billing_not_configured" and api.json()["retryable"] is False
    assert api.json()["detail"].startswith("Billing is not configured")
    assert billing.stripe.control.checkout_sessions() == []


def test_without_stripe_configured_the_billing_page_says_so_instead_of_offering_subscribe(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    billing.settings.stripe_api_key = ""
    owner = login_as(make_tenant(), "OWNER")

    page = owner.get("/billing")

    assert page.status_code == 200
    assert 'data-testid="billing-not-configured"' in page.text and "Billing is not configured" in page.text
    assert 'action="/billing/checkout"' not in page.text  # no button that can only fail


def test_without_a_plan_price_the_billing_page_says_so_too(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    billing.settings.stripe_price_id = ""
    owner = login_as(make_tenant(), "OWNER")

    assert "Billing is not configured" in owner.get("/billing").text
    api = owner.post("/api/v1/billing/checkout", headers={"X-CSRF-Token": csrf_of(owner)})
    assert api.status_code == 503 and api.json()["code"] == "billing_not_configured"


def test_with_stripe_configured_the_page_offers_subscribe_and_no_notice(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    page = login_as(make_tenant(), "OWNER").get("/billing").text
    assert 'action="/billing/checkout"' in page and 'data-testid="billing-not-configured"' not in page
