"""F10 (issue 23): the logs keep neither the booking page's token (the customer's only credential for it) nor
full phone numbers (callers', customers', ours): numbers keep their last four digits, enough to tell apart.
Checked on the JSON lines the app writes (app/logs.py's formatter), for real requests."""

from __future__ import annotations

import logging
import uuid

import pytest
from fastapi.testclient import TestClient

from app.logs import JsonFormatter
from tests.security.conftest import TWILIO_ACCOUNT_SID, RouteWorld
from tests.security.signing import twilio_request

pytestmark = pytest.mark.security

CUSTOMER = "+15550107777"
NOBODYS_NUMBER = "+15559990123"


def written_lines(caplog: pytest.LogCaptureFixture) -> str:
    """The app's own lines (the test client's httpx logs every URL it requests, in this process only)."""
    formatter = JsonFormatter()
    return "\n".join(formatter.format(record) for record in caplog.records if record.name.startswith(("app", "uvicorn")))


def sms(world: RouteWorld, client: TestClient, *, to: str) -> None:
    params = {"AccountSid": TWILIO_ACCOUNT_SID, "MessageSid": f"SM{uuid.uuid4().hex}", "From": CUSTOMER, "To": to,
              "Body": "my sink is leaking", "NumMedia": "0"}
    signed = twilio_request(world.settings, "/webhooks/twilio/sms", params)
    assert client.post("/webhooks/twilio/sms", content=signed.content, headers=signed.headers).status_code == 200


def test_the_booking_token_is_not_logged(world: RouteWorld, caplog: pytest.LogCaptureFixture) -> None:
    token = world.booking_token()
    anonymous = world.visitors["anonymous"].client
    with caplog.at_level(logging.INFO):
        assert anonymous.get(f"/book/{token}").status_code == 200
        anonymous.get(f"/book/{token}/hold")
    lines = written_lines(caplog)
    assert "GET /book/<token> -> 200" in lines
    assert token not in lines


def test_phone_numbers_are_masked_in_log_lines(world: RouteWorld, caplog: pytest.LogCaptureFixture) -> None:
    client = world.visitors["anonymous"].client
    ours = world.tenant["phone_number"]
    with caplog.at_level(logging.INFO):
        sms(world, client, to=ours)  # a customer's text to the tenant: the assistant answers it
        sms(world, client, to=NOBODYS_NUMBER)  # WARN: a number no tenant owns
    lines = written_lines(caplog)
    assert "no tenant owns" in lines  # the WARN line is there, with the number masked
    for number in (CUSTOMER, ours, NOBODYS_NUMBER):
        assert number not in lines and number[1:] not in lines, number
    assert f"+•••{NOBODYS_NUMBER[-4:]}" in lines


def test_a_provider_error_naming_the_recipient_is_masked() -> None:
    from app.logs import mask_phone_numbers

    message = "text failed for good: The 'To' number +15551234567 is not a valid phone number"
    assert mask_phone_numbers(message) == "text failed for good: The 'To' number +•••4567 is not a valid phone number"
