"""STOP / START / HELP end to end: the ledger, the blocked conversation, no further texts, re-subscribing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.compliance import service as compliance_service
from app.conversations import service as conversations_service
from app.db import Database
from app.providers import MemoryTelephony
from tests.conftest import csrf_of
from tests.messaging.conftest import CUSTOMER, Twilio, conversation_id_of, thread_of


@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "cancel", "END", "quit", "REVOKE", "optout"])
def test_an_opt_out_word_blocks_the_conversation_and_records_the_ledger(
    word: str, make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database,
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body=word)
    drain()
    assert telephony.sent == []  # no reply: the carrier confirms the opt-out itself
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    with database.session() as db:
        ledger = compliance_service.ledger(db=db, tenant_id=tenant["id"], customer_phone=CUSTOMER)
        assert [(e.action, e.keyword) for e in ledger] == [("opt_out", word.upper())]
        assert compliance_service.is_opted_out(db=db, tenant_id=tenant["id"], customer_phone=CUSTOMER)
        conversation = conversations_service.get_conversation(db=db, tenant_id=tenant["id"],
                                                              conversation_id=conversation_id)
        assert conversation.state == "blocked"


def test_after_stop_nothing_more_is_sent_and_the_composer_says_why(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database, login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    drain()
    assert len(telephony.sent) == 1
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="STOP")
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])  # a later missed call
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="what?")  # ordinary text while opted out
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="HELP")  # not even HELP may be answered now
    drain()
    assert len(telephony.sent) == 1
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    owner = login_as(tenant)
    sent = owner.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "Sorry to see you go"},
                      headers={"X-CSRF-Token": csrf_of(owner)})
    assert sent.status_code == 403 and sent.json()["code"] == "opted_out"
    page = owner.get(f"/conversations/{conversation_id}").text
    assert 'data-testid="composer-disabled-reason"' in page and "opted out by texting STOP" in page
    assert 'name="body" maxlength="1600" rows="3" required' in page and "disabled" in page


def test_a_text_queued_before_stop_is_not_sent_after_it(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database,
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="Hi")
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    with database.session() as db:  # e.g. a booking confirmation queued by another domain
        conversations_service.queue_outbound(db=db, tenant_id=tenant["id"], conversation_id=conversation_id,
                                             body="Your appointment is confirmed", author="system")
        db.commit()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="stop")  # arrives before the worker runs
    drain()
    assert telephony.sent == []
    statuses = {m.body: m.status for m in thread_of(database, conversation_id) if m.direction == "outbound"}
    assert statuses["Your appointment is confirmed"] == "blocked"


def test_start_re_subscribes_and_texts_flow_again(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database, login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="STOP")
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="start")
    drain()
    assert len(telephony.sent) == 1 and "subscribed again" in telephony.sent[0]["body"]
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    owner = login_as(tenant)
    assert owner.get(f"/api/v1/conversations/{conversation_id}").json()["state"] == "open"
    sent = owner.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "Welcome back!"},
                      headers={"X-CSRF-Token": csrf_of(owner)})
    assert sent.status_code == 201
    drain()
    assert [m["body"] for m in telephony.sent][-1] == "Welcome back!"
    with database.session() as db:
        assert [e.action for e in compliance_service.ledger(db=db, tenant_id=tenant["id"])] == ["opt_out", "opt_in"]


@pytest.mark.parametrize("word", ["YES", "unstop"])
def test_yes_and_unstop_re_subscribe_an_opted_out_customer(
    word: str, make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony,
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="STOP")
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body=word)
    drain()
    assert [m["to"] for m in telephony.sent] == [CUSTOMER]


def test_a_new_conversation_with_an_opted_out_customer_starts_blocked(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database, operator: TestClient, login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="STOP")
    operator.put(f"/api/operator/tenants/{tenant['id']}/clock", json={"advance_seconds": 3 * 86400})
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    drain()
    assert telephony.sent == []
    states = [c["state"] for c in login_as(tenant).get("/api/v1/conversations").json()["conversations"]]
    assert states == ["blocked"]  # the old blocked one stays the live one: blocked never auto-closes
