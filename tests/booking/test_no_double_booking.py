"""No double booking, enforced by the database: property-based sequences and real concurrent sessions.

The scheduler never checks for overlaps in code before writing: the UNIQUE (tenant_id, block_start)
constraint of occupied_blocks is the only arbiter, so these tests exercise the constraint itself.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import Database, utcnow
from app.errors import Conflict, Gone
from app.outbox.models import OutboxEvent
from app.scheduling import service as scheduling_service
from app.scheduling.models import Appointment, Hold, OccupiedBlock
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

QUARTER = timedelta(minutes=15)
CLOCK = datetime(2030, 1, 7, 0, 0, tzinfo=UTC)  # Monday midnight UTC
DAY_START = datetime(2030, 1, 8, 6, 0, tzinfo=UTC)  # the slots: Tuesday 06:00-22:00 UTC
OPEN_EVERY_DAY = {day: ["06:00", "22:00"] for day in scheduling_service.WEEKDAYS}


def new_tenant(db: Session) -> Tenant:
    """A bare tenant (no users, no number) open 06-22 UTC every day, its clock at CLOCK."""
    tenant = tenancy_service.create(db=db, name="Property Plumbing", timezone="UTC", ephemeral=True, ttl_seconds=600,
                                    labels={"run_id": "property"}, business_hours=OPEN_EVERY_DAY)
    tenancy_service.set_clock(db=db, tenant=tenant, at=CLOCK)
    db.commit()
    return tenant


def reserve(db: Session, tenant: Tenant, start: datetime, quarters: int, *, book: bool) -> Hold:
    hold = scheduling_service.create_hold(db=db, tenant=tenant, starts_at=start, duration_minutes=quarters * 15,
                                          service_name="Job", price_cents=100)
    if book:
        scheduling_service.book(db=db, tenant=tenant, hold=hold)
    return hold


Operation = tuple[Any, ...]
operations = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["hold", "book"]), st.integers(0, 56), st.integers(1, 8)),
        st.just(("expire",)),
    ),
    min_size=1, max_size=25,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_random_reservations_never_overlap(database: Database, ops: list[Operation]) -> None:
    """Random holds, bookings and hold expiries: a reservation succeeds exactly when its blocks are free
    (appointments and live holds count, expired holds do not), and live reservations never overlap."""
    with database.session() as db:
        tenant = new_tenant(db)
        occupied: dict[datetime, str] = {}  # the model: block -> "hold" | "appointment"
        for op in ops:
            if op[0] == "expire":
                tenancy_service.set_clock(db=db, tenant=tenant, advance_seconds=15 * 60)
                db.commit()
                occupied = {block: kind for block, kind in occupied.items() if kind == "appointment"}
                continue
            kind, index, quarters = op
            start = DAY_START + index * QUARTER
            blocks = [start + i * QUARTER for i in range(quarters)]
            expected = not any(b in occupied for b in blocks)
            try:
                reserve(db, tenant, start, quarters, book=kind == "book")
                db.commit()
                succeeded = True
            except Conflict:
                db.rollback()
                succeeded = False
            assert succeeded == expected, f"{op} with {sorted(occupied)}"
            if succeeded:
                occupied.update(dict.fromkeys(blocks, "appointment" if kind == "book" else "hold"))
        now = tenancy_service.now(tenant=tenant)
        live = db.scalars(select(OccupiedBlock.block_start).where(
            OccupiedBlock.tenant_id == tenant.id,
            (OccupiedBlock.expires_at.is_(None)) | (OccupiedBlock.expires_at > now),
        )).all()
        assert sorted(live) == sorted(occupied)
        intervals = sorted(
            [(a.starts_at, a.ends_at) for a in db.scalars(select(Appointment).where(Appointment.tenant_id == tenant.id))]
            + [(h.starts_at, h.ends_at) for h in db.scalars(select(Hold).where(Hold.tenant_id == tenant.id))
               if scheduling_service.hold_is_live(h, now)]
        )
        assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(intervals))


def test_the_constraint_refuses_an_overlapping_block_written_directly(db: Session) -> None:
    """Bypassing the service entirely: the database still refuses a second owner for a block."""
    tenant = new_tenant(db)
    hold = reserve(db, tenant, DAY_START, 2, book=True)
    db.commit()
    other = Hold(tenant_id=tenant.id, service_name="x", price_cents=1, duration_minutes=15, starts_at=DAY_START,
                 ends_at=DAY_START + QUARTER, expires_at=utcnow() + timedelta(days=999))
    db.add(other)
    db.flush()
    db.add(OccupiedBlock(tenant_id=tenant.id, block_start=DAY_START + QUARTER, hold_id=other.id))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()
    assert db.scalar(select(func.count()).select_from(OccupiedBlock).where(OccupiedBlock.tenant_id == tenant.id)) == 2
    assert hold.status == "booked"


def test_blocks_belong_to_exactly_one_owner(db: Session) -> None:
    tenant = new_tenant(db)
    db.add(OccupiedBlock(tenant_id=tenant.id, block_start=DAY_START))  # neither a hold nor an appointment
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_other_tenants_do_not_collide(db: Session) -> None:
    first, second = new_tenant(db), new_tenant(db)
    reserve(db, first, DAY_START, 4, book=True)
    reserve(db, second, DAY_START, 4, book=True)
    db.commit()
    assert db.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.tenant_id.in_([first.id, second.id]))) == 2


def _race(database: Database, tenant_id: str, attempts: list[Callable[[Session, Tenant], Any]]) -> list[Any]:
    """Runs each attempt in its own thread and session, released together; returns results or exceptions."""
    barrier = threading.Barrier(len(attempts))
    results: list[Any] = [None] * len(attempts)

    def run(index: int) -> None:
        with database.session() as session:
            tenant = session.get(Tenant, tenant_id)
            assert tenant is not None
            session.commit()  # SQLite: do not hold the write lock while waiting at the barrier
            barrier.wait()
            try:
                results[index] = attempts[index](session, tenant)
                session.commit()
            except Exception as exc:
                session.rollback()
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_concurrent_sessions_racing_for_one_slot_exactly_one_wins(database: Database, db: Session) -> None:
    """Six sessions book overlapping slots (10:00, 10:15, 10:30 for one hour) at the same moment."""
    tenant = new_tenant(db)
    starts = [DAY_START + (4 + i % 3) * QUARTER for i in range(6)]

    def booking_at(start: datetime) -> Callable[[Session, Tenant], Any]:
        return lambda session, t: reserve(session, t, start, 4, book=True).id

    results = _race(database, tenant.id, [booking_at(start) for start in starts])
    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 5, results
    db.expire_all()
    appointments = db.scalars(select(Appointment).where(Appointment.tenant_id == tenant.id)).all()
    assert [a.hold_id for a in appointments] == winners


def test_a_waiting_session_loses_when_the_first_commits(database: Database, db: Session) -> None:
    """Deterministic interleaving: B tries while A's hold is written but not committed. B must wait for A
    (PostgreSQL: on the unique index; SQLite: on the write lock) and then fail on the constraint."""
    tenant = new_tenant(db)
    first = reserve(db, tenant, DAY_START, 4, book=False)  # written, not committed
    outcome: list[Any] = []

    def second() -> None:
        with database.session() as session:
            other = session.get(Tenant, tenant.id)
            assert other is not None
            try:
                reserve(session, other, DAY_START + QUARTER, 4, book=False)
                session.commit()
                outcome.append("won")
            except Conflict as exc:
                session.rollback()
                outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)  # let B reach its INSERT (or its BEGIN on SQLite) and wait
    assert outcome == []  # still waiting for A
    db.commit()
    thread.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    assert first.status == "held"


def test_racing_to_book_one_hold_makes_one_appointment(database: Database, db: Session) -> None:
    tenant = new_tenant(db)
    hold = reserve(db, tenant, DAY_START, 4, book=False)
    db.commit()

    def book(session: Session, t: Tenant) -> tuple[str, bool]:
        result = scheduling_service.book(db=session, tenant=t, hold=session.get(Hold, hold.id))  # type: ignore[arg-type]
        return result.appointment.id, result.created

    results = _race(database, tenant.id, [book] * 4)
    assert all(isinstance(r, tuple) for r in results), results
    assert len({appointment_id for appointment_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    events = db.scalar(select(func.count()).select_from(OutboxEvent).where(
        OutboxEvent.tenant_id == tenant.id, OutboxEvent.event_type == "AppointmentBooked"))
    assert events == 1


def test_an_expiring_hold_racing_a_new_hold_never_double_books(database: Database, db: Session) -> None:
    """At expiry, booking the old hold and holding its slot afresh race: whoever wins, one owner per block."""
    tenant = new_tenant(db)
    old = reserve(db, tenant, DAY_START, 4, book=False)
    tenancy_service.set_clock(db=db, tenant=tenant, at=old.expires_at)
    db.commit()

    def book_old(session: Session, t: Tenant) -> Any:
        return scheduling_service.book(db=session, tenant=t, hold=session.get(Hold, old.id))  # type: ignore[arg-type]

    def hold_new(session: Session, t: Tenant) -> Any:
        return reserve(session, t, DAY_START, 4, book=True)

    results = _race(database, tenant.id, [book_old, hold_new])
    assert not any(isinstance(r, Exception) and not isinstance(r, Conflict | Gone) for r in results)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Appointment).where(Appointment.tenant_id == tenant.id)) == 1
    assert sum(not isinstance(r, Exception) for r in results) == 1
