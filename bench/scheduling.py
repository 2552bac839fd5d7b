"""scheduling_search_ms: app.scheduling.service.offers() on a calendar with a typical week of bookings.

The calendar: Mon-Fri 08:00-17:00 and Sat 09:00-13:00 (America/New_York); over the next 7 days about
70 % of the opening hours are booked with 60/90/120-minute jobs through the real hold -> book path,
plus a few live holds; other tenants have calendars of their own, so the tables are not trivially small.
A sample is one `offers()` call (3 offers, job length 60/90/120 min in turn) in a fresh session, as one
request or one SMS reply makes it. `week_availability` lists every free start of each day of the week.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from app import migrations
from app.db import Database
from app.errors import AppError
from app.scheduling import service as scheduling
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant
from bench.stats import summary

HOURS = {"mon": ["08:00", "17:00"], "tue": ["08:00", "17:00"], "wed": ["08:00", "17:00"], "thu": ["08:00", "17:00"],
         "fri": ["08:00", "17:00"], "sat": ["09:00", "13:00"]}
JOB_MINUTES = (60, 90, 120)
BOOKED_SHARE = 0.7
OTHER_TENANTS = 20


def _fill_week(db: Database, tenant_id: str, rng: random.Random) -> int:
    """Books ~BOOKED_SHARE of the next 7 days; returns how many appointments were made."""
    booked = 0
    with db.session() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None
        now = tenancy_service.now(tenant=tenant)
        week = scheduling.free_slots(db=session, tenant=tenant, duration_minutes=15, not_before=now + timedelta(hours=1),
                                     until=now + timedelta(days=7), spread=False)
        cursor = week[0].starts_at if week else now
        for slot in week:
            if slot.starts_at < cursor:
                continue
            minutes = rng.choice(JOB_MINUTES)
            if rng.random() > BOOKED_SHARE:
                cursor = slot.starts_at + timedelta(minutes=minutes)  # leave this stretch free
                continue
            try:
                hold = scheduling.create_hold(db=session, tenant=tenant, starts_at=slot.starts_at, duration_minutes=minutes,
                                              service_name="Drain cleaning", price_cents=12_000)
            except AppError:
                continue  # runs past closing time
            if rng.random() < 0.9:
                scheduling.book(db=session, tenant=tenant, hold=hold, customer_name="Bench Customer")
                booked += 1
            cursor = slot.starts_at + timedelta(minutes=minutes)
        session.commit()
    return booked


def _tenant(db: Database, name: str) -> str:
    with db.session() as session:
        tenant = tenancy_service.create(db=session, name=name, timezone="America/New_York", ephemeral=True,
                                        ttl_seconds=3600, labels={"bench": "scheduling"}, business_hours=HOURS)
        session.commit()
        return tenant.id


def measure(database_url: str, *, samples: int, neighbours: int = OTHER_TENANTS) -> dict[str, Any]:
    """Builds the calendars in `database_url` (an empty database), then times the searches."""
    migrations.upgrade(database_url)
    db = Database(database_url)
    rng = random.Random(7)
    try:
        for index in range(neighbours):
            _fill_week(db, _tenant(db, f"Neighbour {index}"), rng)
        tenant_id = _tenant(db, "Bench Plumbing")
        appointments = _fill_week(db, tenant_id, rng)
        offer_ms: list[float] = []
        week_ms: list[float] = []
        for index in range(samples):
            with db.session() as session:
                tenant = session.get(Tenant, tenant_id)
                assert tenant is not None
                started = time.perf_counter()
                offers = scheduling.offers(db=session, tenant=tenant, duration_minutes=JOB_MINUTES[index % 3])
                offer_ms.append((time.perf_counter() - started) * 1000)
                assert offers, "a typical week leaves room for offers"
        for _ in range(max(3, samples // 10)):
            with db.session() as session:
                tenant = session.get(Tenant, tenant_id)
                assert tenant is not None
                local_today = datetime.now(UTC).astimezone(scheduling._zone(tenant)).date()
                started = time.perf_counter()
                for day in range(7):
                    scheduling.day_availability(db=session, tenant=tenant, day=local_today + timedelta(days=day),
                                                duration_minutes=60)
                week_ms.append((time.perf_counter() - started) * 1000)
    finally:
        db.dispose()
    offers_summary = summary(offer_ms, digits=2)
    return {
        "n": offers_summary["n"], "p50": offers_summary["p50"], "p95": offers_summary["p95"],
        "max": offers_summary["max"], "appointments_in_week": appointments,
        "week_availability_p95": summary(week_ms, digits=2)["p95"],
    }
