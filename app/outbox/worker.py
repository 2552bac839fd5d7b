"""The outbox worker: claims due events in batches and runs their handlers, retrying with backoff.

Claims are leases (`claimed_until`): a worker killed mid-batch leaves claims that expire, and the next
worker picks the events up again. On PostgreSQL the claim query uses FOR UPDATE SKIP LOCKED so two
workers never claim the same event; SQLite serialises writers, which gives the same guarantee.
A handler's database writes commit in the same transaction that marks its event done.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from app.db import Database, utcnow
from app.outbox import service as outbox_service
from app.outbox.models import OutboxEvent
from app.settings import Settings

log = logging.getLogger("app.outbox")


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help (e.g. a provider said the number is invalid)."""


def backoff_seconds(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with 'equal jitter': half fixed, half random, so retries spread out."""
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class OutboxWorker:
    def __init__(self, db: Database, settings: Settings, services: Any, *, worker_id: str | None = None) -> None:
        self.db = db
        self.settings = settings
        self.services = services
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.rng = random.Random(settings.outbox_rng_seed)
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
        log.info("outbox worker %s started", self.worker_id)
        while not self._stop.is_set():
            self.last_loop_at = utcnow()
            try:
                handled = self.run_once()
            except Exception:  # keep the loop alive through a database hiccup
                log.exception("outbox worker loop failed")
                handled = 0
            if handled == 0:
                outbox_service.wait_for_work(self.settings.outbox_poll_interval_seconds)
        log.info("outbox worker %s stopped", self.worker_id)

    # --- one round ---------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Claims one batch and handles it; returns how many events were claimed."""
        ids = self.claim_batch()
        for event_id in ids:
            if self._stop.is_set():
                break  # claims of the rest expire and another round picks them up
            self.process(event_id)
        return len(ids)

    def drain(self, max_rounds: int = 100) -> int:
        """Handles everything due now (for tests and the CLI); returns the number handled."""
        total = 0
        for _ in range(max_rounds):
            handled = self.run_once()
            total += handled
            if handled == 0:
                break
        return total

    def claim_batch(self) -> list[str]:
        now = utcnow()
        with self.db.session() as session:
            query = (
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
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            if ids:
                session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id.in_(ids))
                    .values(
                        claimed_by=self.worker_id,
                        claimed_until=now + timedelta(seconds=self.settings.outbox_lease_seconds),
                    )
                )
            session.commit()
        return ids

    def process(self, event_id: str) -> None:
        with self.db.session() as session:
            event = session.get(OutboxEvent, event_id)
            if event is None or event.status != "pending" or event.claimed_by != self.worker_id:
                return  # deleted with its tenant, or the lease passed to another worker
            handler = outbox_service.handler_for(event.event_type)
            try:
                if handler is None:
                    raise PermanentFailure(f"no handler registered for {event.event_type}")
                handler(event, outbox_service.HandlerContext(db=session, services=self.services))
                event.status = "done"
                event.processed_at = utcnow()
                event.claimed_by = None
                event.claimed_until = None
                session.commit()
            except Exception as exc:
                session.rollback()
                self._record_failure(event_id, exc)

    def _record_failure(self, event_id: str, exc: Exception) -> None:
        permanent = isinstance(exc, PermanentFailure)
        with self.db.session() as session:
            event = session.get(OutboxEvent, event_id)
            if event is None:
                return
            event.attempts += 1
            event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            event.claimed_by = None
            event.claimed_until = None
            if permanent or event.attempts >= self.settings.outbox_max_attempts:
                event.status = "dead"
                log.error("outbox event %s (%s) gave up: %s", event.id, event.event_type, event.last_error)
            else:
                delay = backoff_seconds(
                    event.attempts,
                    base=self.settings.outbox_backoff_base_seconds,
                    cap=self.settings.outbox_backoff_cap_seconds,
                    rng=self.rng,
                )
                event.available_at = utcnow() + timedelta(seconds=delay)
                log.warning("outbox event %s (%s) failed, retry in %.2fs: %s", event.id, event.event_type,
                            delay, event.last_error)
            session.commit()
