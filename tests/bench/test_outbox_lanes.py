"""The outbox worker's lanes: one tenant's events of one domain stay in order, lanes run side by side,
a claim hands the event over without a second read, and a lease that ran out is never finished twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from app.db import Database, utcnow
from app.outbox import service as outbox_service
from app.outbox.models import OutboxEvent
from app.outbox.worker import OutboxWorker, lanes
from app.settings import Settings
from app.tenancy import service as tenancy_service

handled: list[tuple[str | None, str, str]] = []  # (tenant, key, thread)
_lock = threading.Lock()


@outbox_service.handles("BenchLaneRecorded")
def _record(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
    with _lock:
        handled.append((event.tenant_id, str(event.payload["key"]), threading.current_thread().name))
    if event.payload.get("emit"):  # a database write that must vanish if the event cannot be finished
        outbox_service.emit(db=ctx.db, event_type="BenchLaneFollowUp", payload={"key": event.payload["key"]},
                            tenant_id=event.tenant_id)


def _other_domain(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
    with _lock:
        handled.append((event.tenant_id, str(event.payload["key"]), threading.current_thread().name))


_other_domain.__module__ = "app.some_other_domain.handlers"  # its events form their own lane
outbox_service.handles("BenchLaneOtherDomain")(_other_domain)


@outbox_service.handles("BenchLaneFollowUp")
def _follow_up(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
    """Nothing to do."""


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    handled.clear()
    yield


def _tenants(database: Database, count: int) -> list[str]:
    with database.session() as db:
        ids = [tenancy_service.create(db=db, name=f"Lane {n}", timezone="UTC", ephemeral=True, ttl_seconds=600,
                                      labels={}, business_hours={}).id for n in range(count)]
        db.commit()
    return ids


def _emit(database: Database, tenant_id: str | None, key: str, event_type: str = "BenchLaneRecorded",
          **payload: object) -> str:
    with database.session() as db:
        event = outbox_service.emit(db=db, event_type=event_type, payload={"key": key, **payload}, tenant_id=tenant_id)
        db.commit()
        return event.id


def test_lanes_split_by_tenant_and_domain_and_keep_seq_order() -> None:
    def event(seq: int, tenant: str, event_type: str = "BenchLaneRecorded") -> OutboxEvent:
        return OutboxEvent(id=f"e{seq}", seq=seq, tenant_id=tenant, event_type=event_type, payload={})

    batch = [event(5, "a"), event(1, "a"), event(2, "b"), event(3, "a", "BenchLaneOtherDomain"), event(4, "b")]
    assert [[e.seq for e in lane] for lane in lanes(batch)] == [[1, 5], [2, 4], [3]]


def test_concurrent_round_handles_everything_once_and_each_lane_in_order(database: Database, settings: Settings) -> None:
    tenants = _tenants(database, 3)
    for n in range(6):
        for tenant in tenants:
            _emit(database, tenant, f"{tenant}:{n}")
    settings.outbox_batch_size = 50
    worker = OutboxWorker(database, settings, SimpleNamespace(), worker_id="lanes", concurrency=4)
    assert worker.run_once(concurrency=4) == 18
    assert sorted(key for _, key, _ in handled) == sorted(f"{t}:{n}" for t in tenants for n in range(6))
    for tenant in tenants:
        assert [key for who, key, _ in handled if who == tenant] == [f"{tenant}:{n}" for n in range(6)]
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "done")) == 0


def test_lanes_run_on_several_threads_on_postgresql_only_one_on_sqlite(database: Database, settings: Settings) -> None:
    worker = OutboxWorker(database, settings, SimpleNamespace())
    assert worker.concurrency == (4 if database.dialect == "postgresql" else 1)
    assert OutboxWorker(database, settings, SimpleNamespace(), concurrency=2).concurrency == 2


def test_a_claim_returns_the_events_readable_after_its_session_closed(database: Database, settings: Settings) -> None:
    [tenant] = _tenants(database, 1)
    _emit(database, tenant, "first", note="kept")
    _emit(database, tenant, "second")
    claimed = OutboxWorker(database, settings, SimpleNamespace(), worker_id="reader").claim_batch()
    assert [e.payload["key"] for e in claimed] == ["first", "second"]
    assert claimed[0].payload["note"] == "kept" and claimed[0].claimed_by == "reader"
    assert all(e.claimed_until is not None and e.claimed_until > utcnow() for e in claimed)


def test_an_event_whose_lease_passed_to_another_worker_is_not_finished_twice(
    database: Database, settings: Settings
) -> None:
    [tenant] = _tenants(database, 1)
    event_id = _emit(database, tenant, "contested", emit=True)
    slow = OutboxWorker(database, settings, SimpleNamespace(), worker_id="slow")
    [event] = slow.claim_batch()
    with database.session() as db:  # meanwhile the lease expired and another worker claimed the event
        db.execute(update(OutboxEvent).where(OutboxEvent.id == event_id).values(claimed_by="other"))
        db.commit()
    slow.process(event)
    with database.session() as db:
        stored = db.get(OutboxEvent, event_id)
        assert stored is not None and stored.status == "pending" and stored.claimed_by == "other"
        follow_ups = db.scalar(select(func.count()).select_from(OutboxEvent)
                               .where(OutboxEvent.event_type == "BenchLaneFollowUp"))
        assert follow_ups == 0  # the handler ran, but its writes were rolled back with the unfinished event


def test_an_event_whose_lease_ran_out_before_its_turn_is_left_for_the_next_claim(
    database: Database, settings: Settings
) -> None:
    [tenant] = _tenants(database, 1)
    event_id = _emit(database, tenant, "late")
    worker = OutboxWorker(database, settings, SimpleNamespace(), worker_id="late")
    [event] = worker.claim_batch()
    event.claimed_until = utcnow() - timedelta(seconds=1)  # as if earlier events of the batch took the whole lease
    worker.process(event)
    assert handled == []
    with database.session() as db:
        db.execute(update(OutboxEvent).where(OutboxEvent.id == event_id)
                   .values(claimed_until=utcnow() - timedelta(seconds=1)))
        db.commit()
    assert worker.drain() == 1 and [key for _, key, _ in handled] == ["late"]
