"""Waking an outbox worker that runs in another process: PostgreSQL LISTEN / NOTIFY.

An in-process worker is woken by the session that commits new events (app/db.py). A worker in its own
process (`python -m app worker`, next to `python -m app serve --no-worker`) hears nothing of the web
process's commits and would find new events only at its next poll. So on PostgreSQL a web process
without an in-process worker adds a `NOTIFY` to every transaction that emitted events (PostgreSQL
delivers it at commit and drops it on rollback), and the standalone worker LISTENs and wakes its loop on
each one. The poll stays as the safety net: a notification sent while the listener was reconnecting is
not replayed, and the listener wakes the worker once whenever it (re)starts listening.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.db import Database
from app.outbox import service as outbox_service

log = logging.getLogger("app.outbox")

CHANNEL = "nmc_outbox"
APPLICATION_NAME = "nmc-outbox-listener"  # how the listening session shows in pg_stat_activity


def _notify_if_events(session: Session) -> None:
    # before_commit: still inside the transaction, so the NOTIFY commits (or rolls back) with the events.
    # app/outbox/service.py's after_commit hook pops the same flag later; it is only read here.
    if session.info.get("outbox_dirty"):
        session.execute(text(f"NOTIFY {CHANNEL}"))


# The session factories already wired. Not `event.contains()`: SQLAlchemy keys its listener registry by
# id() of the sessionmaker's Session subclass and never forgets a class-level entry, so a new factory
# whose class reuses a collected one's address "contains" a listener it does not have (a process that
# makes many Database objects, like the tests, then lost its NOTIFYs).
_wired: weakref.WeakSet[sessionmaker[Session]] = weakref.WeakSet()


def notify_on_commit(database: Database) -> None:
    """Makes every transaction of `database` that emitted events notify listening workers (PostgreSQL only)."""
    if database.dialect != "postgresql":
        raise ValueError(f"LISTEN / NOTIFY needs PostgreSQL, not {database.dialect}")
    if database.session_factory not in _wired:
        event.listen(database.session_factory, "before_commit", _notify_if_events)
        _wired.add(database.session_factory)


def libpq_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (postgresql+psycopg://...) as a connection string psycopg itself accepts."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxListener:
    """A thread that LISTENs on CHANNEL on a connection of its own (not from the pool: it is held for the
    process's life) and calls `on_notify` for each notification — by default, wakes this process's
    worker. When the connection fails it logs, waits `retry_seconds` and connects again."""

    def __init__(self, database_url: str, *, on_notify: Callable[[], None] = outbox_service.wake_worker,
                 retry_seconds: float = 1.0) -> None:
        self._dsn = libpq_dsn(database_url)
        self._on_notify = on_notify
        self._retry_seconds = retry_seconds
        self._stop = threading.Event()
        self.listening = threading.Event()  # set while a LISTEN is in place
        self._thread: threading.Thread | None = None

    def start(self) -> OutboxListener:
        self._thread = threading.Thread(target=self._run, name="outbox-listener", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg  # here, not at the top: every web process imports this module, only this thread needs it

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=10,
                                     application_name=APPLICATION_NAME) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    log.info("outbox listener listening on %s", CHANNEL)
                    self._on_notify()  # whatever was committed while nobody listened
                    while not self._stop.is_set():
                        # Short timeouts so stop() is noticed; several NOTIFYs in one packet wake once each,
                        # which costs the worker nothing (waking a set event again is a no-op).
                        for _ in connection.notifies(timeout=0.5):
                            self._on_notify()
            except psycopg.Error as exc:
                log.warning("outbox listener lost its connection (%s); retrying in %.1fs", exc, self._retry_seconds)
            finally:
                self.listening.clear()
            self._stop.wait(self._retry_seconds)
