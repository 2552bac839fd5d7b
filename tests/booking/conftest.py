"""Fixtures for catalog, scheduling and booking tests: a plumbing shop with a catalog, on a fixed tenant clock.

The shop is in New York, open Mon-Fri 08:00-17:00 (the default), and its clock is set to Monday
2030-01-07 08:55 local (13:55 UTC), so offers are predictable: the first starts at 09:30 (30 min lead,
rounded up to the quarter hour; the tenant clock keeps ticking with real time, hence the 5-minute margin).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db import Database, utcnow
from app.outbox.models import OutboxEvent
from app.outbox.worker import OutboxWorker
from app.providers import MemoryTelephony, SentMessage
from app.settings import Settings
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

SHOP_NOW = datetime(2030, 1, 7, 13, 55, tzinfo=UTC)  # Monday 08:55 in America/New_York

CATALOG: list[dict[str, Any]] = [
    {"name": "Leak repair", "aliases": ["leak", "leaking pipe", "dripping tap"], "price_cents": 14900,
     "duration_minutes": 60, "priority": 10},
    {"name": "Drain cleaning", "aliases": ["drain", "clogged drain", "blocked sink"], "price_cents": 12000,
     "duration_minutes": 90, "priority": 5},
    {"name": "Water heater install", "aliases": ["water heater", "no hot water"], "price_cents": 120000,
     "duration_minutes": 240},
    {"name": "Gas line check", "aliases": ["gas smell"], "price_cents": 9900, "duration_minutes": 45, "active": False},
]


@pytest.fixture
def db(database: Database) -> Iterator[Session]:
    with database.session() as session:
        yield session


@pytest.fixture
def set_clock(operator: TestClient, db: Session) -> Callable[..., datetime]:
    """Moves one tenant's clock through the operator API (absolute `at` or `advance` seconds).

    It first commits the test's own session: on SQLite every transaction holds the write lock
    (BEGIN IMMEDIATE), so the API could not write while the test's transaction stays open.
    """

    def move(tenant: dict[str, Any], at: datetime | None = None, advance: float | None = None) -> datetime:
        db.commit()
        body: dict[str, Any] = {"now": at.isoformat()} if at is not None else {"advance_seconds": advance}
        response = operator.put(f"/api/operator/tenants/{tenant['id']}/clock", json=body)
        assert response.status_code == 200, response.text
        return datetime.fromisoformat(response.json()["now"])

    return move


@pytest.fixture
def shop(make_tenant: Callable[..., dict[str, Any]], set_clock: Callable[..., datetime]) -> dict[str, Any]:
    """A tenant with CATALOG, its clock on SHOP_NOW; `items` maps item name -> id."""
    tenant = make_tenant(catalog=CATALOG)
    tenant["items"] = {i["name"]: i["id"] for i in tenant["extra"]["catalog_items"]}
    set_clock(tenant, at=SHOP_NOW)
    return tenant


def tenant_row(db: Session, tenant: dict[str, Any]) -> Tenant:
    """The tenant as the services see it, read fresh (its clock may have moved)."""
    row = tenancy_service.get(db=db, tenant_id=tenant["id"])
    db.refresh(row)
    return row


@dataclass
class FlakyTelephony(MemoryTelephony):
    """MemoryTelephony that times out on the next `timeouts` sends whose body starts with `fail_prefix`."""

    fail_prefix: str = ""
    timeouts: int = 0
    attempts: list[str] = field(default_factory=list)

    def send_sms(self, *, from_: str, to: str, body: str, status_callback: str) -> SentMessage:
        self.attempts.append(body)
        if self.timeouts and self.fail_prefix and body.startswith(self.fail_prefix):
            self.timeouts -= 1
            raise TimeoutError("provider timed out")
        return super().send_sms(from_=from_, to=to, body=body, status_callback=status_callback)


@pytest.fixture
def telephony() -> FlakyTelephony:
    """Overrides the shared fixture: behaves like MemoryTelephony until told to time out."""
    return FlakyTelephony()


@pytest.fixture
def worker(database: Database, settings: Settings, app: FastAPI) -> OutboxWorker:
    return OutboxWorker(database, settings, app.state)


def drain_all(worker: OutboxWorker, database: Database, rounds: int = 10) -> None:
    """Runs the outbox until nothing is pending, making retries due at once instead of waiting out backoff."""
    for _ in range(rounds):
        worker.drain()
        with database.session() as session:
            pending = session.execute(
                update(OutboxEvent).where(OutboxEvent.status == "pending").values(available_at=utcnow())
            ).rowcount  # type: ignore[attr-defined]
            session.commit()
        if not pending:
            return
