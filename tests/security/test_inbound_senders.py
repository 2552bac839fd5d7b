"""Informational item of issue 23: an inbound text from a sender that is not an E.164 number ('abc', a
300-digit number) is stored as a webhook but opens no conversation, so the assistant never answers it."""

from __future__ import annotations

import uuid

import pytest

from tests.security.conftest import TWILIO_ACCOUNT_SID, RouteWorld
from tests.security.signing import twilio_request
from tests.security.snapshots import row_counts

pytestmark = pytest.mark.security


@pytest.mark.parametrize("sender", ["abc", "+" + "1" * 300, "12345", "+0123456789"])
def test_a_text_from_a_non_e164_sender_opens_no_conversation(world: RouteWorld, sender: str) -> None:
    before = row_counts(world.database)
    params = {"AccountSid": TWILIO_ACCOUNT_SID, "MessageSid": f"SM{uuid.uuid4().hex}", "From": sender,
              "To": world.tenant["phone_number"], "Body": "hello", "NumMedia": "0"}
    signed = twilio_request(world.settings, "/webhooks/twilio/sms", params)
    client = world.visitors["anonymous"].client
    assert client.post("/webhooks/twilio/sms", content=signed.content, headers=signed.headers).status_code == 200
    after = row_counts(world.database)
    assert after["webhook_events"] == before["webhook_events"] + 1  # received and deduplicated as usual
    changed = {table for table in after if after[table] != before[table]}
    assert changed == {"webhook_events"}, changed


def test_a_text_from_an_e164_sender_still_opens_one(world: RouteWorld) -> None:
    before = row_counts(world.database)
    params = {"AccountSid": TWILIO_ACCOUNT_SID, "MessageSid": f"SM{uuid.uuid4().hex}", "From": "+15550107777",
              "To": world.tenant["phone_number"], "Body": "hello", "NumMedia": "0"}
    signed = twilio_request(world.settings, "/webhooks/twilio/sms", params)
    client = world.visitors["anonymous"].client
    assert client.post("/webhooks/twilio/sms", content=signed.content, headers=signed.headers).status_code == 200
    assert row_counts(world.database)["conversations"] == before["conversations"] + 1
