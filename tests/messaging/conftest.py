"""Fixtures for the messaging tests: signed Twilio webhooks, a synchronous outbox, tenants, builders.

Webhooks are signed with twilio's own RequestValidator.compute_signature over the public URL
(PUBLIC_BASE_URL + path), exactly as Twilio signs them.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from app.db import Database
from app.outbox.worker import OutboxWorker
from app.settings import Settings
from tests.conftest import make_settings

AUTH_TOKEN = "test_twilio_auth_token_0123456789"
ACCOUNT_SID = "AC" + "1" * 32
_sids = itertools.count(1)


def sid(prefix: str) -> str:
    return f"{prefix}{next(_sids):032x}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Overrides the shared fixture: webhooks need an auth token to verify against.
    return make_settings(database_url, twilio_auth_token=AUTH_TOKEN, twilio_account_sid=ACCOUNT_SID)


def signature_for(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


@dataclass
class Twilio:
    """Posts webhooks the way Twilio does (form body, signature, idempotency token)."""

    client: TestClient
    settings: Settings

    def post(self, path: str, params: dict[str, str], *, token: str | None = None, signature: str | None = None,
             sign: bool = True) -> Any:
        url = self.settings.public_base_url + path
        # token None: a fresh one (a new delivery); "": no header at all (dedupe falls back to provider ids).
        headers = {"I-Twilio-Idempotency-Token": str(uuid.uuid4()) if token is None else token}
        if not headers["I-Twilio-Idempotency-Token"]:
            del headers["I-Twilio-Idempotency-Token"]
        if sign:
            headers["X-Twilio-Signature"] = signature or signature_for(url, params)
        return self.client.post(path, data=params, headers=headers)

    def call(self, *, from_: str, to: str, status: str = "no-answer", duration: int = 0, call_sid: str | None = None,
             token: str | None = None) -> Any:
        params = {"CallSid": call_sid or sid("CA"), "AccountSid": ACCOUNT_SID, "From": from_, "To": to,
                  "Caller": from_, "Called": to, "CallStatus": status, "CallDuration": str(duration),
                  "Direction": "inbound", "ApiVersion": "2010-04-01"}
        return self.post("/webhooks/twilio/voice-status", params, token=token)

    def sms(self, *, from_: str, to: str, body: str, message_sid: str | None = None, token: str | None = None) -> Any:
        message_sid = message_sid or sid("SM")
        params = {"MessageSid": message_sid, "SmsSid": message_sid, "AccountSid": ACCOUNT_SID, "From": from_,
                  "To": to, "Body": body, "NumMedia": "0", "SmsStatus": "received", "ApiVersion": "2010-04-01"}
        return self.post("/webhooks/twilio/sms", params, token=token)

    def status(self, *, message_sid: str, status: str, from_: str, to: str, error_code: str | None = None,
               token: str | None = None) -> Any:
        params = {"MessageSid": message_sid, "SmsSid": message_sid, "MessageStatus": status, "SmsStatus": status,
                  "AccountSid": ACCOUNT_SID, "From": from_, "To": to, "ApiVersion": "2010-04-01"}
        if error_code:
            params["ErrorCode"] = error_code
        return self.post("/webhooks/twilio/message-status", params, token=token)

    def brand(self, *, brand_sid: str, status: str, failure_reason: str | None = None, token: str | None = None) -> Any:
        params = {"AccountSid": ACCOUNT_SID, "BrandRegistrationSid": brand_sid, "Status": status}
        if failure_reason:
            params["FailureReason"] = failure_reason
        return self.post("/webhooks/twilio/compliance", params, token=token)


@pytest.fixture
def twilio(client: TestClient, settings: Settings) -> Twilio:
    return Twilio(client=client, settings=settings)


@pytest.fixture
def worker(app: FastAPI, database: Database, settings: Settings) -> OutboxWorker:
    return OutboxWorker(database, settings, app.state)


@pytest.fixture
def drain(worker: OutboxWorker) -> Callable[[], int]:
    """Runs the outbox until nothing is due (what the in-process worker does in production)."""
    return worker.drain


@pytest.fixture
def db(database: Database) -> Iterator[Any]:
    with database.session() as session:
        yield session


CUSTOMER = "+15550109001"
OTHER_CUSTOMER = "+15550109002"


def count(database: Database, model: Any, **filters: Any) -> int:
    """Rows of `model` matching column == value filters (a fresh session, so it sees what was committed)."""
    from sqlalchemy import func, select

    with database.session() as session:
        query = select(func.count()).select_from(model)
        for column, value in filters.items():
            query = query.where(getattr(model, column) == value)
        return int(session.scalar(query) or 0)


def events_of_type(database: Database, tenant_id: str, event_type: str) -> list[Any]:
    from app.outbox import service as outbox_service

    with database.session() as session:
        return [e for e in outbox_service.events_for_tenant(db=session, tenant_id=tenant_id) if e.event_type == event_type]


def conversation_id_of(database: Database, tenant_id: str, customer: str) -> str:
    from sqlalchemy import select

    from app.conversations.models import Conversation

    with database.session() as session:
        found = session.scalars(select(Conversation.id).where(Conversation.tenant_id == tenant_id,
                                                              Conversation.customer_phone == customer)
                                .order_by(Conversation.created_at.desc())).first()
        assert found, f"no conversation with {customer}"
        return found


def thread_of(database: Database, conversation_id: str) -> list[Any]:
    from sqlalchemy import select

    from app.conversations.models import Message

    with database.session() as session:
        return list(session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                                    .order_by(Message.created_at, Message.id)))


def advance_clock(operator: TestClient, tenant_id: str, seconds: float) -> None:
    response = operator.put(f"/api/operator/tenants/{tenant_id}/clock", json={"advance_seconds": seconds})
    assert response.status_code == 200, response.text
