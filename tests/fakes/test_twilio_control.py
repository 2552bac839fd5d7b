"""The Twilio fake's control API: input errors, listings, config, reset."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from twilio.rest import Client

from fakes.twilio import RunningTwilioFake

if TYPE_CHECKING:
    from conftest import WebhookReceiver

BUSINESS = "+15550100001"
CUSTOMER = "+15550100999"


@pytest.fixture
def http(twilio_fake: RunningTwilioFake) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=twilio_fake.base_url, timeout=5) as client:
        yield client


@pytest.fixture
def client(twilio_fake: RunningTwilioFake, receiver: WebhookReceiver) -> Client:
    sdk = twilio_fake.sdk_client()
    sdk.incoming_phone_numbers.create(
        phone_number=BUSINESS, sms_url=receiver.url("/sms"), status_callback=receiver.url("/voice")
    )
    return sdk


@pytest.mark.parametrize(
    ("path", "body", "status", "fragment"),
    [
        ("/_fake/calls", b"{", 400, "malformed JSON"),
        ("/_fake/calls", b'"a string"', 422, "must be an object"),
        ("/_fake/calls", b'{"to": "+15550100001"}', 422, "from is required"),
        ("/_fake/calls", b'{"from": "+15550100999", "to": "5550100"}', 422, "E.164"),
        ("/_fake/calls", b'{"from": "+15550100999", "to": "+15550100001", "duration": "10"}', 422, "duration"),
        ("/_fake/calls", b'{"from": "+15550100999", "to": "+15550100001", "duration": -1}', 422, "duration"),
        ("/_fake/calls", b'{"from": "+15550100999", "to": "+15550100002"}', 404, "not an IncomingPhoneNumber"),
        ("/_fake/sms", b'{"from": "+15550100999", "to": "+15550100001"}', 422, "body"),
        ("/_fake/sms", b'{"from": "+15550100999", "to": "+15550100001", "body": 5}', 422, "body"),
        ("/_fake/brands/BN123/status", b'{"status": "APPROVED"}', 404, "no brand"),
        ("/_fake/brands/BN123/status", b"{}", 422, "status must be one of"),
        ("/_fake/messages/SM123/status", b'{"status": "sent"}', 404, "no outbound message"),
        ("/_fake/config", b'{"status_interval_ms": "fast"}', 422, "status_interval_ms"),
        ("/_fake/config", b'{"colour": "blue"}', 422, "unknown config field"),
        ("/_fake/webhooks/config", b'{"duplicate": true}', 422, "duplicate"),
    ],
)
def test_bad_control_input_is_a_clear_4xx_json_error(
    client: Client, http: httpx.Client, path: str, body: bytes, status: int, fragment: str
) -> None:
    answer = http.post(path, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    assert fragment in answer.json()["detail"]
    assert isinstance(answer.json()["code"], str)


def test_unknown_control_route_and_method(http: httpx.Client) -> None:
    unknown = http.get("/_fake/does-not-exist")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    wrong_method = http.put("/_fake/reset")
    assert wrong_method.status_code == 405 and "POST" in wrong_method.json()["detail"]


def test_unknown_provider_route_is_a_twilio_404(http: httpx.Client) -> None:
    answer = http.get("/2010-04-01/Nothing.json")
    assert answer.status_code == 404 and answer.json()["code"] == 20404


def test_a_bad_config_change_changes_nothing(http: httpx.Client) -> None:
    before = http.get("/_fake/config").json()
    bad = http.post("/_fake/config", json={"compliance_callback_url": "http://x/", "auto_status": "no"})
    assert bad.status_code == 422
    assert http.get("/_fake/config").json() == before


def test_messages_listing_is_oldest_first_and_filters(client: Client, twilio_fake: RunningTwilioFake) -> None:
    client.incoming_phone_numbers.create(phone_number="+15550100002")
    client.messages.create(to=CUSTOMER, from_=BUSINESS, body="one")
    client.messages.create(to="+15550100998", from_=BUSINESS, body="two")
    client.messages.create(to=CUSTOMER, from_="+15550100002", body="three")
    assert [m["body"] for m in twilio_fake.control.messages()] == ["one", "two", "three"]
    assert [m["body"] for m in twilio_fake.control.messages(to=CUSTOMER)] == ["one", "three"]
    assert [m["body"] for m in twilio_fake.control.messages(from_=BUSINESS, to=CUSTOMER)] == ["one"]
    entry = twilio_fake.control.messages()[0]
    assert set(entry) >= {"sid", "from", "to", "body", "status", "date_created", "status_callback", "created_ts"}


def test_reset_clears_everything(client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver) -> None:
    control = twilio_fake.control
    client.messages.create(to=CUSTOMER, from_=BUSINESS, body="hi")
    client.messaging.v1.brand_registrations.create(customer_profile_bundle_sid="BU1", a2p_profile_bundle_sid="BU2")
    control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body="STOP")
    control.add_fault("/nothing", "reset")
    control.configure_webhooks(duplicate=2, reorder=True, delay_ms=1)
    control.reset()
    assert control.messages(direction="all") == []
    assert control.numbers() == [] and control.brands() == [] and control.opt_outs() == []
    assert control.requests() == [] and control.faults() == []
    assert control.configure_webhooks() == {"duplicate": 1, "delay_ms": 0, "reorder": False}
    assert client.incoming_phone_numbers.list() == []
    # the opt-out is gone: the number can be provisioned again and text the customer
    client.incoming_phone_numbers.create(phone_number=BUSINESS)
    client.messages.create(to=CUSTOMER, from_=BUSINESS, body="after reset")


def test_health_reports_the_account(twilio_fake: RunningTwilioFake) -> None:
    health = twilio_fake.control.health()
    assert health["status"] == "ok" and health["fake"] == "twilio"
    assert health["account_sid"] == twilio_fake.account_sid
