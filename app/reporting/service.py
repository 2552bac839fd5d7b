"""First-response tracker: how long customers wait for the first text after a missed call or a text.

Signals: a *trigger* (missed call, inbound text) starts a wait unless one is already running; the
first *response* (an outbound text the provider accepted) at or after the wait's start ends it. Signals
are stored as they arrive, in any order; an outbound recorded before its trigger simply yields no
latency until the trigger is there too. Each change recomputes the conversation's waits and UPSERTs the
daily p50/p95 (nearest-rank percentiles, days in the tenant's time zone).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db import new_id, upsert_insert, utcnow
from app.outbox import service as outbox_service
from app.reporting import events
from app.reporting.models import FirstResponse, FirstResponseDaily, ResponseSignal
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant


# --- pure calculations ------------------------------------------------------------------------------
def pair_waits(triggers: Iterable[datetime], responses: Iterable[datetime]) -> list[tuple[datetime, datetime | None]]:
    """(wait start, first response or None) for each wait, given all trigger and response times."""
    pending_responses = sorted(responses)
    waits: list[tuple[datetime, datetime | None]] = []
    open_since: datetime | None = None
    index = 0
    for trigger in sorted(triggers):
        if open_since is not None:
            # Is the running wait answered before this trigger? Then this trigger starts a new one.
            while index < len(pending_responses) and pending_responses[index] < open_since:
                index += 1
            if index < len(pending_responses) and pending_responses[index] <= trigger:
                waits.append((open_since, pending_responses[index]))
                index += 1
                open_since = None
            else:
                continue  # absorbed: the customer is still waiting since `open_since`
        open_since = trigger
    if open_since is not None:
        while index < len(pending_responses) and pending_responses[index] < open_since:
            index += 1
        waits.append((open_since, pending_responses[index] if index < len(pending_responses) else None))
    return waits


def percentile(values: Sequence[int], p: float) -> int | None:
    """Nearest-rank percentile (an observed value, never an interpolation); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_ms(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds() * 1000))


# --- recording --------------------------------------------------------------------------------------
def record_trigger(*, db: Session, tenant: Tenant, conversation_id: str, source_key: str, at: datetime) -> None:
    """Stores a wait-starting signal (idempotent per source_key)."""
    _record(db=db, tenant=tenant, conversation_id=conversation_id, kind="trigger", source_key=source_key, at=at)


def record_response(*, db: Session, tenant: Tenant, conversation_id: str, source_key: str, at: datetime) -> None:
    """Stores a wait-ending signal (idempotent per source_key)."""
    _record(db=db, tenant=tenant, conversation_id=conversation_id, kind="response", source_key=source_key, at=at)


def _record(*, db: Session, tenant: Tenant, conversation_id: str, kind: str, source_key: str, at: datetime) -> None:
    exists = db.scalar(select(ResponseSignal.id).where(ResponseSignal.tenant_id == tenant.id,
                                                       ResponseSignal.source_key == source_key))
    if exists:
        return
    db.add(ResponseSignal(tenant_id=tenant.id, conversation_id=conversation_id, kind=kind, source_key=source_key,
                          occurred_at=at))
    outbox_service.emit(db=db, event_type=events.RESPONSE_SIGNAL_RECORDED, tenant_id=tenant.id,
                        schema_version=events.SCHEMA_VERSION, payload={"conversation_id": conversation_id, "kind": kind})
    db.flush()


# --- recomputing ------------------------------------------------------------------------------------
def recompute_conversation(*, db: Session, tenant: Tenant, conversation_id: str) -> set[date]:
    """Rebuilds the conversation's waits from its signals and upserts the days they touch."""
    signals = list(db.scalars(select(ResponseSignal).where(ResponseSignal.tenant_id == tenant.id,
                                                           ResponseSignal.conversation_id == conversation_id)))
    triggers = [s.occurred_at for s in signals if s.kind == "trigger"]
    responses = [s.occurred_at for s in signals if s.kind == "response"]
    zone = ZoneInfo(tenant.timezone)
    old_days = set(db.scalars(select(FirstResponse.day).where(FirstResponse.tenant_id == tenant.id,
                                                              FirstResponse.conversation_id == conversation_id)))
    db.execute(delete(FirstResponse).where(FirstResponse.tenant_id == tenant.id,
                                           FirstResponse.conversation_id == conversation_id))
    new_days: set[date] = set()
    for start, end in pair_waits(triggers, responses):
        day = start.astimezone(zone).date()
        new_days.add(day)
        db.add(FirstResponse(tenant_id=tenant.id, conversation_id=conversation_id, trigger_at=start, day=day,
                             responded_at=end, latency_ms=latency_ms(start, end) if end else None))
    db.flush()
    days = old_days | new_days
    for day in days:
        recompute_day(db=db, tenant_id=tenant.id, day=day)
    return days


def recompute_day(*, db: Session, tenant_id: str, day: date) -> None:
    """UPSERTs one day's rollup from its waits (a day with no waits left loses its row)."""
    rows = list(db.execute(select(FirstResponse.latency_ms).where(FirstResponse.tenant_id == tenant_id,
                                                                  FirstResponse.day == day)).scalars())
    if not rows:
        db.execute(delete(FirstResponseDaily).where(FirstResponseDaily.tenant_id == tenant_id,
                                                    FirstResponseDaily.day == day))
        return
    answered = [ms for ms in rows if ms is not None]
    values: dict[str, Any] = {
        "samples": len(answered), "unanswered": len(rows) - len(answered),
        "p50_ms": percentile(answered, 50), "p95_ms": percentile(answered, 95), "updated_at": utcnow(),
    }
    _upsert_daily(db, {"id": new_id(), "tenant_id": tenant_id, "day": day, **values}, values)


def _upsert_daily(db: Session, row: dict[str, Any], update: dict[str, Any]) -> None:
    """INSERT ... ON CONFLICT (tenant_id, day) DO UPDATE, on PostgreSQL and SQLite alike."""
    statement = upsert_insert(db, FirstResponseDaily).values(**row)
    db.execute(statement.on_conflict_do_update(index_elements=["tenant_id", "day"], set_=update))


# --- reading ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DayFigures:
    day: date
    samples: int
    unanswered: int
    p50_ms: int | None
    p95_ms: int | None


@dataclass(frozen=True)
class PeriodFigures:
    first_day: date
    last_day: date
    samples: int
    unanswered: int
    p50_ms: int | None
    p95_ms: int | None


def local_today(*, tenant: Tenant) -> date:
    return tenancy_service.local_now(tenant=tenant).date()


def daily_figures(*, db: Session, tenant: Tenant, days: int = 14) -> list[DayFigures]:
    """One entry per tenant-local day, newest first, for the last `days` days (days without data: zeros)."""
    today = local_today(tenant=tenant)
    first = today - timedelta(days=days - 1)
    stored = {
        row.day: row
        for row in db.scalars(select(FirstResponseDaily).where(FirstResponseDaily.tenant_id == tenant.id,
                                                               FirstResponseDaily.day >= first,
                                                               FirstResponseDaily.day <= today))
    }
    result = []
    for offset in range(days):
        day = today - timedelta(days=offset)
        row = stored.get(day)
        result.append(DayFigures(day=day, samples=row.samples if row else 0, unanswered=row.unanswered if row else 0,
                                 p50_ms=row.p50_ms if row else None, p95_ms=row.p95_ms if row else None))
    return result


def period_figures(*, db: Session, tenant: Tenant, days: int) -> PeriodFigures:
    """p50/p95 over every wait that started in the last `days` tenant-local days (from the waits themselves,
    since percentiles of days cannot be combined)."""
    today = local_today(tenant=tenant)
    first = today - timedelta(days=days - 1)
    latencies = list(db.scalars(select(FirstResponse.latency_ms).where(FirstResponse.tenant_id == tenant.id,
                                                                       FirstResponse.day >= first,
                                                                       FirstResponse.day <= today)))
    answered = [ms for ms in latencies if ms is not None]
    return PeriodFigures(first_day=first, last_day=today, samples=len(answered),
                         unanswered=len(latencies) - len(answered),
                         p50_ms=percentile(answered, 50), p95_ms=percentile(answered, 95))
