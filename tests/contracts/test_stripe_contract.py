"""Every body the Stripe fake answers, and every event it posts, has Stripe's published shape.

One module-scoped run drives every endpoint the fake implements over plain HTTP (the exact JSON,
not what an SDK makes of it) and collects the bodies; each case then checks one of them against
Stripe's fixtures and the ``stripe`` SDK's typed classes (``stripe_conformance``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe
from stripe._list_object import ListObject

from fakes.stripe import DEFAULT_API_KEY, running_stripe
from fakes.stripe.state import EMITTED_EVENT_TYPES
from tests.contracts.stripe_conformance import conformance_problems, fixture_problems, fixtures, object_problems
from tests.fakes.conftest import WebhookReceiver

HOOK_PATH = "/webhooks/stripe"


class Bodies(dict[str, Any]):
    """Response bodies by case name."""


Pairs = list[tuple[str, str | int | float | bool | None]]


def _form(params: dict[str, Any], prefix: str = "") -> Pairs:
    """Stripe's bracket notation (``line_items[0][price]``)."""
    pairs: Pairs = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            pairs += _form(value, name)
        elif isinstance(value, list):
            pairs += _form({str(index): item for index, item in enumerate(value)}, name)
        else:
            pairs.append((name, str(value).lower() if isinstance(value, bool) else str(value)))
    return pairs


class Api:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}, timeout=30)

    def call(
        self, method: str, path: str, params: dict[str, Any] | None = None, *, status: int = 200, key: str | None = None
    ) -> Any:
        pairs = _form(params or {})
        if method == "GET":
            answer = self.http.get(path, params=pairs)
        else:
            headers = {"Idempotency-Key": key} if key else None
            answer = self.http.request(method, path, data=dict(pairs) if pairs else None, headers=headers)
        assert answer.status_code == status, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    hooks = WebhookReceiver()
    yield hooks
    hooks.close()


@pytest.fixture(scope="module")
def bodies(receiver: WebhookReceiver) -> Iterator[Bodies]:
    with every_endpoint_answered(receiver) as got:
        yield got


@contextlib.contextmanager
def every_endpoint_answered(receiver: WebhookReceiver) -> Iterator[Bodies]:
    """Drive every endpoint the fake implements once; the bodies by case name, and the webhooks."""
    with running_stripe(webhook_url=receiver.url(HOOK_PATH)) as fake:
        api, got = Api(fake.base_url), Bodies()
        got["customer.create"] = api.call(
            "POST", "/v1/customers", {"email": "olive@example.test", "name": "Olive", "metadata": {"tenant_id": "t1"}}
        )
        cus = got["customer.create"]["id"]
        got["customer.retrieve"] = api.call("GET", f"/v1/customers/{cus}")
        got["customer.update"] = api.call("POST", f"/v1/customers/{cus}", {"phone": "+15550100001"})
        got["customer.list"] = api.call("GET", "/v1/customers", {"email": "olive@example.test"})
        got["price.retrieve"] = api.call("GET", "/v1/prices/price_nmc_monthly")
        got["price.list"] = api.call("GET", "/v1/prices", {"active": True})
        got["product.retrieve"] = api.call("GET", f"/v1/products/{got['price.retrieve']['product']}")

        session_params = {
            "mode": "subscription",
            "line_items": [{"price": "price_nmc_monthly", "quantity": 1}],
            "success_url": "https://app.example.test/ok?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://app.example.test/billing",
            "client_reference_id": "tenant_1",
            "customer_email": "olive@example.test",
            "metadata": {"tenant_id": "tenant_1"},
            "subscription_data": {"metadata": {"tenant_id": "tenant_1"}},
        }
        got["checkout.session.create"] = api.call("POST", "/v1/checkout/sessions", session_params)
        cs = got["checkout.session.create"]["id"]
        got["checkout.session.line_items"] = api.call("GET", f"/v1/checkout/sessions/{cs}/line_items")
        got["checkout.session.retrieve.expand_line_items"] = api.call(
            "GET", f"/v1/checkout/sessions/{cs}", {"expand": ["line_items"]}
        )
        other = api.call("POST", "/v1/checkout/sessions", {**session_params, "client_reference_id": "tenant_2"})
        got["checkout.session.expire"] = api.call("POST", f"/v1/checkout/sessions/{other['id']}/expire")

        fake.control.complete_checkout(cs, wait=True)
        got["checkout.session.retrieve.complete"] = api.call("GET", f"/v1/checkout/sessions/{cs}")
        got["checkout.session.list"] = api.call("GET", "/v1/checkout/sessions")
        sub = got["checkout.session.retrieve.complete"]["subscription"]
        got["subscription.retrieve"] = api.call("GET", f"/v1/subscriptions/{sub}")
        got["subscription.retrieve.expand_latest_invoice"] = api.call(
            "GET", f"/v1/subscriptions/{sub}", {"expand": ["latest_invoice", "customer"]}
        )
        customer = got["subscription.retrieve"]["customer"]
        got["subscription.list"] = api.call("GET", "/v1/subscriptions", {"customer": customer})
        got["invoice.list"] = api.call("GET", "/v1/invoices", {"subscription": sub})
        got["invoice.retrieve"] = api.call("GET", f"/v1/invoices/{got['subscription.retrieve']['latest_invoice']}")
        fake.control.payment_failed(sub, wait=True)
        got["invoice.retrieve.failed"] = api.call("GET", f"/v1/invoices/{got['invoice.list']['data'][0]['id']}")
        fake.control.payment_succeeded(sub, wait=True)
        got["subscription.update"] = api.call(
            "POST", f"/v1/subscriptions/{sub}", {"cancel_at_period_end": True, "metadata": {"plan": "pro"}}
        )
        got["billing_portal.session.create"] = api.call(
            "POST", "/v1/billing_portal/sessions", {"customer": customer, "return_url": "https://app.example.test/billing"}
        )
        got["subscription.cancel"] = api.call("DELETE", f"/v1/subscriptions/{sub}")

        got["event.list"] = api.call("GET", "/v1/events", {"limit": 100})
        got["event.retrieve"] = api.call("GET", f"/v1/events/{got['event.list']['data'][0]['id']}")
        got["webhook_endpoint.create"] = api.call(
            "POST", "/v1/webhook_endpoints", {"url": "https://hooks.example.test/x", "enabled_events": ["invoice.paid"]}
        )
        we = got["webhook_endpoint.create"]["id"]
        got["webhook_endpoint.retrieve"] = api.call("GET", f"/v1/webhook_endpoints/{we}")
        got["webhook_endpoint.update"] = api.call("POST", f"/v1/webhook_endpoints/{we}", {"description": "x"})
        got["webhook_endpoint.list"] = api.call("GET", "/v1/webhook_endpoints")
        got["webhook_endpoint.delete"] = api.call("DELETE", f"/v1/webhook_endpoints/{we}")

        got["error.resource_missing"] = api.call("GET", "/v1/subscriptions/sub_nope", status=404)
        got["error.parameter_missing"] = api.call("POST", "/v1/checkout/sessions", {"mode": "subscription"}, status=400)
        got["error.parameter_unknown"] = api.call("POST", "/v1/customers", {"colour": "red"}, status=400)
        got["error.authentication"] = httpx.get(f"{fake.base_url}/v1/customers").json()
        api.call("POST", "/v1/customers", {"email": "a@example.test"}, key="key-1")
        got["error.idempotency"] = api.call("POST", "/v1/customers", {"email": "b@example.test"}, key="key-1", status=400)
        fake.control.add_fault(r"^/v1/prices$", "status", code=500)
        got["error.injected_fault"] = api.call("GET", "/v1/prices", status=500)
        # every event of the run, each posted once to the start-up endpoint (the one created through
        # the API above listens to invoice.paid only and was created after the last event)
        got["webhooks"] = receiver.wait_for(len(fake.control.events()), path=HOOK_PATH)
        api.http.close()
        yield got


#: case -> the object type its body must have.
OBJECT_CASES = {
    "customer.create": "customer",
    "customer.retrieve": "customer",
    "customer.update": "customer",
    "price.retrieve": "price",
    "product.retrieve": "product",
    "checkout.session.create": "checkout.session",
    "checkout.session.retrieve.expand_line_items": "checkout.session",
    "checkout.session.expire": "checkout.session",
    "checkout.session.retrieve.complete": "checkout.session",
    "subscription.retrieve": "subscription",
    "subscription.retrieve.expand_latest_invoice": "subscription",
    "subscription.update": "subscription",
    "subscription.cancel": "subscription",
    "invoice.retrieve": "invoice",
    "invoice.retrieve.failed": "invoice",
    "billing_portal.session.create": "billing_portal.session",
    "event.retrieve": "event",
    "webhook_endpoint.create": "webhook_endpoint",
    "webhook_endpoint.retrieve": "webhook_endpoint",
    "webhook_endpoint.update": "webhook_endpoint",
}

#: list case -> the object type of its items.
LIST_CASES = {
    "customer.list": "customer",
    "price.list": "price",
    "checkout.session.list": "checkout.session",
    "checkout.session.line_items": "item",
    "subscription.list": "subscription",
    "invoice.list": "invoice",
    "event.list": "event",
    "webhook_endpoint.list": "webhook_endpoint",
}


def assert_conforms(obj: dict[str, Any], object_type: str, where: str) -> None:
    assert obj.get("object") == object_type, f"{where}: object is {obj.get('object')!r}, want {object_type!r}"
    problems = conformance_problems(obj, object_type)
    assert not problems, f"{where} differs from Stripe's published {object_type}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("case", sorted(OBJECT_CASES))
def test_object_has_stripes_published_shape(bodies: Bodies, case: str) -> None:
    assert_conforms(bodies[case], OBJECT_CASES[case], case)


@pytest.mark.parametrize("case", sorted(LIST_CASES))
def test_list_envelope_and_items_have_stripes_published_shape(bodies: Bodies, case: str) -> None:
    body = bodies[case]
    problems = object_problems(body, ListObject, case)
    assert body.get("object") == "list", f"{case}: object is {body.get('object')!r}"
    assert body["url"].startswith("/v1/"), f"{case}: url {body['url']!r} is not the list's /v1/ path"
    assert not problems, f"{case} is not Stripe's list envelope:\n  " + "\n  ".join(problems)
    assert body["data"], f"{case}: the run should have filled this list"
    for index, item in enumerate(body["data"]):
        assert_conforms(item, LIST_CASES[case], f"{case}.data[{index}]")


def test_nested_subscription_items_and_invoice_lines_have_stripes_published_shape(bodies: Bodies) -> None:
    subscription, invoice = bodies["subscription.retrieve"], bodies["invoice.retrieve"]
    assert_conforms(subscription["items"]["data"][0], "subscription_item", "subscription.items.data[0]")
    assert_conforms(subscription["plan"], "plan", "subscription.plan")
    assert_conforms(invoice["lines"]["data"][0], "line_item", "invoice.lines.data[0]")


def test_deleted_webhook_endpoint_has_stripes_published_shape(bodies: Bodies) -> None:
    body = bodies["webhook_endpoint.delete"]
    problems = fixture_problems(body, fixtures()["deleted_webhook_endpoint"], "deleted_webhook_endpoint")
    assert body["deleted"] is True
    assert not problems, "\n  ".join(problems)


@pytest.mark.parametrize(
    "case",
    [
        "error.resource_missing",
        "error.parameter_missing",
        "error.parameter_unknown",
        "error.authentication",
        "error.idempotency",
        "error.injected_fault",
    ],
)
def test_error_body_has_stripes_published_shape(bodies: Bodies, case: str) -> None:
    body = bodies[case]
    assert set(body) == {"error"}, f"{case}: Stripe's error body has exactly one key, 'error': {body}"
    problems = object_problems(body["error"], stripe.ErrorObject, f"{case}.error")
    # The SDK types "type" as str; Stripe's API reference (Errors) lists these four.
    assert body["error"]["type"] in {"api_error", "card_error", "idempotency_error", "invalid_request_error"}, body
    assert not problems, f"{case} differs from Stripe's error object:\n  " + "\n  ".join(problems)


def test_every_webhook_event_and_its_data_object_have_stripes_published_shape(bodies: Bodies) -> None:
    hits = bodies["webhooks"]
    types_seen = set()
    for hit in hits:
        event = json.loads(hit.body)
        where = f"webhook {event['type']} ({event['id']})"
        types_seen.add(event["type"])
        assert_conforms(event, "event", where)
        data_object = event["data"]["object"]
        assert_conforms(data_object, data_object["object"], f"{where} data.object")
        for key in event["data"].get("previous_attributes", {}):
            assert key in data_object, f"{where}: previous_attributes.{key} is not a field of the object"
    assert set(EMITTED_EVENT_TYPES) <= types_seen, \
        f"the run should post every event type the fake emits, saw {sorted(types_seen)}"
