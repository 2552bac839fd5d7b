"""The assistant: skill registry order, built-ins (HELP, opt-in, fallback hand-off), silence while a person answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.conversations import assistant
from app.conversations.models import Message
from app.db import Database
from app.providers import MemoryTelephony
from app.settings import Settings
from app.tenancy.models import Tenant
from tests.messaging.conftest import CUSTOMER, Twilio, conversation_id_of, thread_of

Calls = list[tuple[str, str]]


@pytest.fixture
def calls() -> Iterator[Calls]:
    """Registers three test skills ahead of everyone (order 1..3) and removes them afterwards."""
    seen: Calls = []

    def echo(db: Session, tenant: Tenant, conversation: assistant.ConversationInfo, text: str,
             settings: Settings) -> str | None:
        seen.append(("echo", text))
        return f"echo: {text[5:]}" if text.lower().startswith("echo ") else None

    def shout(db: Session, tenant: Tenant, conversation: assistant.ConversationInfo, text: str,
              settings: Settings) -> assistant.Reply | None:
        seen.append(("shout", text))
        if text.lower().startswith(("echo ", "shout ")):
            return assistant.Reply(text.upper(), needs_human=True, reason="shouting")
        return None

    def broken(db: Session, tenant: Tenant, conversation: assistant.ConversationInfo, text: str,
               settings: Settings) -> str | None:
        seen.append(("broken", text))
        # A write that must be undone when the skill fails.
        db.add(Message(tenant_id=tenant.id, conversation_id=conversation.id, direction="event", author="system",
                       body="half-written by a broken skill", status="logged"))
        db.flush()
        raise RuntimeError("skill bug")

    assistant.register_skill("test-broken", broken, order=1)
    assistant.register_skill("test-shout", shout, order=3)
    assistant.register_skill("test-echo", echo, order=2)
    yield seen
    for name in ("test-broken", "test-shout", "test-echo"):
        assistant.unregister_skill(name)


def test_skills_are_tried_in_order_and_the_first_reply_wins(
    calls: Calls, make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database,
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="  echo hello  ")
    drain()
    assert calls == [("broken", "echo hello"), ("echo", "echo hello")]  # stripped text; shout never asked
    assert [m["body"] for m in telephony.sent] == ["echo: hello"]
    thread = thread_of(database, conversation_id_of(database, tenant["id"], CUSTOMER))
    assert "half-written by a broken skill" not in [m.body for m in thread]  # the broken skill's write was undone
    assert thread[-1].author == "assistant" and thread[-1].author_name == "test-echo"


def test_a_reply_object_can_flag_the_conversation_for_a_person(
    calls: Calls, make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="shout hi")
    drain()
    assert [m["body"] for m in telephony.sent] == ["SHOUT HI"]
    row = login_as(tenant).get("/api/v1/conversations").json()["conversations"][0]
    assert row["needs_attention"] is True and row["attention_reason"] == "shouting"


def test_skills_come_in_the_registry_order() -> None:
    names = [s.name for s in assistant.skills()]
    assistant.register_skill("test-late", lambda *a: None, order=999)
    assistant.register_skill("test-early", lambda *a: None, order=-1)
    try:
        ordered = [s.name for s in assistant.skills()]
        assert ordered[0] == "test-early" and ordered[-1] == "test-late"
        assert [n for n in ordered if n not in ("test-early", "test-late")] == names
    finally:
        assistant.unregister_skill("test-late")
        assistant.unregister_skill("test-early")


def test_anything_no_skill_handles_gets_a_polite_hand_off_and_a_flag_once(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="Do you do weddings?")
    drain()
    assert len(telephony.sent) == 1
    assert "passed your message to the team" in telephony.sent[0]["body"] and tenant["name"] in telephony.sent[0]["body"]
    owner = login_as(tenant)
    row = owner.get("/api/v1/conversations").json()["conversations"][0]
    assert row["needs_attention"] is True and "Do you do weddings?" in row["attention_reason"]
    inbox = owner.get("/inbox").text
    assert 'data-testid="needs-attention"' in inbox
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="And birthdays?")
    drain()
    assert len(telephony.sent) == 1  # the customer already knows a person will answer


def test_help_gets_the_help_reply(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], telephony: MemoryTelephony,
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="help")
    drain()
    assert len(telephony.sent) == 1
    body = telephony.sent[0]["body"]
    assert tenant["name"] in body and tenant["phone_number"] in body and "Reply STOP" in body


def test_the_assistant_is_silent_while_a_person_answers_and_back_after(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, login_as: Callable[..., TestClient], database: Database,
) -> None:
    tenant = make_tenant()
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    drain()
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    owner = login_as(tenant)
    csrf = {"X-CSRF-Token": owner.cookies.get("nmc_csrf") or ""}
    owner.post(f"/api/v1/conversations/{conversation_id}/takeover", headers=csrf)
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="Are you there?")
    drain()
    assert len(telephony.sent) == 1  # only the first reply to the missed call
    detail = owner.get(f"/api/v1/conversations/{conversation_id}").json()
    assert detail["needs_attention"] is True and detail["attention_reason"] == "The customer replied"
    owner.post(f"/api/v1/conversations/{conversation_id}/release", headers=csrf)
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="Hello?")
    drain()
    assert len(telephony.sent) == 2 and "passed your message" in telephony.sent[1]["body"]


def test_each_inbound_text_is_answered_once_even_if_its_event_runs_twice(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database, settings: Settings,
) -> None:
    from app.conversations import service as conversations_service
    from app.tenancy import service as tenancy_service

    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="What are your hours?")
    drain()
    with database.session() as db:
        inbound = db.scalar(select(Message).where(Message.tenant_id == tenant["id"], Message.direction == "inbound"))
        assert inbound is not None
        row = tenancy_service.get(db=db, tenant_id=tenant["id"])
        first = conversations_service.reply_to_inbound(db=db, tenant=row, message_id=inbound.id, settings=settings)
        db.commit()
    drain()
    assert first is not None and len(telephony.sent) == 1
