"""The Stripe fake's /v1/ API, driven through the official stripe SDK, unchanged."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from fakes.core import running
from fakes.stripe import DEFAULT_API_KEY, RunningStripe, StripeFake, parse_catalog, running_stripe

SUCCESS_URL = "https://app.example.test/billing/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://app.example.test/billing"


@pytest.fixture
def stripe_fake() -> Iterator[RunningStripe]:
    with running_stripe() as fake:
        yield fake


@pytest.fixture
def sdk(stripe_fake: RunningStripe) -> stripe.StripeClient:
    # Exactly how the app builds its client: only the API base changes.
    return stripe.StripeClient(DEFAULT_API_KEY, base_addresses={"api": stripe_fake.base_url})


def session_params(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [{"price": "price_nmc_monthly", "quantity": 1}],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "client_reference_id": "tenant_42",
        "customer_email": "owner@plumbing.example.test",
        "metadata": {"tenant_id": "tenant_42"},
    }
    params.update(overrides)
    return params


def paid_subscription(stripe_fake: RunningStripe, sdk: stripe.StripeClient, **overrides: Any) -> stripe.Subscription:
    session = sdk.v1.checkout.sessions.create(params=session_params(**overrides))  # type: ignore[arg-type]
    completed = stripe_fake.control.complete_checkout(session.id)
    return sdk.v1.subscriptions.retrieve(completed["session"]["subscription"])


# -- customers --------------------------------------------------------------------------------------
def test_customer_create_and_retrieve(sdk: stripe.StripeClient) -> None:
    created = sdk.v1.customers.create(
        params={"email": "olive@example.test", "name": "Olive Owner", "metadata": {"tenant_id": "t_1"}}
    )
    assert created.id.startswith("cus_")
    assert created.object == "customer"
    assert created.livemode is False
    assert isinstance(created.created, int)
    fetched = sdk.v1.customers.retrieve(created.id)
    assert (fetched.email, fetched.name, fetched["metadata"].to_dict()) == (
        "olive@example.test",
        "Olive Owner",
        {"tenant_id": "t_1"},
    )


def test_customer_update_merges_metadata_and_empty_value_unsets(sdk: stripe.StripeClient) -> None:
    created = sdk.v1.customers.create(params={"metadata": {"a": "1", "b": "2"}})
    updated = sdk.v1.customers.update(created.id, params={"metadata": {"a": "", "c": "3"}, "name": "New"})
    assert updated["metadata"].to_dict() == {"b": "2", "c": "3"}
    assert updated.name == "New"


# -- prices -----------------------------------------------------------------------------------------
def test_price_catalog_retrieve_and_list(sdk: stripe.StripeClient) -> None:
    price = sdk.v1.prices.retrieve("price_nmc_monthly")
    assert (price.object, price.unit_amount, price.currency, price.type) == ("price", 4900, "usd", "recurring")
    assert price.recurring is not None
    assert (price.recurring.interval, price.recurring.interval_count) == ("month", 1)
    assert price.nickname == "NeverMissCall Pro"
    product = sdk.v1.products.retrieve(str(price.product))
    assert product.name == "NeverMissCall Pro"
    listed = sdk.v1.prices.list()
    assert [p.id for p in listed.data] == ["price_nmc_monthly", "price_nmc_yearly"]
    by_lookup = sdk.v1.prices.list(params={"lookup_keys": ["nmc_pro_yearly"]})
    assert [p.id for p in by_lookup.data] == ["price_nmc_yearly"]
    expanded = sdk.v1.prices.retrieve("price_nmc_monthly", params={"expand": ["product"]})
    assert expanded.product.name == "NeverMissCall Pro"  # type: ignore[union-attr]


def test_catalog_is_configurable() -> None:
    catalog = parse_catalog('[{"id": "price_starter", "product_name": "Starter", "unit_amount": 1900}]')
    with running(StripeFake(prices=catalog)) as server:
        client = stripe.StripeClient(DEFAULT_API_KEY, base_addresses={"api": server.base_url})
        assert [p.id for p in client.v1.prices.list().data] == ["price_starter"]
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.prices.retrieve("price_nmc_monthly")


# -- checkout sessions ------------------------------------------------------------------------------
def test_checkout_session_create_and_retrieve(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    session = sdk.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.mode, session.status, session.payment_status) == ("subscription", "open", "unpaid")
    assert session.url == f"{stripe_fake.base_url}/checkout/{session.id}"
    assert session.client_reference_id == "tenant_42"
    assert session.success_url == SUCCESS_URL  # the placeholder is kept until the redirect
    assert session.metadata is not None and session.metadata.to_dict() == {"tenant_id": "tenant_42"}
    assert (session.amount_total, session.currency) == (4900, "usd")
    assert session.subscription is None and session.customer is None
    assert session.expires_at > session.created
    fetched = sdk.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    assert fetched.line_items is not None
    (item,) = fetched.line_items.data
    assert (item.price.id if item.price else None, item.quantity) == ("price_nmc_monthly", 1)
    (listed,) = sdk.v1.checkout.sessions.line_items.list(session.id).data
    assert (listed.amount_total, listed.description) == (4900, "NeverMissCall Pro")
    assert [s.id for s in sdk.v1.checkout.sessions.list(params={"status": "open"}).data] == [session.id]


def test_control_api_lists_created_sessions_with_the_params_sent(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient
) -> None:
    sdk.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    sdk.v1.checkout.sessions.create(params=session_params(client_reference_id="tenant_7"))  # type: ignore[arg-type]
    (record,) = stripe_fake.control.checkout_sessions(client_reference_id="tenant_42")
    assert record["params"]["line_items"] == [{"price": "price_nmc_monthly", "quantity": "1"}]
    assert record["params"]["metadata"] == {"tenant_id": "tenant_42"}
    assert record["session"]["client_reference_id"] == "tenant_42"
    assert len(stripe_fake.control.checkout_sessions()) == 2


def test_checkout_session_expire(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    session = sdk.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    expired = sdk.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert [e["type"] for e in stripe_fake.control.events()] == ["checkout.session.expired"]
    with pytest.raises(stripe.InvalidRequestError, match="can be expired"):
        sdk.v1.checkout.sessions.expire(session.id)


def test_checkout_session_validation_errors_name_the_param(sdk: stripe.StripeClient) -> None:
    cases: list[tuple[dict[str, Any], str | None, str]] = [
        ({"mode": None}, "mode", "parameter_missing"),
        ({"line_items": [{"price": "price_nope", "quantity": 1}]}, "line_items[0][price]", "resource_missing"),
        ({"line_items": [{"price": "price_nmc_monthly"}]}, "line_items[0][quantity]", "parameter_missing"),
        ({"line_items": [{"price": "price_nmc_monthly", "quantity": 0}]}, "line_items[0][quantity]", ""),
        ({"customer": "cus_nope", "customer_email": None}, "customer", "resource_missing"),
        ({"customer": "cus_x"}, "customer_email", ""),
        ({"success_url": "not a url"}, "success_url", "url_invalid"),
        ({"customer_email": "nobody"}, "customer_email", "email_invalid"),
        ({"mode": "payment"}, "mode", ""),
        ({"subscription_data": {"trial_period_days": 7}}, "subscription_data[trial_period_days]", ""),
        ({"colour": "red"}, "colour", "parameter_unknown"),
    ]
    for overrides, param, code in cases:
        params = {k: v for k, v in session_params(**overrides).items() if v is not None}
        with pytest.raises(stripe.InvalidRequestError) as caught:
            sdk.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
        assert caught.value.param == param, (overrides, caught.value.user_message)
        if code:
            assert caught.value.code == code, (overrides, caught.value.user_message)
    assert sdk.v1.checkout.sessions.list().data == []  # nothing half-created


# -- subscriptions ----------------------------------------------------------------------------------
def test_subscription_retrieve_after_checkout(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    sub = paid_subscription(stripe_fake, sdk, subscription_data={"metadata": {"tenant_id": "tenant_42"}})
    assert sub.id.startswith("sub_")
    assert (sub.object, sub.status, sub.livemode) == ("subscription", "active", False)
    assert sub["items"].data[0].price.id == "price_nmc_monthly"
    # The billing period is the item's: the subscription itself has none in current API versions.
    item = sub["items"].data[0]
    assert item["current_period_start"] < item["current_period_end"]
    assert "current_period_end" not in sub and "current_period_start" not in sub
    assert sub.metadata.to_dict() == {"tenant_id": "tenant_42"}
    customer = sdk.v1.customers.retrieve(str(sub.customer))
    assert customer.email == "owner@plumbing.example.test"
    expanded = sdk.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice", "customer"]})
    invoice = expanded.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert invoice.id.startswith("in_") if invoice.id else False
    assert (invoice.status, invoice.amount_paid, invoice["parent"]["subscription_details"]["subscription"]) == (
        "paid", 4900, sub.id)
    assert invoice["subscription"] is None  # named under parent only, in current API versions
    session = stripe_fake.control.checkout_sessions()[0]["session"]
    assert (session["status"], session["payment_status"], session["subscription"], session["customer"]) == (
        "complete",
        "paid",
        sub.id,
        sub.customer,
    )


def test_subscription_update_cancel_at_period_end_and_metadata(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    sub = paid_subscription(stripe_fake, sdk)
    updated = sdk.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True, "metadata": {"k": "v"}})
    assert updated.cancel_at_period_end is True
    assert updated.cancel_at == sub["items"].data[0]["current_period_end"]
    assert updated.status == "active"
    assert updated.metadata.to_dict() == {"k": "v"}
    (event,) = stripe_fake.control.events(type="customer.subscription.updated")
    assert event["data"]["previous_attributes"]["cancel_at_period_end"] is False
    assert event["data"]["object"]["cancel_at_period_end"] is True
    assert event["request"]["id"] is not None  # caused by an API request, like in Stripe


def test_control_cancel_at_period_end_keeps_it_active_until_then(stripe_fake: RunningStripe,
                                                                    sdk: stripe.StripeClient) -> None:
    sub = paid_subscription(stripe_fake, sdk)
    answer = stripe_fake.control.cancel_at_period_end(sub.id)
    assert answer["subscription"]["status"] == "active" and answer["subscription"]["cancel_at_period_end"] is True
    assert [e["type"] for e in answer["events"]] == ["customer.subscription.updated"]
    assert sdk.v1.subscriptions.retrieve(sub.id).cancel_at_period_end is True


def test_subscription_cancel_via_delete(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    sub = paid_subscription(stripe_fake, sdk)
    canceled = sdk.v1.subscriptions.cancel(sub.id)
    assert canceled.status == "canceled"
    assert canceled.canceled_at is not None and canceled.ended_at is not None
    assert [e["data"]["object"]["status"] for e in stripe_fake.control.events("customer.subscription.deleted")] == [
        "canceled"
    ]
    with pytest.raises(stripe.InvalidRequestError, match="already canceled"):
        sdk.v1.subscriptions.cancel(sub.id)
    with pytest.raises(stripe.InvalidRequestError, match="canceled subscription"):
        sdk.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert sdk.v1.subscriptions.list().data == []  # Stripe leaves canceled ones out by default
    assert [s.id for s in sdk.v1.subscriptions.list(params={"status": "all"}).data] == [sub.id]


# -- billing portal ---------------------------------------------------------------------------------
def test_billing_portal_session(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    sub = paid_subscription(stripe_fake, sdk)
    portal = sdk.v1.billing_portal.sessions.create(
        params={"customer": str(sub.customer), "return_url": "https://app.example.test/billing"}
    )
    assert portal.id.startswith("bps_")
    assert portal.object == "billing_portal.session"
    assert portal.url == f"{stripe_fake.base_url}/portal/{portal.id}"
    assert portal.return_url == "https://app.example.test/billing"
    page = httpx.get(portal.url)
    assert page.status_code == 200
    assert "NeverMissCall Pro" in page.text and "Cancel subscription" in page.text
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.billing_portal.sessions.create(params={"customer": "cus_nope"})
    assert (caught.value.http_status, caught.value.param) == (404, "customer")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sdk.v1.billing_portal.sessions.create(params={"return_url": "https://app.example.test/"})
    assert missing.value.param == "customer"


# -- events -----------------------------------------------------------------------------------------
def test_events_retrieve_and_list_newest_first_with_pagination(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    sub = paid_subscription(stripe_fake, sdk)
    stripe_fake.control.payment_failed(sub.id)
    listed = sdk.v1.events.list(params={"limit": 2})
    assert [e.type for e in listed.data] == ["customer.subscription.updated", "invoice.payment_failed"]
    assert listed.has_more is True
    every = [e.type for e in listed.auto_paging_iter()]
    assert every == [
        "customer.subscription.updated",
        "invoice.payment_failed",
        "invoice.paid",
        "customer.subscription.created",
        "checkout.session.completed",
    ]
    only_invoices = sdk.v1.events.list(params={"type": "invoice.*"})
    assert [e.type for e in only_invoices.data] == ["invoice.payment_failed", "invoice.paid"]
    event = sdk.v1.events.retrieve(listed.data[0].id)
    assert event.id.startswith("evt_")
    assert (event.object, event.livemode, event.api_version) == ("event", False, stripe_fake.app.state.api_version)
    assert event.data.object["id"] == sub.id
    assert event.data.object["status"] == "past_due"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk.v1.events.retrieve("evt_nope")
    assert caught.value.http_status == 404


# -- webhook endpoints ------------------------------------------------------------------------------
def test_webhook_endpoint_create_list_delete(sdk: stripe.StripeClient) -> None:
    created = sdk.v1.webhook_endpoints.create(
        params={
            "url": "https://app.example.test/webhooks/stripe",
            "enabled_events": ["checkout.session.completed", "invoice.paid"],
        }
    )
    assert created.id.startswith("we_")
    assert created.secret is not None and created.secret.startswith("whsec_")
    assert created.enabled_events == ["checkout.session.completed", "invoice.paid"]
    assert created.status == "enabled"
    (listed,) = sdk.v1.webhook_endpoints.list().data
    assert listed.id == created.id
    assert "secret" not in listed.to_dict()  # Stripe only shows the secret at creation
    deleted = sdk.v1.webhook_endpoints.delete(created.id)
    assert deleted.deleted is True
    assert sdk.v1.webhook_endpoints.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sdk.v1.webhook_endpoints.create(params={"url": "https://app.example.test/hook"})  # type: ignore[typeddict-item]
    assert missing.value.param == "enabled_events"


# -- errors -----------------------------------------------------------------------------------------
def test_wrong_api_key_is_an_authentication_error(stripe_fake: RunningStripe) -> None:
    wrong = stripe.StripeClient("sk_test_not_the_key", base_addresses={"api": stripe_fake.base_url})
    with pytest.raises(stripe.AuthenticationError) as caught:
        wrong.v1.customers.create()
    assert caught.value.http_status == 401
    assert "Invalid API Key" in str(caught.value.user_message)


def test_missing_api_key_answers_401_in_stripes_error_shape(stripe_fake: RunningStripe) -> None:
    response = httpx.get(f"{stripe_fake.base_url}/v1/customers")
    assert response.status_code == 401
    error = response.json()["error"]
    assert set(error) >= {"type", "code", "message", "param"}
    assert error["type"] == "invalid_request_error"
    assert "did not provide an API key" in error["message"]
    assert response.headers["Request-Id"].startswith("req_")


def test_unknown_id_and_unknown_url_are_404_invalid_request_errors(sdk: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as unknown_id:
        sdk.v1.subscriptions.retrieve("sub_nope")
    assert (unknown_id.value.http_status, unknown_id.value.code) == (404, "resource_missing")
    assert unknown_id.value.user_message == "No such subscription: 'sub_nope'"
    with pytest.raises(stripe.InvalidRequestError) as unknown_url:
        sdk.raw_request("get", "/v1/charges")
    assert unknown_url.value.http_status == 404
    assert "Unrecognized request URL (GET: /v1/charges)" in str(unknown_url.value.user_message)


def test_form_bodies_only_and_curl_style_brackets(stripe_fake: RunningStripe) -> None:
    key = base64.b64encode(f"{DEFAULT_API_KEY}:".encode()).decode()
    with httpx.Client(base_url=stripe_fake.base_url, headers={"Authorization": f"Basic {key}"}) as raw:
        as_json = raw.post("/v1/customers", json={"email": "a@b.co"})
        assert as_json.status_code == 400
        assert "x-www-form-urlencoded" in as_json.json()["error"]["message"]
        customer = raw.post("/v1/customers", data={"email": "a@b.co", "metadata[tenant_id]": "t9"}).json()
        session = raw.post(
            "/v1/checkout/sessions",
            data={
                "mode": "subscription",
                "line_items[0][price]": "price_nmc_monthly",
                "line_items[0][quantity]": "1",
                "customer": customer["id"],
                "success_url": SUCCESS_URL,
            },
        ).json()
        fetched = raw.get(f"/v1/checkout/sessions/{session['id']}", params=[("expand[]", "customer")]).json()
        assert fetched["customer"]["metadata"] == {"tenant_id": "t9"}
        bad_expand = raw.get(f"/v1/checkout/sessions/{session['id']}", params=[("expand[]", "status")])
        assert bad_expand.status_code == 400
        assert bad_expand.json()["error"]["param"] == "expand"


# -- idempotency ------------------------------------------------------------------------------------
def test_idempotency_key_replays_the_stored_response(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    params: dict[str, Any] = session_params()
    first = sdk.v1.checkout.sessions.create(params=params, options={"idempotency_key": "tenant_42-checkout-1"})  # type: ignore[arg-type]
    again = sdk.v1.checkout.sessions.create(params=params, options={"idempotency_key": "tenant_42-checkout-1"})  # type: ignore[arg-type]
    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_fake.control.checkout_sessions()) == 1
    changed = session_params(client_reference_id="tenant_43")
    with pytest.raises(stripe.IdempotencyError) as caught:
        sdk.v1.checkout.sessions.create(params=changed, options={"idempotency_key": "tenant_42-checkout-1"})  # type: ignore[arg-type]
    assert caught.value.http_status == 400
    assert len(stripe_fake.control.checkout_sessions()) == 1


def test_a_request_refused_by_validation_does_not_burn_its_idempotency_key(sdk: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.customers.create(params={"email": "broken"}, options={"idempotency_key": "k-1"})
    fixed = sdk.v1.customers.create(params={"email": "fixed@example.test"}, options={"idempotency_key": "k-1"})
    assert fixed.email == "fixed@example.test"


def test_concurrent_requests_with_one_idempotency_key_create_one_object(
    stripe_fake: RunningStripe, sdk: stripe.StripeClient
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def create(_: int) -> str:
        return sdk.v1.customers.create(params={"email": "race@example.test"}, options={"idempotency_key": "race-1"}).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(create, range(16)))
    assert len(ids) == 1
    assert len(sdk.v1.customers.list().data) == 1


def test_expand_reaches_into_lists(stripe_fake: RunningStripe, sdk: stripe.StripeClient) -> None:
    sub = paid_subscription(stripe_fake, sdk)
    listed = sdk.v1.subscriptions.list(params={"expand": ["data.customer", "data.latest_invoice"]})
    (only,) = listed.data
    assert only.id == sub.id
    assert isinstance(only.customer, stripe.Customer)
    assert only.customer.email == "owner@plumbing.example.test"
    assert isinstance(only.latest_invoice, stripe.Invoice)


def test_sessions_expire_24_hours_after_creation() -> None:
    now = [1_750_000_000.0]
    with running(StripeFake(clock=lambda: now[0])) as server:
        client = stripe.StripeClient(DEFAULT_API_KEY, base_addresses={"api": server.base_url})
        session = client.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
        assert session.expires_at == 1_750_000_000 + 24 * 3600
        now[0] += 24 * 3600 - 1
        assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
        now[0] += 1
        assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
        assert [e.type for e in client.v1.events.list().data] == ["checkout.session.expired"]
        assert session.url is not None
        assert httpx.get(session.url).status_code == 410
