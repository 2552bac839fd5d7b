"""Telephony ingestion: idempotency (5 replays), missed-call classification, number -> tenant routing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from app.conversations.models import Conversation, Message
from app.db import Database
from app.providers import MemoryTelephony
from app.telephony.classification import MISSED_CALL_STATUSES, is_missed_call
from app.telephony.models import WebhookEvent
from tests.messaging.conftest import CUSTOMER, OTHER_CUSTOMER, Twilio, count, events_of_type, sid

# --- classification table -----------------------------------------------------------------------------
CLASSIFICATION = [
    # (CallStatus, duration s, short-completed rule s, missed?)
    ("no-answer", 0, 0, True),
    ("busy", 0, 0, True),
    ("failed", 0, 0, True),
    ("NO-ANSWER", 0, 0, True),
    ("completed", 3, 0, False),  # rule off by default: a short answered call is not missed
    ("completed", 120, 0, False),
    ("completed", 3, 10, True),  # rule on: hung up on the greeting
    ("completed", 10, 10, False),
    ("completed", 45, 10, False),
    ("canceled", 0, 0, False),
    ("ringing", 0, 0, False),
    ("in-progress", 0, 0, False),
    ("queued", 0, 0, False),
    ("something-new", 0, 0, False),
    ("", 0, 0, False),
]


@pytest.mark.parametrize(("status", "duration", "rule", "missed"), CLASSIFICATION)
def test_missed_call_classification_table(status: str, duration: int, rule: int, missed: bool) -> None:
    assert is_missed_call(status, duration_seconds=duration, short_completed_seconds=rule) is missed


def test_the_table_names_exactly_the_three_missed_statuses() -> None:
    assert {status for status, missed in MISSED_CALL_STATUSES.items() if missed} == {"no-answer", "busy", "failed"}


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_a_missed_call_starts_a_conversation_and_texts_back(
    status: str, twilio: Twilio, make_tenant: Callable[..., dict[str, Any]], drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database,
) -> None:
    tenant = make_tenant()
    assert twilio.call(from_=CUSTOMER, to=tenant["phone_number"], status=status).status_code == 200
    assert len(events_of_type(database, tenant["id"], "MissedCallDetected")) == 1
    drain()
    assert [(m["from"], m["to"]) for m in telephony.sent] == [(tenant["phone_number"], CUSTOMER)]
    assert count(database, Conversation, tenant_id=tenant["id"]) == 1


def test_a_completed_call_is_stored_but_texts_nobody(
    twilio: Twilio, make_tenant: Callable[..., dict[str, Any]], drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database,
) -> None:
    tenant = make_tenant()
    assert twilio.call(from_=CUSTOMER, to=tenant["phone_number"], status="completed", duration=4).status_code == 200
    drain()
    assert telephony.sent == []
    assert count(database, Conversation, tenant_id=tenant["id"]) == 0
    assert count(database, WebhookEvent, tenant_id=tenant["id"], kind="voice-status") == 1


def test_the_short_completed_rule_applies_when_the_setting_turns_it_on(
    app: FastAPI, twilio: Twilio, make_tenant: Callable[..., dict[str, Any]], drain: Callable[[], int],
    telephony: MemoryTelephony,
) -> None:
    tenant = make_tenant()
    app.state.settings = app.state.settings.model_copy(update={"missed_call_short_completed_seconds": 10})
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"], status="completed", duration=3)
    twilio.call(from_=OTHER_CUSTOMER, to=tenant["phone_number"], status="completed", duration=30)
    drain()
    assert [m["to"] for m in telephony.sent] == [CUSTOMER]


# --- idempotency --------------------------------------------------------------------------------------
@pytest.mark.parametrize("with_token", [True, False], ids=["idempotency-token", "provider-ids"])
def test_five_replays_make_one_row_one_event_one_conversation_one_text(
    with_token: bool, twilio: Twilio, make_tenant: Callable[..., dict[str, Any]], drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database,
) -> None:
    tenant = make_tenant()
    call_sid = sid("CA")
    token = "idem-token-1" if with_token else ""
    for _ in range(5):
        response = twilio.call(from_=CUSTOMER, to=tenant["phone_number"], call_sid=call_sid, token=token)
        assert response.status_code == 200
    assert count(database, WebhookEvent, tenant_id=tenant["id"]) == 1
    assert len(events_of_type(database, tenant["id"], "MissedCallDetected")) == 1
    drain()
    for _ in range(5):  # replays after the worker ran change nothing either
        twilio.call(from_=CUSTOMER, to=tenant["phone_number"], call_sid=call_sid, token=token)
    drain()
    assert count(database, Conversation, tenant_id=tenant["id"]) == 1
    assert len(telephony.sent) == 1


def test_the_same_call_redelivered_with_fresh_tokens_still_texts_once(
    twilio: Twilio, make_tenant: Callable[..., dict[str, Any]], drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database,
) -> None:
    tenant = make_tenant()
    call_sid = sid("CA")
    for _ in range(3):
        twilio.call(from_=CUSTOMER, to=tenant["phone_number"], call_sid=call_sid)  # a new token each time
    drain()
    assert len(telephony.sent) == 1
    assert count(database, Message, tenant_id=tenant["id"], direction="event") == 1


def test_five_replays_of_an_inbound_text_store_it_once(
    twilio: Twilio, make_tenant: Callable[..., dict[str, Any]], drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database,
) -> None:
    tenant = make_tenant()
    message_sid = sid("SM")
    for _ in range(5):
        assert twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="Is anyone there?", message_sid=message_sid,
                          token="same-token").status_code == 200
    assert count(database, WebhookEvent, tenant_id=tenant["id"]) == 1
    assert len(events_of_type(database, tenant["id"], "InboundMessageReceived")) == 1
    drain()
    assert count(database, Message, tenant_id=tenant["id"], direction="inbound") == 1
    assert len(telephony.sent) == 1  # one hand-off reply


# --- routing ------------------------------------------------------------------------------------------
def test_an_unknown_number_is_a_200_no_op_with_a_warning(
    twilio: Twilio, database: Database, caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="app.telephony"):
        response = twilio.call(from_=CUSTOMER, to="+15550100999")
        sms = twilio.sms(from_=CUSTOMER, to="+15550100999", body="hi")
        status = twilio.status(message_sid=sid("SM"), status="delivered", from_="+15550100999", to=CUSTOMER)
        brand = twilio.brand(brand_sid=sid("BN"), status="APPROVED")
    assert [r.status_code for r in (response, sms, status, brand)] == [200, 200, 200, 200]
    assert count(database, WebhookEvent) == 0
    assert count(database, Conversation) == 0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4 and "+15550100999" in warnings[0].getMessage()


def test_webhooks_reach_the_tenant_that_owns_the_number(
    twilio: Twilio, make_tenant: Callable[..., dict[str, Any]], drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database,
) -> None:
    a, b = make_tenant(), make_tenant()
    twilio.call(from_=CUSTOMER, to=b["phone_number"])
    drain()
    assert count(database, Conversation, tenant_id=a["id"]) == 0
    assert count(database, Conversation, tenant_id=b["id"]) == 1
    assert telephony.sent[0]["from"] == b["phone_number"]


def test_a_missed_call_from_a_withheld_number_texts_nobody(
    twilio: Twilio, make_tenant: Callable[..., dict[str, Any]], drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database,
) -> None:
    tenant = make_tenant()
    assert twilio.call(from_="anonymous", to=tenant["phone_number"]).status_code == 200
    drain()
    assert telephony.sent == [] and count(database, Conversation) == 0


def test_a_signed_webhook_missing_its_ids_is_a_400(twilio: Twilio, make_tenant: Callable[..., dict[str, Any]]) -> None:
    tenant = make_tenant()
    response = twilio.post("/webhooks/twilio/voice-status", {"To": tenant["phone_number"], "From": CUSTOMER})
    assert response.status_code == 400
    assert response.json()["code"] == "webhook_incomplete"
