"""The outbox: transactional writes, at-least-once handling, retries with seeded jitter, leases, SKIP LOCKED."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from app.db import Database, utcnow
from app.outbox import service as outbox_service
from app.outbox.models import OutboxEvent
from app.outbox.worker import OutboxWorker, PermanentFailure, backoff_seconds
from app.settings import Settings

calls: list[tuple[str, str]] = []
failures_left: dict[str, int] = {}


@outbox_service.handles("TestRecorded")
def _record(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
    key = str(event.payload["key"])
    if failures_left.get(key, 0) > 0:
        failures_left[key] -= 1
        raise RuntimeError(f"provider said 503 for {key}")
    calls.append((key, ctx.services.worker_name))


@outbox_service.handles("TestPermanent")
def _permanent(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
    raise PermanentFailure("invalid phone number")


@pytest.fixture(autouse=True)
def _reset_recordings() -> Iterator[None]:
    calls.clear()
    failures_left.clear()
    yield


def worker(database: Database, settings: Settings, name: str = "w1") -> OutboxWorker:
    return OutboxWorker(database, settings, SimpleNamespace(worker_name=name), worker_id=name)


def wait_for_a_call(*, seconds: float) -> None:
    """Until a handler has recorded a call or `seconds` passed (a running worker's thread does the work)."""
    deadline = utcnow() + timedelta(seconds=seconds)
    while not calls and utcnow() < deadline:
        threading.Event().wait(0.01)


def emit(database: Database, key: str, event_type: str = "TestRecorded") -> str:
    with database.session() as db:
        event = outbox_service.emit(db=db, event_type=event_type, payload={"key": key}, tenant_id=None)
        db.commit()
        return event.id


def test_event_exists_only_if_the_transaction_commits(database: Database, settings: Settings) -> None:
    with database.session() as db:
        outbox_service.emit(db=db, event_type="TestRecorded", payload={"key": "rolled-back"}, tenant_id=None)
        db.rollback()
    emit(database, "committed")
    assert worker(database, settings).drain() == 1
    assert calls == [("committed", "w1")]


def test_events_carry_schema_version_and_run_in_order(database: Database, settings: Settings) -> None:
    ids = [emit(database, f"k{i}") for i in range(5)]
    worker(database, settings).drain()
    assert [c[0] for c in calls] == [f"k{i}" for i in range(5)]
    with database.session() as db:
        events = [db.get(OutboxEvent, i) for i in ids]
        assert all(e is not None and e.schema_version == 1 and e.status == "done" for e in events)


def test_failures_retry_with_backoff_then_succeed(database: Database, settings: Settings) -> None:
    settings.outbox_backoff_base_seconds = 30  # 0.1-0.2 s could pass before drain's next claim on a busy host
    event_id = emit(database, "flaky")
    failures_left["flaky"] = 2
    w = worker(database, settings)
    w.drain()
    with database.session() as db:
        event = db.get(OutboxEvent, event_id)
        assert event is not None and event.status == "pending" and event.attempts == 1
        assert event.available_at > utcnow()  # not retried before its backoff
        assert "503" in (event.last_error or "")
    for _ in range(2):
        with database.session() as db:  # jump past the backoff instead of waiting for it
            db.execute(update(OutboxEvent).values(available_at=utcnow() - timedelta(seconds=1)))
            db.commit()
        w.drain()
    assert calls == [("flaky", "w1")]  # exactly one successful side effect


def test_gives_up_after_max_attempts_with_the_reason(database: Database, settings: Settings) -> None:
    settings.outbox_max_attempts = 2
    event_id = emit(database, "doomed")
    failures_left["doomed"] = 99
    w = worker(database, settings)
    for _ in range(3):
        w.drain()
        with database.session() as db:
            db.execute(update(OutboxEvent).values(available_at=utcnow() - timedelta(seconds=1)))
            db.commit()
    with database.session() as db:
        event = db.get(OutboxEvent, event_id)
        assert event is not None and event.status == "dead" and event.attempts == 2
        assert "provider said 503" in (event.last_error or "")


def test_permanent_failure_is_dead_at_once(database: Database, settings: Settings) -> None:
    event_id = emit(database, "x", event_type="TestPermanent")
    worker(database, settings).drain()
    with database.session() as db:
        event = db.get(OutboxEvent, event_id)
        assert event is not None and event.status == "dead" and "invalid phone" in (event.last_error or "")


def test_unknown_event_type_is_dead_not_looping(database: Database, settings: Settings) -> None:
    event_id = emit(database, "x", event_type="NobodyHandlesThis")
    worker(database, settings).drain()
    with database.session() as db:
        event = db.get(OutboxEvent, event_id)
        assert event is not None and event.status == "dead" and "no handler" in (event.last_error or "")


def test_a_crashed_workers_claims_expire_and_nothing_is_lost(database: Database, settings: Settings) -> None:
    for i in range(3):
        emit(database, f"c{i}")
    crashed = worker(database, settings, "crashed")
    assert len(crashed.claim_batch()) == 3  # claimed, then the process "dies" before handling
    survivor = worker(database, settings, "survivor")
    assert survivor.drain() == 0  # leases still held
    with database.session() as db:
        db.execute(update(OutboxEvent).values(claimed_until=utcnow() - timedelta(seconds=1)))
        db.commit()
    survivor.drain()
    assert sorted(calls) == [("c0", "survivor"), ("c1", "survivor"), ("c2", "survivor")]


def test_two_workers_never_handle_the_same_event(database: Database, settings: Settings) -> None:
    for i in range(40):
        emit(database, f"e{i}")
    settings.outbox_batch_size = 5
    workers = [worker(database, settings, f"w{n}") for n in range(2)]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = [c[0] for c in calls]
    assert sorted(keys) == sorted(f"e{i}" for i in range(40))
    assert len(keys) == len(set(keys))


def test_backoff_grows_and_jitter_is_seedable() -> None:
    first = [backoff_seconds(n, base=0.2, cap=30, rng=random.Random(7)) for n in range(1, 8)]
    again = [backoff_seconds(n, base=0.2, cap=30, rng=random.Random(7)) for n in range(1, 8)]
    assert first == again
    for attempts, delay in enumerate(first, start=1):
        ceiling = min(30, 0.2 * 2 ** (attempts - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert backoff_seconds(50, base=0.2, cap=30, rng=random.Random(1)) <= 30


@pytest.mark.parametrize("failures", [0, 1], ids=["woken-at-the-commit", "retried-when-its-backoff-ends"])
def test_a_running_worker_does_not_wait_for_its_poll(database: Database, settings: Settings, failures: int) -> None:
    settings.outbox_poll_interval_seconds = 30  # only the commit's wake-up and the next-due wait can make this fast
    settings.outbox_backoff_base_seconds = 0.2
    failures_left["event"] = failures
    w = worker(database, settings)
    w.start()
    try:
        emit(database, "event")
        wait_for_a_call(seconds=5)
        assert calls == [("event", "w1")]
    finally:
        w.stop()


def test_an_idle_worker_waits_until_the_next_retry_is_due_at_most_its_poll(database: Database,
                                                                          settings: Settings) -> None:
    def change(**values: object) -> None:
        with database.session() as db:
            db.execute(update(OutboxEvent).where(OutboxEvent.id == event_id).values(**values))
            db.commit()

    settings.outbox_poll_interval_seconds = 30
    w = worker(database, settings)
    assert w.idle_wait_seconds() == 30  # nothing pending: the poll
    event_id = emit(database, "later")
    change(available_at=utcnow() + timedelta(seconds=4))
    assert 3 < w.idle_wait_seconds() <= 4  # its backoff ends in 4 s
    change(claimed_by="gone", claimed_until=utcnow() + timedelta(seconds=10))  # a lease of 10 s: due when it ends
    assert 9 < w.idle_wait_seconds() <= 10
    change(available_at=utcnow() - timedelta(seconds=60), claimed_until=None)
    assert w.idle_wait_seconds() == 0  # overdue: no wait
    settings.outbox_poll_interval_seconds = 2
    change(available_at=utcnow() + timedelta(hours=1))
    assert w.idle_wait_seconds() == 2  # far off: no longer than the poll
