"""Writing events to the outbox and registering their handlers."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.outbox.models import OutboxEvent


@dataclass(frozen=True)
class HandlerContext:
    """What a handler gets besides the event: the session to work in and the app's collaborators."""

    db: Session
    services: Any  # app.state-like object: settings, telephony, billing gateway...


Handler = Callable[[OutboxEvent, HandlerContext], None]
_handlers: dict[str, Handler] = {}
_versions: dict[str, frozenset[int]] = {}
_wakeup = threading.Event()
_seq_lock = threading.Lock()
_seq_counter = itertools.count(int(time.time() * 1000) * 1000)


def handles(event_type: str, *, versions: tuple[int, ...] = (1,)) -> Callable[[Handler], Handler]:
    """Registers the handler of one event type and the payload schema_versions it accepts
    (docs/event-catalog.md). Handlers must be idempotent: delivery is at least once."""

    def register(handler: Handler) -> Handler:
        if event_type in _handlers and _handlers[event_type] is not handler:
            raise RuntimeError(f"a handler for {event_type} is already registered")
        _handlers[event_type] = handler
        _versions[event_type] = frozenset(versions)
        return handler

    return register


def handler_for(event_type: str) -> Handler | None:
    return _handlers.get(event_type)


def versions_handled(event_type: str) -> frozenset[int]:
    """The schema_versions the event type's handler accepts (empty when it has no handler)."""
    return _versions.get(event_type, frozenset())


def registered_handlers() -> dict[str, Handler]:
    return dict(_handlers)


def pending_of_tenant(*, db: Session, tenant_id: str) -> tuple[int, datetime | None]:
    """How many of the tenant's events are still to be handled (claimed ones included), and when the
    earliest of them is due. The operator API reports it, so a test can tell "nothing is left to do"
    from "nothing was done yet"."""
    count, earliest = db.execute(
        select(func.count(), func.min(OutboxEvent.available_at))
        .where(OutboxEvent.tenant_id == tenant_id, OutboxEvent.status == "pending")
    ).one()
    return int(count), earliest


def emit(
    *, db: Session, event_type: str, payload: dict[str, Any], tenant_id: str | None, schema_version: int = 1
) -> OutboxEvent:
    """Adds an event to the current transaction; it exists only if the state change commits."""
    with _seq_lock:
        seq = next(_seq_counter)
    event = OutboxEvent(
        event_type=event_type, payload=payload, tenant_id=tenant_id, schema_version=schema_version, seq=seq
    )
    db.add(event)
    db.info["outbox_dirty"] = True
    return event


def wake_worker() -> None:
    """Tells an in-process worker that new events were committed, so it need not wait for its poll."""
    _wakeup.set()


@event.listens_for(Session, "after_commit")
def _wake_worker_after_commit(session: Session) -> None:
    """Every session's commit that carried events (``emit`` marks it) wakes this process's worker."""
    if session.info.pop("outbox_dirty", False):
        wake_worker()


def wait_for_work(timeout: float) -> None:
    _wakeup.wait(timeout)
    _wakeup.clear()


def pending_count(*, db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status == "pending")) or 0)


def events_for_tenant(*, db: Session, tenant_id: str) -> list[OutboxEvent]:
    return list(db.scalars(select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id).order_by(OutboxEvent.seq)))
