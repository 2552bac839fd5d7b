"""Fault rules against the Twilio fake, seen through the SDK and httpx: each either reached the
provider (message created) or unambiguously did not."""

from __future__ import annotations

import time

import httpx
import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from fakes.twilio import RunningTwilioFake

BUSINESS = "+15550100001"
CUSTOMER = "+15550100999"
MESSAGES = r"/Messages\.json$"


@pytest.fixture
def client(twilio_fake: RunningTwilioFake) -> Client:
    sdk = twilio_fake.sdk_client()
    sdk.incoming_phone_numbers.create(phone_number=BUSINESS)
    return sdk


def send(client: Client, body: str = "hi") -> str:
    sid = client.messages.create(to=CUSTOMER, from_=BUSINESS, body=body).sid
    assert sid is not None
    return sid


def test_status_fault_returns_a_twilio_500_twice_then_sends(client: Client, twilio_fake: RunningTwilioFake) -> None:
    twilio_fake.control.add_fault(MESSAGES, "status", method="POST", code=500, times=2)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            send(client)
        assert (caught.value.status, caught.value.code) == (500, 20500)
    assert twilio_fake.control.messages() == []
    send(client, "third time lucky")
    assert [m["body"] for m in twilio_fake.control.messages()] == ["third time lucky"]
    assert [r["remaining"] for r in twilio_fake.control.faults()] == [0]
    journal = twilio_fake.control.requests(contains="Messages.json")
    assert [(e["status"], e["fault"]) for e in journal] == [(500, "status"), (500, "status"), (201, None)]


def test_status_fault_only_hits_its_method(client: Client, twilio_fake: RunningTwilioFake) -> None:
    twilio_fake.control.add_fault(MESSAGES, "status", method="POST", code=503)
    assert client.messages.list() == []  # GET passes
    with pytest.raises(TwilioRestException) as caught:
        send(client)
    assert (caught.value.status, caught.value.code) == (503, 20503)


def test_timeout_fault_makes_a_short_timeout_client_give_up_without_sending(
    client: Client, twilio_fake: RunningTwilioFake
) -> None:
    twilio_fake.control.add_fault(MESSAGES, "timeout", method="POST")
    url = f"{twilio_fake.base_url}/2010-04-01/Accounts/{twilio_fake.account_sid}/Messages.json"
    started = time.monotonic()
    with pytest.raises(httpx.TimeoutException):
        httpx.post(
            url,
            data={"To": CUSTOMER, "From": BUSINESS, "Body": "x"},
            auth=(twilio_fake.account_sid, twilio_fake.auth_token),
            timeout=0.5,
        )
    assert time.monotonic() - started < 3
    assert twilio_fake.control.messages() == []
    send(client)  # the rule was used up
    assert len(twilio_fake.control.messages()) == 1


def test_timeout_fault_through_the_sdk(twilio_fake: RunningTwilioFake, client: Client) -> None:
    twilio_fake.control.add_fault(MESSAGES, "timeout", method="POST")
    impatient = Client(twilio_fake.account_sid, twilio_fake.auth_token, http_client=TwilioHttpClient(timeout=0.5))
    impatient.api.base_url = twilio_fake.base_url
    with pytest.raises(requests.exceptions.Timeout):
        impatient.messages.create(to=CUSTOMER, from_=BUSINESS, body="x")
    assert twilio_fake.control.messages() == []


def test_reset_fault_is_a_connection_error_and_sends_nothing(client: Client, twilio_fake: RunningTwilioFake) -> None:
    twilio_fake.control.add_fault(MESSAGES, "reset", method="POST")
    with pytest.raises(requests.exceptions.ConnectionError):
        send(client)
    assert twilio_fake.control.messages() == []
    url = f"{twilio_fake.base_url}/2010-04-01/Accounts/{twilio_fake.account_sid}/Messages.json"
    twilio_fake.control.add_fault(MESSAGES, "reset", method="POST")
    with pytest.raises(httpx.TransportError):
        httpx.post(url, data={"To": CUSTOMER, "From": BUSINESS, "Body": "x"}, auth=(twilio_fake.account_sid, "x"))
    send(client)
    assert len(twilio_fake.control.messages()) == 1


def test_delay_fault_delays_and_then_sends(client: Client, twilio_fake: RunningTwilioFake) -> None:
    twilio_fake.control.add_fault(MESSAGES, "delay", method="POST", ms=400)
    started = time.monotonic()
    send(client, "slow")
    assert time.monotonic() - started >= 0.4
    assert [m["body"] for m in twilio_fake.control.messages()] == ["slow"]


def test_faults_do_not_touch_the_control_api(twilio_fake: RunningTwilioFake) -> None:
    twilio_fake.control.add_fault(".*", "reset", times=10)
    assert twilio_fake.control.messages() == []
    assert twilio_fake.control.health()["status"] == "ok"
