"""Twilio's Messages API failing - 500, 503, 429, hanging until the client times out, resetting the connection,
or answering so late that the client gave up after Twilio created the text - N times in a row: the outbox
worker retries with backoff, and exactly one text per intended SMS reaches the fake's journal. A text that
keeps failing ends `failed` with the reason, shown in the conversation (page and API), not in a silent loop.

Everything goes over HTTP through the official Twilio SDK to the fake; faults come from its /_fake/faults.
"""

from __future__ import annotations

import html
import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.conversations.models import Message
from app.db import Database
from app.outbox.models import OutboxEvent
from app.outbox.worker import OutboxWorker
from app.settings import Settings
from fakes.twilio import RunningTwilioFake
from tests.resilience.conftest import MESSAGES_CREATE, message_creates, missed_call, settle_outbox

pytestmark = pytest.mark.resilience

CALLER = "+15550106001"
TWILIO_429 = {"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429",
              "status": 429}

#: name -> (fault rule options, times it fires, whether Twilio created the text on a failed attempt)
FAULTS: dict[str, tuple[dict[str, Any], int, bool]] = {
    "500": ({"action": "status", "code": 500}, 3, False),
    "503": ({"action": "status", "code": 503}, 3, False),
    "429": ({"action": "status", "code": 429, "body": TWILIO_429}, 3, False),
    "timeout": ({"action": "timeout", "hold_ms": 3000}, 2, False),  # the SDK gives up after 0.3 s
    "connection reset": ({"action": "reset"}, 2, False),
    "answer after the client gave up": ({"action": "delay", "ms": 600}, 1, True),  # created, never heard back
}


def outbound(database: Database, tenant_id: str) -> list[Message]:
    with database.session() as db:
        return list(db.scalars(select(Message).where(Message.tenant_id == tenant_id, Message.direction == "outbound")))


def send_events(database: Database, tenant_id: str) -> list[OutboxEvent]:
    with database.session() as db:
        return list(db.scalars(select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id,
                                                         OutboxEvent.event_type == "OutboundMessageQueued")))


@pytest.mark.parametrize("fault", list(FAULTS))
def test_provider_faults_are_retried_and_exactly_one_text_is_sent(
    fault: str, twilio_fake: RunningTwilioFake, client: TestClient, settings: Settings, database: Database,
    worker: OutboxWorker, make_tenant: Callable[..., dict[str, Any]],
) -> None:
    rule, times, created_anyway = FAULTS[fault]
    options = {key: value for key, value in rule.items() if key != "action"}
    tenant = make_tenant()
    twilio_fake.control.add_fault(MESSAGES_CREATE, rule["action"], method="POST", times=times, **options)

    assert missed_call(client, settings, caller=CALLER, business=tenant["phone_number"]).status_code == 200
    settle_outbox(worker, database)
    if "ms" in options:  # let a delayed create finish at the fake, so a duplicate it makes would be counted
        time.sleep(max(0.0, message_creates(twilio_fake)[0]["started_ts"] + options["ms"] / 1000 + 0.3 - time.time()))

    texts = twilio_fake.control.messages(to=CALLER)
    assert len(texts) == 1, texts
    assert tenant["name"] in texts[0]["body"]
    [row] = outbound(database, tenant["id"])
    assert row.provider_sid == texts[0]["sid"] and row.status == "queued"
    creates = message_creates(twilio_fake)
    # A text Twilio created is adopted on the retry (found by listing), never posted again.
    assert len(creates) == (1 if created_anyway else times + 1), creates
    assert row.send_attempts == len(creates)
    [event] = send_events(database, tenant["id"])
    assert event.status == "done" and event.attempts == times
    # Backoff: each retry waited at least half its exponential step (equal jitter), never hammering Twilio.
    for attempt, (before, after) in enumerate(itertools.pairwise(creates), start=1):
        floor = min(settings.outbox_backoff_cap_seconds, settings.outbox_backoff_base_seconds * 2 ** (attempt - 1)) / 2
        assert after["started_ts"] - before["started_ts"] >= floor, (attempt, creates)


def test_a_text_that_keeps_failing_ends_failed_with_the_reason_on_the_page_and_in_the_api(
    twilio_fake: RunningTwilioFake, client: TestClient, settings: Settings, database: Database,
    worker: OutboxWorker, make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient],
) -> None:
    settings.outbox_max_attempts = 3
    tenant = make_tenant()
    twilio_fake.control.add_fault(MESSAGES_CREATE, "status", method="POST", code=503, times=100)

    assert missed_call(client, settings, caller=CALLER, business=tenant["phone_number"]).status_code == 200
    settle_outbox(worker, database)
    settle_outbox(worker, database)  # and again: a failed text is not picked up for another round

    assert twilio_fake.control.messages(to=CALLER) == []
    assert len(message_creates(twilio_fake)) == settings.outbox_max_attempts
    [row] = outbound(database, tenant["id"])
    assert row.status == "failed" and row.provider_sid is None
    assert row.status_reason and row.status_reason.startswith("Not sent after 3 attempts. Twilio answered 503")
    assert all(event.status != "pending" for event in send_events(database, tenant["id"]))

    owner = login_as(tenant, "OWNER")
    [conversation] = owner.get("/api/v1/conversations").json()["conversations"]
    [shown] = [m for m in owner.get(f"/api/v1/conversations/{conversation['id']}/messages").json()["messages"]
               if m["direction"] == "outbound"]
    assert (shown["status"], shown["status_label"], shown["status_reason"]) == ("failed", "Failed", row.status_reason)
    page = owner.get(f"/conversations/{conversation['id']}").text
    assert f'data-message-id="{row.id}" data-direction="outbound" data-status="failed"' in page
    assert '<span class="msg-status" data-testid="message-status">Failed</span>' in page
    assert html.escape(row.status_reason) in page
