"""Outbound texts: rows first, sent by the worker exactly once through provider faults; delivery status updates."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.conversations import service as conversations_service
from app.conversations.models import Message
from app.conversations.sender import classify_failure
from app.db import Database
from app.main import create_app
from app.outbox.models import OutboxEvent
from app.outbox.worker import OutboxWorker
from app.providers import DisabledTelephony, MemoryTelephony, SentMessage, Telephony, TelephonyNotConfigured
from app.providers.twilio_gateway import TwilioTelephony
from app.settings import Settings
from tests.conftest import OPERATOR_TOKEN, tenant_spec
from tests.messaging.conftest import ACCOUNT_SID, AUTH_TOKEN, CUSTOMER, Twilio, conversation_id_of, thread_of


class WorkerKilled(BaseException):
    """Not an Exception: like a SIGKILL, nothing in the worker gets to handle it."""


class ProviderError(Exception):
    """Shaped like twilio.base.exceptions.TwilioRestException (status, code, msg)."""

    def __init__(self, status: int, code: int | None, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


@dataclass
class ScriptedTelephony(MemoryTelephony):
    """MemoryTelephony whose sends follow a script: ok | 5xx | 400 | timeout-before | timeout-after | killed-after.

    `sent` is the provider's journal: a message is in it only if the provider created it.
    """

    script: list[str] = field(default_factory=list)
    attempts: int = 0

    def send_sms(self, *, from_: str, to: str, body: str, status_callback: str) -> SentMessage:
        self.attempts += 1
        action = self.script.pop(0) if self.script else "ok"
        if action == "5xx":
            raise ProviderError(503, 20500, "Service unavailable")
        if action == "400":
            raise ProviderError(400, 21211, "The 'To' number is not a valid phone number.")
        if action == "timeout-before":
            raise TimeoutError("read timed out")
        sent = super().send_sms(from_=from_, to=to, body=body, status_callback=status_callback)
        if action == "timeout-after":
            raise TimeoutError("read timed out")  # the provider created it; we never heard back
        if action == "killed-after":
            raise WorkerKilled  # the provider created it; then the worker process died
        return sent
    # find_sent_message is MemoryTelephony's own: the journal is searched like Twilio's message list.


def fast_worker(database: Database, settings: Settings, telephony: Any, **overrides: Any) -> OutboxWorker:
    """A worker that retries at once (no backoff) with its own settings and telephony."""
    tuned = settings.model_copy(update={"outbox_backoff_base_seconds": 0.0, **overrides})
    return OutboxWorker(database, tuned, SimpleNamespace(settings=tuned, db=database, telephony=telephony))


def outbound(database: Database, tenant_id: str) -> list[Message]:
    with database.session() as db:
        return list(db.scalars(select(Message).where(Message.tenant_id == tenant_id, Message.direction == "outbound")))


def message_events(database: Database, tenant_id: str) -> list[OutboxEvent]:
    with database.session() as db:
        return list(db.scalars(select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id,
                                                         OutboxEvent.event_type == "OutboundMessageQueued")))


# --- rows first -----------------------------------------------------------------------------------------
def test_a_text_is_a_row_first_and_reaches_the_provider_only_through_the_worker(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database, settings: Settings,
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="hi")
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    with database.session() as db:
        message = conversations_service.queue_outbound(db=db, tenant_id=tenant["id"], conversation_id=conversation_id,
                                                       body="We can come Tuesday", author="system")
        db.commit()
        assert message.status == "queued" and message.provider_sid is None
    assert telephony.sent == []
    drain()
    sent = [m for m in telephony.sent if m["body"] == "We can come Tuesday"]
    assert len(sent) == 1 and sent[0]["from"] == tenant["phone_number"]
    stored = next(m for m in outbound(database, tenant["id"]) if m.body == "We can come Tuesday")
    assert stored.provider_sid == sent[0]["sid"] and stored.sent_at is not None


def test_queue_outbound_is_idempotent_with_a_dedupe_key_and_validates_its_input(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, database: Database,
) -> None:
    from app.errors import NotFound, ValidationFailed

    tenant, other = make_tenant(), make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="hi")
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    with database.session() as db:
        kwargs = {"db": db, "tenant_id": tenant["id"], "conversation_id": conversation_id, "author": "system"}
        first = conversations_service.queue_outbound(**kwargs, body="Confirmed", dedupe_key="booking:1")
        second = conversations_service.queue_outbound(**kwargs, body="Confirmed", dedupe_key="booking:1")
        assert first.id == second.id
        with pytest.raises(ValidationFailed, match="Write a message"):
            conversations_service.queue_outbound(**kwargs, body="   ")
        with pytest.raises(ValidationFailed, match="at most 1600"):
            conversations_service.queue_outbound(**kwargs, body="x" * 1601)
        with pytest.raises(ValidationFailed, match="author"):
            conversations_service.queue_outbound(**{**kwargs, "author": "robot"}, body="hi")
        with pytest.raises(NotFound):  # another tenant's conversation does not exist for this tenant
            conversations_service.queue_outbound(**{**kwargs, "tenant_id": other["id"]}, body="hi")


# --- exactly once through faults ------------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["5xx", "timeout-before", "timeout-after"])
def test_a_provider_fault_is_retried_without_a_second_text(
    fault: str, make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, database: Database, settings: Settings,
) -> None:
    tenant = make_tenant()
    provider = ScriptedTelephony(script=[fault, fault])
    worker = fast_worker(database, settings, provider)
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    worker.drain()
    assert len(provider.sent) == 1  # the provider's journal: one text, whatever happened
    [message] = outbound(database, tenant["id"])
    assert message.status == "queued" and message.provider_sid == provider.sent[0]["sid"]
    # Sends actually attempted: the one Twilio accepted without answering is adopted, not sent again.
    assert message.send_attempts == (1 if fault == "timeout-after" else 3)
    assert provider.attempts == (1 if fault == "timeout-after" else 3)
    assert all(e.status == "done" for e in message_events(database, tenant["id"]))


def test_memory_telephony_answers_find_sent_message_like_the_provider(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, database: Database, settings: Settings,
) -> None:
    """The plain MemoryTelephony (no script) loses a create's response; the retry adopts, never resends."""
    tenant = make_tenant()
    provider = MemoryTelephony(lose_responses=1)
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    fast_worker(database, settings, provider).drain()
    assert len(provider.sent) == 1
    [message] = outbound(database, tenant["id"])
    assert message.provider_sid == provider.sent[0]["sid"] and message.status == "queued"
    assert message.send_attempts == 1  # the second attempt asked the provider instead of sending


def test_find_sent_message_matches_pair_body_time_and_skips_known_sids() -> None:
    provider = MemoryTelephony()
    before = datetime.now(UTC)
    first = provider.send_sms(from_="+15550100001", to=CUSTOMER, body="hello", status_callback="")
    second = provider.send_sms(from_="+15550100001", to=CUSTOMER, body="hello", status_callback="")
    find = provider.find_sent_message
    assert find(from_="+15550100001", to=CUSTOMER, body="hello", created_after=before) == second  # newest first
    assert find(from_="+15550100001", to=CUSTOMER, body="hello", created_after=before,
                exclude_sids={second.provider_sid}) == first
    assert find(from_="+15550100001", to=CUSTOMER, body="hello", created_after=before,
                exclude_sids={first.provider_sid, second.provider_sid}) is None
    assert find(from_="+15550100001", to=CUSTOMER, body="other text", created_after=before) is None
    assert find(from_="+15550100002", to=CUSTOMER, body="hello", created_after=before) is None
    assert find(from_="+15550100001", to=CUSTOMER, body="hello", created_after=before + timedelta(minutes=5)) is None


def test_every_telephony_implements_find_sent_message_with_the_protocol_signature() -> None:
    expected = inspect.signature(Telephony.find_sent_message)
    for implementation in (MemoryTelephony, DisabledTelephony, TwilioTelephony):
        assert inspect.signature(implementation.find_sent_message) == expected, implementation.__name__
    # Nothing can have been sent without credentials, so there is nothing to adopt.
    assert DisabledTelephony().find_sent_message(from_="+15550100001", to=CUSTOMER, body="hi",
                                                 created_after=datetime.now(UTC)) is None


def test_a_worker_killed_after_the_provider_accepted_does_not_text_twice(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, database: Database, settings: Settings,
) -> None:
    from sqlalchemy import update

    from app.db import utcnow

    tenant = make_tenant()
    provider = ScriptedTelephony(script=["killed-after"])
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    with pytest.raises(WorkerKilled):
        fast_worker(database, settings, provider).drain()
    [message] = outbound(database, tenant["id"])
    assert message.status == "sending" and message.send_attempts == 1  # the marker survived the crash
    with database.session() as db:  # the dead worker's lease runs out; its failure was never recorded
        db.execute(update(OutboxEvent).where(OutboxEvent.tenant_id == tenant["id"]).values(claimed_until=utcnow()))
        db.commit()
    fast_worker(database, settings, provider).drain()
    assert len(provider.sent) == 1 and provider.attempts == 1
    [message] = outbound(database, tenant["id"])
    assert message.provider_sid == provider.sent[0]["sid"]
    assert all(e.status == "done" for e in message_events(database, tenant["id"]))


def test_a_permanent_refusal_fails_at_once_with_the_reason(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, database: Database, settings: Settings,
    login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    provider = ScriptedTelephony(script=["400"])
    worker = fast_worker(database, settings, provider)
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    worker.drain()
    assert provider.attempts == 1 and provider.sent == []
    [message] = outbound(database, tenant["id"])
    assert message.status == "failed" and message.error_code == "21211"
    assert "not a valid phone number" in (message.status_reason or "")
    page = login_as(tenant).get(f"/conversations/{message.conversation_id}").text
    assert 'data-status="failed"' in page and "not a valid phone number" in page


def test_a_text_that_keeps_failing_ends_failed_with_the_reason(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, database: Database, settings: Settings,
) -> None:
    tenant = make_tenant()
    provider = ScriptedTelephony(script=["5xx"] * 10)
    worker = fast_worker(database, settings, provider, outbox_max_attempts=3)
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    worker.drain()
    assert provider.attempts == 3 and provider.sent == []
    [message] = outbound(database, tenant["id"])
    assert message.status == "failed" and message.send_attempts == 3
    assert message.status_reason == "Not sent after 3 attempts. Twilio answered 503: Service unavailable"
    assert [e.status for e in message_events(database, tenant["id"])] == ["done"]  # visible failure, not a dead event


def test_failure_classification() -> None:
    assert classify_failure(ProviderError(400, 21211, "bad To"))[0] is True
    assert classify_failure(ProviderError(429, 20429, "slow down"))[0] is False
    assert classify_failure(ProviderError(500, None, "oops"))[0] is False
    assert classify_failure(TimeoutError("read timed out"))[0] is False
    assert classify_failure(TelephonyNotConfigured("Twilio is not configured"))[0] is True


# --- delivery status ------------------------------------------------------------------------------------
def _sent_message(twilio: Twilio, tenant: dict[str, Any], drain: Callable[[], int], database: Database) -> Message:
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    drain()
    [message] = outbound(database, tenant["id"])
    assert message.provider_sid
    return message


def _status_of(database: Database, message_id: str) -> Message:
    with database.session() as db:
        found = db.get(Message, message_id)
        assert found is not None
        return found


def test_delivery_status_moves_forward_and_replays_change_nothing(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], database: Database,
) -> None:
    tenant = make_tenant()
    message = _sent_message(twilio, tenant, drain, database)
    sid, number = message.provider_sid or "", tenant["phone_number"]
    for _ in range(5):
        twilio.status(message_sid=sid, status="sent", from_=number, to=CUSTOMER)
    assert _status_of(database, message.id).status == "sent"
    twilio.status(message_sid=sid, status="delivered", from_=number, to=CUSTOMER)
    changed_at = _status_of(database, message.id).status_changed_at
    for status in ("sent", "sending", "queued", "delivered", "failed"):  # late, reordered or impossible: ignored
        twilio.status(message_sid=sid, status=status, from_=number, to=CUSTOMER)
    final = _status_of(database, message.id)
    assert final.status == "delivered" and final.status_changed_at == changed_at


def test_undelivered_is_terminal_and_says_why(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], database: Database,
) -> None:
    tenant = make_tenant()
    message = _sent_message(twilio, tenant, drain, database)
    sid, number = message.provider_sid or "", tenant["phone_number"]
    twilio.status(message_sid=sid, status="undelivered", from_=number, to=CUSTOMER, error_code="30006")
    twilio.status(message_sid=sid, status="delivered", from_=number, to=CUSTOMER)
    final = _status_of(database, message.id)
    assert final.status == "undelivered" and final.error_code == "30006"
    assert final.status_reason == "Not delivered: the number is a landline or cannot receive texts (Twilio error 30006)."


def test_a_status_callback_that_overtakes_the_send_is_applied_when_the_sid_is_recorded(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database,
) -> None:
    tenant = make_tenant()
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    upcoming_sid = f"SM{len(telephony.sent):032x}"  # what MemoryTelephony will answer
    assert twilio.status(message_sid=upcoming_sid, status="sent", from_=tenant["phone_number"],
                         to=CUSTOMER).status_code == 200
    assert twilio.status(message_sid=upcoming_sid, status="delivered", from_=tenant["phone_number"],
                         to=CUSTOMER).status_code == 200
    drain()
    [message] = outbound(database, tenant["id"])
    assert message.provider_sid == upcoming_sid and message.status == "delivered"


# --- against the Twilio fake, through the official SDK ----------------------------------------------------
@dataclass
class FakeStack:
    app: FastAPI
    operator: TestClient
    twilio: Twilio
    fake: Any
    worker: OutboxWorker


@pytest.fixture
def fake_stack(database: Database, settings: Settings) -> Iterator[FakeStack]:
    from fakes.twilio import TwilioFakeConfig, running_twilio_fake

    config = TwilioFakeConfig(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, auto_status=False)
    with running_twilio_fake(config) as fake:
        tuned = settings.model_copy(update={"twilio_api_base": fake.base_url, "twilio_http_timeout_seconds": 0.5,
                                            "outbox_backoff_base_seconds": 1.0, "outbox_backoff_cap_seconds": 1.0})
        provider = TwilioTelephony(tuned)
        app = create_app(tuned, database=database, telephony=provider, start_worker=False)
        with TestClient(app) as client, TestClient(app, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}) as op:
            worker = OutboxWorker(database, tuned, app.state)
            yield FakeStack(app=app, operator=op, twilio=Twilio(client=client, settings=tuned), fake=fake, worker=worker)


def run_until_idle(stack: FakeStack, database: Database, tenant_id: str, timeout: float = 15.0) -> None:
    """Drains the outbox, waiting out backoff delays, until no event of the tenant is pending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.worker.drain()
        with database.session() as db:
            pending = db.scalar(select(OutboxEvent.id).where(OutboxEvent.tenant_id == tenant_id,
                                                             OutboxEvent.status == "pending"))
        if pending is None:
            return
        time.sleep(0.05)
    raise AssertionError("outbox did not settle")


@pytest.mark.parametrize(
    ("fault", "options"),
    [("status", {"code": 500}), ("timeout", {"hold_ms": 2000}), ("reset", {}), ("delay", {"ms": 800})],
    ids=["5xx", "timeout-before-create", "connection-reset", "timeout-after-create"],
)
def test_against_the_fake_a_fault_never_makes_a_second_text(
    fault: str, options: dict[str, Any], fake_stack: FakeStack, database: Database,
) -> None:
    created = fake_stack.operator.post("/api/operator/tenants", json=tenant_spec(phone_number="+15550100777"))
    assert created.status_code == 201, created.text
    tenant = created.json()
    fake_stack.fake.control.add_fault(r"/Messages(\.json)?$", fault, method="POST", times=1, **options)
    assert fake_stack.twilio.call(from_=CUSTOMER, to=tenant["phone_number"]).status_code == 200
    run_until_idle(fake_stack, database, tenant["id"])
    messages = fake_stack.fake.control.messages(to=CUSTOMER)
    assert len(messages) == 1, messages
    [row] = outbound(database, tenant["id"])
    assert row.provider_sid == messages[0]["sid"] and row.status == "queued"
    assert tenant["name"] in messages[0]["body"]
    creates = [r for r in fake_stack.fake.control.requests(direction="inbound")
               if r["method"] == "POST" and r["path"].endswith("/Messages.json")]
    # A create that Twilio (the fake) handled is adopted on retry, never posted again.
    assert len(creates) == (1 if fault == "delay" else 2), creates
    assert row.send_attempts == len(creates)


def test_against_the_fake_an_invalid_number_fails_with_twilios_reason(fake_stack: FakeStack, database: Database) -> None:
    tenant = fake_stack.operator.post("/api/operator/tenants", json=tenant_spec(phone_number="+15550100778")).json()
    fake_stack.twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="hello")
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    fake_stack.fake.control.add_fault(r"/Messages(\.json)?$", "status", method="POST", times=1, code=400,
                                      body={"code": 21211, "message": "The 'To' number is not a valid phone number.",
                                            "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400})
    run_until_idle(fake_stack, database, tenant["id"])
    [failed] = [m for m in thread_of(database, conversation_id) if m.direction == "outbound"]
    assert failed.status == "failed" and failed.error_code == "21211"
    assert "not a valid phone number" in (failed.status_reason or "")
