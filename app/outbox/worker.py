"""The outbox worker: claims due events in batches and runs their handlers, retrying with backoff.

Claims are leases (`claimed_until`): a worker killed mid-batch leaves claims that expire, and the next
worker picks the events up again. A claim is one statement — UPDATE ... WHERE id IN (SELECT the due
ones ORDER BY seq LIMIT n FOR UPDATE SKIP LOCKED) RETURNING the rows — so two workers never claim the
same event (SQLite serialises writers, which gives the same guarantee) and the handler gets the event
as claimed, without reading it again.

A batch is split into lanes: the events of one tenant for one handler module, in `seq` order. Lanes
run side by side on up to `concurrency` threads (PostgreSQL: DEFAULT_CONCURRENCY; SQLite: 1, its one
write lock would only make the threads queue), each lane on one pooled connection. So a tenant's
conversation events are still handled in the order they happened, while other tenants' work, or
reporting's, no longer waits behind them. The next batch starts when every lane of this one is done.

A handler's database writes commit in the same transaction that marks its event done, and that mark
is guarded (still pending, still claimed by us): if the lease passed to another worker meanwhile, or the
event went away with its tenant, the handler's writes roll back instead of being applied twice.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, case, func, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from app.db import Database, UTCDateTime, utcnow
from app.outbox import service as outbox_service
from app.outbox.models import OutboxEvent
from app.settings import Settings

log = logging.getLogger("app.outbox")

#: Lanes handled at once on PostgreSQL. Handlers mostly wait (database round trips, provider calls),
#: so a few threads overlap those waits; more would only contend for the GIL and the two cores.
DEFAULT_CONCURRENCY = 4


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help (e.g. a provider said the number is invalid)."""


def backoff_seconds(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with 'equal jitter': half fixed, half random, so retries spread out."""
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def default_concurrency(settings: Settings, dialect: str) -> int:
    """OUTBOX_CONCURRENCY when the settings have it, else DEFAULT_CONCURRENCY on PostgreSQL and 1 on SQLite."""
    configured = getattr(settings, "outbox_concurrency", None)
    if configured:
        return max(1, int(configured))
    return DEFAULT_CONCURRENCY if dialect == "postgresql" else 1


def lanes(events: Iterable[OutboxEvent]) -> list[list[OutboxEvent]]:
    """Events grouped by (tenant, handler module), each group in seq order; groups in order of their first event."""
    grouped: dict[tuple[str | None, str], list[OutboxEvent]] = {}
    for event in sorted(events, key=lambda e: e.seq):
        handler = outbox_service.handler_for(event.event_type)
        owner = handler.__module__ if handler is not None else event.event_type
        grouped.setdefault((event.tenant_id, owner), []).append(event)
    return list(grouped.values())


class OutboxWorker:
    def __init__(self, db: Database, settings: Settings, services: Any, *, worker_id: str | None = None,
                 concurrency: int | None = None) -> None:
        self.db = db
        self.settings = settings
        self.services = services
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.concurrency = concurrency or default_concurrency(settings, db.dialect)
        self.rng = random.Random(settings.outbox_rng_seed)  # nosec B311  # backoff jitter, seedable for tests; no secret
        self._rng_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_loop_at = utcnow()

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="outbox-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        outbox_service.wake_worker()
        if self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_forever(self) -> None:
        log.info("outbox worker %s started (%d lane(s) at once)", self.worker_id, self.concurrency)
        while not self._stop.is_set():
            self.last_loop_at = utcnow()
            try:
                handled = self.run_once(concurrency=self.concurrency)
            except Exception:  # keep the loop alive through a database hiccup
                log.exception("outbox worker loop failed")
                handled = 0
            if handled == 0:
                outbox_service.wait_for_work(self.idle_wait_seconds())
        log.info("outbox worker %s stopped", self.worker_id)

    # --- one round ---------------------------------------------------------------------------------
    def run_once(self, *, concurrency: int = 1) -> int:
        """Claims one batch and handles it, `concurrency` lanes at a time; returns how many events were claimed."""
        events = self.claim_batch()
        groups = lanes(events)
        if concurrency <= 1 or len(groups) <= 1:
            for group in groups:
                self._run_lane(group)
        else:
            with ThreadPoolExecutor(max_workers=min(concurrency, len(groups)), thread_name_prefix="outbox-lane") as pool:
                futures = [pool.submit(self._run_lane, group) for group in groups]
                for future in futures:
                    future.result()  # a lane's unexpected error reaches the loop's handler, as before
        return len(events)

    def drain(self, max_rounds: int = 100, *, concurrency: int = 1) -> int:
        """Handles everything due now (for tests and the CLI); returns the number handled.

        One lane at a time unless asked otherwise: tests see a deterministic order.
        """
        total = 0
        for _ in range(max_rounds):
            handled = self.run_once(concurrency=concurrency)
            total += handled
            if handled == 0:
                break
        return total

    def idle_wait_seconds(self) -> float:
        """How long to wait after a round that found nothing due: until the earliest pending event becomes
        claimable (a retry's backoff, a lease running out), at most the poll interval.

        New events wake the worker at their commit (or by NOTIFY), so the poll is only for events a
        process without that wake-up wrote; the next-due wait makes a retry run when its backoff ends
        instead of at the next poll after it.
        """
        ceiling = self.settings.outbox_poll_interval_seconds
        claimable_at = case((OutboxEvent.claimed_until > OutboxEvent.available_at, OutboxEvent.claimed_until),
                            else_=OutboxEvent.available_at)
        try:
            with self.db.session() as session:
                earliest = session.scalar(select(type_coerce(func.min(claimable_at), UTCDateTime()))
                                          .where(OutboxEvent.status == "pending"))
        except Exception:  # the loop's next round reports a database that is gone; wait the poll meanwhile
            log.debug("outbox: next due time not known", exc_info=True)
            return ceiling
        if earliest is None:
            return ceiling
        return min(ceiling, max(0.0, (earliest - utcnow()).total_seconds()))

    def claim_batch(self) -> list[OutboxEvent]:
        """Leases up to outbox_batch_size due events to this worker; returns them (detached), in seq order."""
        now = utcnow()
        due = (
            select(OutboxEvent.id)
            .where(
                OutboxEvent.status == "pending",
                OutboxEvent.available_at <= now,
                or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now),
            )
            .order_by(OutboxEvent.seq)
            .limit(self.settings.outbox_batch_size)
        )
        if self.db.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claim = (
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(due.scalar_subquery()))
            .values(claimed_by=self.worker_id, claimed_until=now + timedelta(seconds=self.settings.outbox_lease_seconds))
            .returning(OutboxEvent)
            .execution_options(synchronize_session=False)
        )
        with self.db.session() as session:
            events = list(session.scalars(claim))
            session.commit()  # expire_on_commit is off: the returned rows stay readable after the session closes
        return sorted(events, key=lambda e: e.seq)

    def _run_lane(self, events: list[OutboxEvent]) -> None:
        # One checkout (and pre-ping) for the whole lane instead of one per event.
        with self.db.engine.connect() as connection:
            for event in events:
                if self._stop.is_set():
                    return  # claims of the rest expire and another round picks them up
                self.process(event, connection=connection)

    def process(self, event: OutboxEvent, *, connection: Connection | None = None) -> None:
        """Runs the event's handler and marks it done in the same transaction; failures are recorded for a retry."""
        if event.claimed_until is not None and utcnow() >= event.claimed_until:
            return  # the lease ran out while earlier events were handled: the next claim decides who runs it
        with self._session(connection) as session:
            handler = outbox_service.handler_for(event.event_type)
            try:
                if handler is None:
                    raise PermanentFailure(f"no handler registered for {event.event_type}")
                if event.schema_version not in outbox_service.versions_handled(event.event_type):
                    # Retrying cannot help: the payload's shape is one this consumer does not know.
                    accepted = ", ".join(f"v{v}" for v in sorted(outbox_service.versions_handled(event.event_type)))
                    raise PermanentFailure(f"{event.event_type} v{event.schema_version} is not a schema_version its "
                                           f"handler accepts ({accepted})")
                handler(event, outbox_service.HandlerContext(db=session, services=self.services))
                if not self._mark_done(session, event):
                    session.rollback()
                    log.warning("outbox event %s (%s) was no longer ours to finish (lease passed on or tenant deleted); "
                                "its handler's writes were rolled back", event.id, event.event_type)
                    return
                session.commit()
            except Exception as exc:
                session.rollback()
                self._record_failure(event.id, exc, connection=connection)

    def _session(self, connection: Connection | None) -> Session:
        # The factory's session keeps the after-commit hook that wakes the worker for events a handler emits.
        return self.db.session_factory(bind=connection) if connection is not None else self.db.session()

    def _mark_done(self, session: Session, event: OutboxEvent) -> bool:
        result = session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event.id, OutboxEvent.status == "pending", OutboxEvent.claimed_by == self.worker_id)
            .values(status="done", processed_at=utcnow(), claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        return cast(CursorResult[Any], result).rowcount == 1

    def _record_failure(self, event_id: str, exc: Exception, *, connection: Connection | None = None) -> None:
        permanent = isinstance(exc, PermanentFailure)
        with self._session(connection) as session:
            event = session.get(OutboxEvent, event_id)
            if event is None or event.status != "pending" or event.claimed_by != self.worker_id:
                return  # deleted with its tenant, or no longer ours
            event.attempts += 1
            event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            event.claimed_by = None
            event.claimed_until = None
            if permanent or event.attempts >= self.settings.outbox_max_attempts:
                event.status = "dead"
                log.error("outbox event %s (%s) gave up: %s", event.id, event.event_type, event.last_error)
            else:
                with self._rng_lock:  # lanes fail on several threads; random.Random is not thread-safe to share
                    delay = backoff_seconds(
                        event.attempts,
                        base=self.settings.outbox_backoff_base_seconds,
                        cap=self.settings.outbox_backoff_cap_seconds,
                        rng=self.rng,
                    )
                # A handler may know the earliest sensible retry (an ambiguous provider timeout: see sender.py).
                delay = max(delay, float(getattr(exc, "retry_after_seconds", 0.0)))
                event.available_at = utcnow() + timedelta(seconds=delay)
                log.warning("outbox event %s (%s) failed, retry in %.2fs: %s", event.id, event.event_type,
                            delay, event.last_error)
            session.commit()
