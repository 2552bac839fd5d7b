"""F5 and F8 (issue 23): webhooks answer bad input with a clear 4xx and no traceback in the log, never a 500.

F5: a Twilio webhook posted as multipart with a file part (Twilio never sends one; the SDK's validator cannot
sign it). F8: a Stripe event that is correctly signed but not shaped like an event.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import stripe
from fastapi.testclient import TestClient

from app.db import Database
from tests.security.conftest import STRIPE_WEBHOOK_SECRET
from tests.security.signing import stripe_request
from tests.security.snapshots import row_counts

pytestmark = pytest.mark.security

TWILIO_WEBHOOKS = ["/webhooks/twilio/voice-status", "/webhooks/twilio/sms", "/webhooks/twilio/message-status",
                   "/webhooks/twilio/compliance"]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.parametrize("path", TWILIO_WEBHOOKS)
def test_a_twilio_webhook_with_a_file_part_is_a_400_without_a_traceback(
        client: TestClient, database: Database, caplog: pytest.LogCaptureFixture, path: str) -> None:
    before = row_counts(database)
    response = client.post(path, data={"From": "+15550107777", "To": "+15550100000"},
                           files={"MediaUrl0": ("photo.jpg", b"\xff\xd8\xff", "image/jpeg")},
                           headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "webhook_not_form"
    assert tracebacks(caplog) == []
    assert row_counts(database) == before


def event(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "customer.subscription.updated",
        "created": int(time.time()), "livemode": False,
        "data": {"object": {"id": f"sub_{uuid.uuid4().hex[:14]}", "object": "subscription",
                            "customer": f"cus_{uuid.uuid4().hex[:14]}", "metadata": {}}},
    }
    base.update(changes)
    return base


def with_object(**changes: Any) -> dict[str, Any]:
    built = event()
    built["data"]["object"].update(changes)
    return built


MALFORMED: dict[str, Callable[[], Any]] = {
    "a list": lambda: [1, 2, 3],
    "a string": lambda: "hello",
    "null": lambda: None,
    "created 1e20": lambda: event(created=1e20),
    "created a word": lambda: event(created="yesterday"),
    "created negative": lambda: event(created=-1e15),
    "data a string": lambda: event(data="oops"),
    "data.object a list": lambda: event(data={"object": [1, 2]}),
    "a 1000-character id": lambda: event(id="evt_" + "x" * 996),
    "a NUL in type": lambda: event(type="customer.subscription.updated\x00"),
}


def signed(body: Any) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(body)
    header = stripe.WebhookSignature.generate_signature_header(payload, STRIPE_WEBHOOK_SECRET)
    return payload.encode(), {"Content-Type": "application/json", "Stripe-Signature": header}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_signed_but_malformed_stripe_event_is_a_400_and_stores_nothing(
        client: TestClient, database: Database, caplog: pytest.LogCaptureFixture, case: str) -> None:
    before = row_counts(database)
    content, headers = signed(MALFORMED[case]())
    response = client.post("/webhooks/stripe", content=content, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_payload"
    assert tracebacks(caplog) == []
    assert row_counts(database) == before


@pytest.mark.parametrize("odd", [{"metadata": "a string"}, {"parent": "a string", "object": "invoice"},
                                 {"customer": ["a", "list"]}])
def test_odd_nested_values_in_a_valid_event_are_ignored_not_a_500(
        client: TestClient, caplog: pytest.LogCaptureFixture, odd: dict[str, Any]) -> None:
    request = stripe_request(with_object(**odd))
    response = client.post("/webhooks/stripe", content=request.content, headers=request.headers)
    assert response.status_code == 200, response.text
    assert response.json()["ignored"] is True  # it names no tenant of ours
    assert tracebacks(caplog) == []
