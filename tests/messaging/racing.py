"""Two transactions racing for one row: the second starts while the first is still open; and a tenant to race in."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from app.db import Database
from app.tenancy import service as tenancy_service

A = TypeVar("A")
B = TypeVar("B")


def second_while_first_is_open(database: Database, first: Callable[[Session], A], second: Callable[[Session], B], *,
                               first_commits: bool) -> tuple[A, B]:
    """Runs `first` in a transaction and holds it open; runs `second` (committed) on another thread meanwhile,
    checks that it is waiting — on the unique index (PostgreSQL) or the write lock (SQLite) — then commits
    or rolls back the first. Returns both results."""
    outcome: list[B] = []
    with database.session() as first_db:
        first_result = first(first_db)

        def run_second() -> None:
            with database.session() as second_db:
                outcome.append(second(second_db))
                second_db.commit()

        racing = threading.Thread(target=run_second)
        racing.start()
        racing.join(0.3)  # give the second time to reach the wait; it must still be waiting for the first
        assert racing.is_alive() and outcome == [], "the second transaction did not wait for the first"
        if first_commits:
            first_db.commit()
        else:
            first_db.rollback()
    racing.join(10)
    assert not racing.is_alive(), "the second transaction never finished"
    return first_result, outcome[0]


def committed_tenant_id(database: Database, name: str) -> str:
    """A tenant created straight through the service layer and committed, for tests below the web layer."""
    with database.session() as db:
        tenant = tenancy_service.create(db=db, name=name, timezone="UTC", ephemeral=True, ttl_seconds=600,
                                        labels={"run_id": "racing"}, business_hours={})
        db.commit()
        return tenant.id
