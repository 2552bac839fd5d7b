"""Waking a worker in another process (app/outbox/notify.py): a NOTIFY per committed transaction that
emitted events, none for a rollback or a transaction without events, a listener that survives losing its
connection. PostgreSQL only; on SQLite the wiring refuses clearly and the app does not ask for it."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from app.db import Database
from app.main import create_app
from app.outbox import service as outbox_service
from app.outbox.notify import APPLICATION_NAME, OutboxListener, _notify_if_events, libpq_dsn, notify_on_commit
from tests.conftest import make_settings

#: How long a notification that should not come is waited for; one that should comes within milliseconds.
QUIET_WINDOW_S = 0.5
DEADLINE_S = 10.0


class Wakes:
    """Counts the listener's calls; `wait_for(n)` blocks until there were at least n."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = threading.Condition()

    def __call__(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def wait_for(self, n: int, timeout: float = DEADLINE_S) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.count >= n, timeout)


@pytest.fixture
def pg_database(postgres_database: str) -> Iterator[Database]:
    database = Database(postgres_database)
    yield database
    database.dispose()


@pytest.fixture
def wakes() -> Wakes:
    return Wakes()


@pytest.fixture
def listener(postgres_database: str, wakes: Wakes) -> Iterator[OutboxListener]:
    running = OutboxListener(postgres_database, on_notify=wakes, retry_seconds=0.1).start()
    assert running.listening.wait(DEADLINE_S), "the listener never got its LISTEN in place"
    assert wakes.wait_for(1)  # the wake-up for whatever was committed before it listened
    yield running
    running.stop()


def emit(database: Database, *, commit: bool = True) -> None:
    with database.session() as db:
        outbox_service.emit(db=db, event_type="TestNotified", payload={}, tenant_id=None)
        if commit:
            db.commit()
        else:
            db.rollback()


def test_a_commit_that_emitted_events_wakes_the_listener(pg_database: Database, listener: OutboxListener,
                                                         wakes: Wakes) -> None:
    notify_on_commit(pg_database)
    emit(pg_database)
    assert wakes.wait_for(2), "no notification after a commit with an event"
    emit(pg_database)
    assert wakes.wait_for(3), "no notification after the second commit"


def test_a_rollback_or_a_commit_without_events_notifies_nobody(pg_database: Database, listener: OutboxListener,
                                                               wakes: Wakes) -> None:
    notify_on_commit(pg_database)
    emit(pg_database, commit=False)
    with pg_database.session() as db:
        db.execute(text("SELECT 1"))
        db.commit()
    assert not wakes.wait_for(2, timeout=QUIET_WINDOW_S), "woken without a committed event"
    emit(pg_database)  # the same session factory still notifies afterwards
    assert wakes.wait_for(2)


def test_without_notify_on_commit_the_listener_hears_nothing(pg_database: Database, listener: OutboxListener,
                                                             wakes: Wakes) -> None:
    emit(pg_database)
    assert not wakes.wait_for(2, timeout=QUIET_WINDOW_S)


def notifies(database: Database) -> bool:
    """Whether a session of `database` runs the NOTIFY hook at commit (asked of a session, not of
    `event.contains`, which can answer for a collected factory that had the same address)."""
    with database.session() as db:
        return _notify_if_events in list(db.dispatch.before_commit)


def test_many_databases_made_and_dropped_each_notify_once_wired(postgres_database: str) -> None:
    # Fresh factories often reuse the address of one just collected; each must still get its hook.
    for _ in range(50):
        database = Database(postgres_database)
        try:
            notify_on_commit(database)
            assert notifies(database)
        finally:
            database.dispose()
        del database
        gc.collect()


def test_registering_twice_notifies_once_per_commit(pg_database: Database) -> None:
    notify_on_commit(pg_database)
    notify_on_commit(pg_database)
    sent: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("NOTIFY"):
            sent.append(statement)

    event.listen(pg_database.engine, "before_cursor_execute", record)
    emit(pg_database)
    assert sent == ["NOTIFY nmc_outbox"]


def test_the_listener_reconnects_after_losing_its_session(postgres_database: str, pg_database: Database,
                                                          listener: OutboxListener, wakes: Wakes) -> None:
    notify_on_commit(pg_database)
    admin = create_engine(postgres_database, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            ended = conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                      "WHERE application_name = :name AND datname = current_database()"),
                                 {"name": APPLICATION_NAME}).scalars().all()
        assert ended == [True]
        # A new LISTEN wakes the worker once more (anything committed in between), then commits do again.
        assert wakes.wait_for(2), "the listener did not come back"
        deadline = time.monotonic() + DEADLINE_S
        while not listener.listening.is_set() and time.monotonic() < deadline:
            listener.listening.wait(0.05)
        emit(pg_database)
        assert wakes.wait_for(3), "no notification after the reconnect"
    finally:
        admin.dispose()


def test_create_app_without_a_worker_notifies_on_postgresql_only(postgres_database: str, tmp_path: Path) -> None:
    pg = Database(postgres_database)
    pg_with_worker = Database(postgres_database)
    lite = Database(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        create_app(make_settings(postgres_database), database=pg, start_worker=False)
        create_app(make_settings(postgres_database), database=pg_with_worker, start_worker=True)
        create_app(make_settings(lite.url), database=lite, start_worker=False)  # no error: SQLite just polls
        assert notifies(pg)
        assert not notifies(pg_with_worker)
        assert not notifies(lite)
    finally:
        for database in (pg, pg_with_worker, lite):
            database.dispose()


def test_notify_on_commit_refuses_sqlite_with_a_clear_error(tmp_path: Path) -> None:
    lite = Database(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        with pytest.raises(ValueError, match="needs PostgreSQL, not sqlite"):
            notify_on_commit(lite)
    finally:
        lite.dispose()


def test_libpq_dsn_drops_the_driver_and_keeps_the_password() -> None:
    dsn = libpq_dsn("postgresql+psycopg://nmc:s3cret@db.example:6543/nmc?sslmode=require")
    assert dsn == "postgresql://nmc:s3cret@db.example:6543/nmc?sslmode=require"
