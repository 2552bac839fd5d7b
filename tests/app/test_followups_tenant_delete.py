"""Deleting a tenant while the outbox worker holds rows of it (PostgreSQL): a deadlock is retried, never a 500.

The race, made deterministic: a handler run by a real OutboxWorker thread updates a row of the tenant
(its transaction now holds that row), waits until the DELETE is blocked on that row (the DELETE already
holds the tenant row), then inserts a row referencing the tenant (which needs a share lock on the tenant
row). Each waits for the other; PostgreSQL aborts the DELETE, which used to answer 500.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update

from app.db import Database
from app.identity.models import User
from app.outbox import service as outbox_service
from app.outbox.models import OutboxEvent
from app.outbox.worker import OutboxWorker
from app.settings import Settings
from app.tenancy.models import Tenant
from tests.conftest import tenant_spec

PROBE = "FollowupsDeleteRaceProbe"
AFTERMATH = "FollowupsDeleteRaceAftermath"


def _delete_is_waiting_for_a_lock(database: Database) -> bool:
    with database.engine.connect() as conn:
        return bool(conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query ILIKE 'DELETE FROM tenants%'")))


@pytest.fixture
def racing_handler(database: Database) -> Iterator[dict[str, Any]]:
    """Registers the probe handler; the dict reports what it saw."""
    seen: dict[str, Any] = {"holding": threading.Event(), "delete_waited": False}

    def handler(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
        tenant_id = event.tenant_id
        ctx.db.execute(update(User).where(User.tenant_id == tenant_id).values(name="busy worker"))
        ctx.db.flush()
        seen["holding"].set()
        deadline = time.monotonic() + 10
        while not _delete_is_waiting_for_a_lock(database) and time.monotonic() < deadline:
            time.sleep(0.02)
        seen["delete_waited"] = _delete_is_waiting_for_a_lock(database)
        outbox_service.emit(db=ctx.db, event_type=AFTERMATH, payload={}, tenant_id=tenant_id)
        ctx.db.flush()  # the FK check takes a share lock on the tenant row the DELETE holds

    outbox_service.handles(PROBE)(handler)
    outbox_service.handles(AFTERMATH)(lambda event, ctx: None)
    yield seen
    for name in (PROBE, AFTERMATH):
        outbox_service._handlers.pop(name, None)


def test_delete_racing_the_worker_is_retried_and_answers_204(
    database_url: str, app: FastAPI, operator: TestClient, database: Database, settings: Settings,
    racing_handler: dict[str, Any],
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): no deadlock to race into")
    created = operator.post("/api/operator/tenants", json=tenant_spec())
    assert created.status_code == 201, created.text
    tenant_id = created.json()["id"]
    with database.session() as db:
        outbox_service.emit(db=db, event_type=PROBE, payload={}, tenant_id=tenant_id)
        db.commit()

    worker = OutboxWorker(database, settings, app.state)
    worker_thread = threading.Thread(target=worker.drain, daemon=True)
    worker_thread.start()
    assert racing_handler["holding"].wait(10), "the worker never ran the probe"
    response = operator.delete(f"/api/operator/tenants/{tenant_id}")
    worker_thread.join(20)

    assert racing_handler["delete_waited"], "the race did not happen: the DELETE never waited for the worker"
    assert response.status_code == 204, response.text
    with database.session() as db:
        assert db.get(Tenant, tenant_id) is None
        for model in (User, OutboxEvent):
            assert db.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant_id)) == 0
