"""Consumer tests at the module boundaries (seed 003 §5): each handler accepts every schema_version it claims.

For each claimed version the producer's real event is swapped for one built from that version's schema
example, carrying the real ids (so it validates against that version and points at real rows); the consumer
must then finish it and do its job. Telephony→Conversation (MissedCallDetected), Scheduling→Conversation
(AppointmentBooked), Compliance→Conversation (ComplianceStatusChanged).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import events
from app.db import Database
from app.outbox import service as outbox_service
from app.outbox.models import OutboxEvent
from app.providers import MemoryTelephony
from app.scheduling import service as scheduling_service
from app.tenancy import service as tenancy_service
from tests.events.contract import problems
from tests.messaging.conftest import CUSTOMER, Twilio, conversation_id_of

MONDAY_MORNING = datetime(2030, 1, 7, 13, 55, tzinfo=UTC)  # 08:55 in New York, where test tenants are


def _claimed(event_type: str) -> list[int]:
    import app.handlers  # noqa: F401  (registers every handler)

    versions = sorted(outbox_service.versions_handled(event_type))
    assert versions, f"nobody handles {event_type}"
    return versions


def hand_over(database: Database, tenant_id: str, event_type: str, version: int) -> str:
    """Sets the producer's pending event aside and emits its version-`version` twin; returns the twin's id."""
    with database.session() as db:
        produced = db.scalars(select(OutboxEvent).where(
            OutboxEvent.tenant_id == tenant_id, OutboxEvent.event_type == event_type,
            OutboxEvent.status == "pending")).one()
        example = events.schema(event_type, version)["examples"][0]
        payload = {key: produced.payload.get(key, value) for key, value in example.items()}
        assert problems(event_type, version, payload) == []
        produced.status = "done"
        twin = outbox_service.emit(db=db, event_type=event_type, payload=payload, tenant_id=tenant_id,
                                   schema_version=version)
        db.commit()
        return twin.id


def assert_handled(database: Database, event_id: str) -> None:
    with database.session() as db:
        event = db.get(OutboxEvent, event_id)
        assert event is not None and event.status == "done", (event.status if event else None, event and event.last_error)


@pytest.mark.parametrize("version", _claimed("MissedCallDetected"))
def test_conversations_answer_every_missed_call_version(
    version: int, make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, worker: Any, database: Database,
    telephony: MemoryTelephony,
) -> None:
    tenant = make_tenant()
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    twin = hand_over(database, tenant["id"], "MissedCallDetected", version)
    worker.drain()
    assert_handled(database, twin)
    assert [m["to"] for m in telephony.sent] == [CUSTOMER]


@pytest.mark.parametrize("version", _claimed("AppointmentBooked"))
def test_conversations_confirm_every_appointment_booked_version(
    version: int, make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, worker: Any, database: Database,
    telephony: MemoryTelephony, operator: TestClient,
) -> None:
    tenant = make_tenant()
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    worker.drain()
    conversation = conversation_id_of(database, tenant["id"], CUSTOMER)
    assert operator.put(f"/api/operator/tenants/{tenant['id']}/clock",
                        json={"now": MONDAY_MORNING.isoformat()}).status_code == 200
    with database.session() as db:
        row = tenancy_service.get(db=db, tenant_id=tenant["id"])
        hold = scheduling_service.create_hold(db=db, tenant=row, starts_at=MONDAY_MORNING + timedelta(hours=2, minutes=5),
                                              duration_minutes=60, service_name="Leak repair", price_cents=14900,
                                              conversation_id=conversation, customer_phone=CUSTOMER)
        scheduling_service.book(db=db, tenant=row, hold=hold)
        db.commit()
    twin = hand_over(database, tenant["id"], "AppointmentBooked", version)
    worker.drain()
    assert_handled(database, twin)
    assert any(m["body"].startswith("You're booked: Leak repair") for m in telephony.sent)


@pytest.mark.parametrize("version", _claimed("ComplianceStatusChanged"))
def test_conversations_release_held_texts_on_every_compliance_version(
    version: int, make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, worker: Any, database: Database,
    telephony: MemoryTelephony,
) -> None:
    tenant = make_tenant(compliance="pending")
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    worker.drain()
    assert telephony.sent == []  # held while the registration is pending
    twilio.brand(brand_sid=tenant["extra"]["brand_sid"], status="APPROVED")
    twin = hand_over(database, tenant["id"], "ComplianceStatusChanged", version)
    worker.drain()
    assert_handled(database, twin)
    assert [m["to"] for m in telephony.sent] == [CUSTOMER]
