"""The outbox worker as its own process (`python -m app worker`):

- SIGKILLed in the middle of a batch (texts going out, one of them in flight at Twilio): a new worker
  started on the same database sends every remaining text, and no customer gets a text twice;
- two workers running at once (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer at a time) never
  handle the same event: every text is posted to Twilio exactly once, and the texts each worker sent
  (from its own log) do not overlap, while both did part of the work.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.conversations.models import Message
from app.db import Database
from app.outbox.models import OutboxEvent
from app.settings import Settings
from fakes.twilio import RunningTwilioFake
from tests.conftest import OPERATOR_TOKEN
from tests.resilience.conftest import ACCOUNT_SID, AUTH_TOKEN, MESSAGES_CREATE, message_creates, missed_call, wait_for
from tests.resilience.processes import Processes, app_environment

pytestmark = pytest.mark.resilience


@pytest.fixture
def worker_env(database_url: str, settings: Settings, twilio_fake: RunningTwilioFake) -> dict[str, str]:
    return app_environment(database_url, settings.public_base_url, twilio_url=twilio_fake.base_url,
                           account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, operator_token=OPERATOR_TOKEN)


def outbox_summary(database: Database) -> Counter[str]:
    with database.session() as db:
        return Counter({status: count for status, count in
                        db.execute(select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status))})


def sent_rows(database: Database) -> list[Message]:
    with database.session() as db:
        return list(db.scalars(select(Message).where(Message.direction == "outbound")))


def callers(n: int, first: int) -> list[str]:
    return [f"+1555010{first + i:04d}" for i in range(n)]


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    processes: Processes, worker_env: dict[str, str], twilio_fake: RunningTwilioFake, client: TestClient,
    settings: Settings, database: Database, make_tenant: Callable[..., dict[str, Any]],
) -> None:
    tenant = make_tenant()
    # Twilio answers slowly, so the kill lands while texts are going out and one is in flight.
    twilio_fake.control.add_fault(MESSAGES_CREATE, "delay", method="POST", ms=250, times=1000)
    people = callers(8, 7100)
    for caller in people:
        assert missed_call(client, settings, caller=caller, business=tenant["phone_number"]).status_code == 200

    first = processes.worker("worker", worker_env).start()
    wait_for(lambda: len(message_creates(twilio_fake)) >= 3, what="the first texts to go out")
    first.kill(signal.SIGKILL)
    created_at_kill = len(twilio_fake.control.messages())
    assert created_at_kill < len(people), "the batch finished before the kill: nothing was interrupted"
    assert outbox_summary(database)["pending"] > 0

    processes.worker("replacement", worker_env).start()
    wait_for(lambda: outbox_summary(database)["pending"] == 0, timeout=40, what="the replacement to finish")
    # (the text in flight at the kill was created 250 ms later, long before the lease let the replacement in)

    texts = twilio_fake.control.messages()
    assert Counter(t["to"] for t in texts) == Counter(people), texts  # each caller exactly once
    rows = sent_rows(database)
    assert sorted(r.provider_sid or "" for r in rows) == sorted(t["sid"] for t in texts)
    assert outbox_summary(database).keys() == {"done"}
    # The text in flight at the kill was created by Twilio; the replacement looked it up and adopted it.
    lookups = [r for r in twilio_fake.control.requests(direction="inbound")
               if r["method"] == "GET" and r["path"].endswith("/Messages.json")]
    assert lookups and len(message_creates(twilio_fake)) == len(people)


def test_two_workers_at_once_never_handle_the_same_event(
    processes: Processes, worker_env: dict[str, str], twilio_fake: RunningTwilioFake, client: TestClient,
    settings: Settings, database: Database, make_tenant: Callable[..., dict[str, Any]],
) -> None:
    env = {**worker_env, "OUTBOX_BATCH_SIZE": "4"}  # small batches, so the two take turns
    workers = [processes.worker(f"worker-{n}", env).start() for n in (1, 2)]
    twilio_fake.control.add_fault(MESSAGES_CREATE, "delay", method="POST", ms=60, times=1000)
    tenants = [make_tenant() for _ in range(3)]  # several tenants: events of one tenant are handled in order
    expected: Counter[tuple[str, str]] = Counter()
    for index, tenant in enumerate(tenants):
        for caller in callers(6, 7200 + 10 * index):
            assert missed_call(client, settings, caller=caller, business=tenant["phone_number"]).status_code == 200
            expected[(tenant["phone_number"], caller)] += 1

    wait_for(lambda: outbox_summary(database)["pending"] == 0 and
             len(twilio_fake.control.messages()) >= sum(expected.values()), timeout=60, what="every text")

    texts = twilio_fake.control.messages()
    assert Counter((t["from"], t["to"]) for t in texts) == expected
    # Each text was posted to Twilio once: two workers sending the same queued text would post it twice.
    assert len(message_creates(twilio_fake)) == sum(expected.values())
    with database.session() as db:
        events = list(db.scalars(select(OutboxEvent)))
    # (A handler may still fail and be retried - e.g. two tenants' writes colliding - which is at-least-once
    # delivery working, not two workers holding one event; the worker logs each such retry.)
    assert {e.status for e in events} == {"done"}, [(e.event_type, e.status, e.last_error) for e in events]
    accepted = [{e["message_id"] for e in w.log_entries() if e.get("message") == "text accepted by the provider"}
                for w in workers]
    assert accepted[0] and accepted[1], "one worker did everything: the test proved nothing about concurrency"
    assert not accepted[0] & accepted[1]
    assert len(accepted[0] | accepted[1]) == sum(expected.values())
