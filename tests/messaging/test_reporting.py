"""First-response tracker: pairing waits, nearest-rank percentiles, out-of-order signals, UPSERTed daily rollups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.reporting import service as reporting_service
from app.reporting.models import FirstResponse, FirstResponseDaily
from app.reporting.service import pair_waits, percentile
from app.tenancy import service as tenancy_service
from tests.messaging.conftest import CUSTOMER, OTHER_CUSTOMER, Twilio

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


PAIRING = [
    # (triggers, responses, expected waits as (start, end|None) in seconds)
    ([0], [4], [(0, 4)]),
    ([0], [], [(0, None)]),
    ([], [4], []),  # an outbound with nobody waiting is no latency
    ([10], [4], [(10, None)]),  # outbound before inbound: not an answer to it
    ([0, 3], [4], [(0, 4)]),  # a second text while waiting does not restart the clock
    ([0, 5], [4, 9], [(0, 4), (5, 9)]),
    ([0, 5], [4, 4.5, 9], [(0, 4), (5, 9)]),  # only the first reply counts
    ([0, 4], [4], [(0, 4), (4, None)]),
]


@pytest.mark.parametrize(("triggers", "responses", "expected"), PAIRING)
def test_pairing_waits_with_first_responses(
    triggers: list[float], responses: list[float], expected: list[tuple[float, float | None]]
) -> None:
    waits = pair_waits([at(t) for t in triggers], [at(r) for r in responses])
    assert waits == [(at(s), at(e) if e is not None else None) for s, e in expected]


@pytest.mark.parametrize(("values", "p50", "p95"), [
    ([], None, None), ([7], 7, 7), ([1, 2], 1, 2), (list(range(1, 101)), 50, 95), ([5, 1, 3], 3, 5),
    (list(range(1, 21)), 10, 19),
])
def test_nearest_rank_percentiles(values: list[int], p50: int | None, p95: int | None) -> None:
    assert percentile(values, 50) == p50 and percentile(values, 95) == p95


def _tenant_row(database: Database, tenant_id: str) -> Any:
    with database.session() as db:
        tenant = tenancy_service.get(db=db, tenant_id=tenant_id)
        db.expunge(tenant)
        return tenant


def _daily(database: Database, tenant_id: str) -> list[FirstResponseDaily]:
    with database.session() as db:
        return list(db.scalars(select(FirstResponseDaily).where(FirstResponseDaily.tenant_id == tenant_id)))


def test_an_outbound_recorded_first_has_no_latency_until_its_trigger_arrives(
    make_tenant: Callable[..., dict[str, Any]], database: Database, drain: Callable[[], int],
) -> None:
    tenant = _tenant_row(database, make_tenant(timezone="UTC")["id"])
    with database.session() as db:
        reporting_service.record_response(db=db, tenant=tenant, conversation_id="c1", source_key="message:out1", at=at(4))
        db.commit()
    drain()
    with database.session() as db:
        assert list(db.scalars(select(FirstResponse).where(FirstResponse.tenant_id == tenant.id))) == []
    assert _daily(database, tenant.id) == []
    with database.session() as db:  # the trigger, earlier in time, arrives late
        reporting_service.record_trigger(db=db, tenant=tenant, conversation_id="c1", source_key="call:CA1", at=at(0))
        reporting_service.record_trigger(db=db, tenant=tenant, conversation_id="c1", source_key="call:CA1", at=at(0))
        db.commit()
    drain()
    [day] = _daily(database, tenant.id)
    assert (day.day, day.samples, day.p50_ms, day.p95_ms) == (date(2026, 3, 2), 1, 4000, 4000)


def test_daily_rollups_are_upserted_as_data_arrives(
    make_tenant: Callable[..., dict[str, Any]], database: Database, drain: Callable[[], int],
) -> None:
    tenant = _tenant_row(database, make_tenant(timezone="UTC")["id"])
    latencies = [1, 2, 3, 4, 30]  # seconds, one conversation each
    first_id = ""
    for index, seconds in enumerate(latencies):
        with database.session() as db:
            conversation = f"conv{index}"
            reporting_service.record_trigger(db=db, tenant=tenant, conversation_id=conversation,
                                             source_key=f"call:{index}", at=at(index * 100))
            reporting_service.record_response(db=db, tenant=tenant, conversation_id=conversation,
                                              source_key=f"message:{index}", at=at(index * 100 + seconds))
            db.commit()
        drain()
        [row] = _daily(database, tenant.id)
        first_id = first_id or row.id
        assert row.id == first_id  # the same row, updated
        so_far = sorted(s * 1000 for s in latencies[: index + 1])
        assert (row.samples, row.p50_ms, row.p95_ms) == (len(so_far), percentile(so_far, 50), percentile(so_far, 95))
    [row] = _daily(database, tenant.id)
    assert (row.p50_ms, row.p95_ms) == (3000, 30000)


def test_days_are_the_tenants_local_days(
    make_tenant: Callable[..., dict[str, Any]], database: Database, drain: Callable[[], int],
) -> None:
    tenant = _tenant_row(database, make_tenant(timezone="America/New_York")["id"])
    late_evening_utc = datetime(2026, 3, 3, 3, 30, tzinfo=UTC)  # 22:30 on March 2nd in New York
    with database.session() as db:
        reporting_service.record_trigger(db=db, tenant=tenant, conversation_id="c", source_key="call:x",
                                         at=late_evening_utc)
        reporting_service.record_response(db=db, tenant=tenant, conversation_id="c", source_key="message:x",
                                          at=late_evening_utc + timedelta(seconds=2))
        db.commit()
    drain()
    assert [d.day for d in _daily(database, tenant.id)] == [date(2026, 3, 2)]


def test_missed_calls_and_texts_show_up_on_the_dashboard(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    twilio.sms(from_=OTHER_CUSTOMER, to=tenant["phone_number"], body="Need a plumber")
    drain()
    twilio.sms(from_=OTHER_CUSTOMER, to=tenant["phone_number"], body="STOP")  # no wait starts with STOP
    drain()
    owner = login_as(tenant, "TECH")
    figures = owner.get("/api/v1/dashboard/first-response").json()
    today = figures["days"][0]
    assert len(figures["days"]) == 14
    assert today["samples"] == 2 and today["unanswered"] == 0 and today["p95_ms"] is not None
    assert figures["last_7_days"]["samples"] == 2 and figures["needs_attention"] == 0
    page = owner.get("/dashboard")
    assert page.status_code == 200
    assert 'data-testid="first-response-p50"' in page.text and "Today" in page.text
    assert owner.get("/api/v1/dashboard/first-response?days=0").status_code == 422


def test_a_held_reply_counts_when_it_is_finally_sent(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    login_as: Callable[..., TestClient], operator: TestClient,
) -> None:
    tenant = make_tenant(compliance="pending", timezone="UTC")
    # Noon on the tenant clock: the ten minutes below stay within one day (run from 23:50 UTC on, the reply
    # fell on the next day and "today" had no sample).
    pinned = operator.put(f"/api/operator/tenants/{tenant['id']}/clock", json={"now": "2030-01-07T12:00:00Z"})
    assert pinned.status_code == 200, pinned.text
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    drain()
    owner = login_as(tenant)
    assert owner.get("/api/v1/dashboard/first-response").json()["days"][0]["unanswered"] == 1
    operator.put(f"/api/operator/tenants/{tenant['id']}/clock", json={"advance_seconds": 600})
    twilio.brand(brand_sid=tenant["extra"]["brand_sid"], status="APPROVED")
    drain()
    today = owner.get("/api/v1/dashboard/first-response").json()["days"][0]
    assert today["samples"] == 1 and today["p50_ms"] >= 600_000
