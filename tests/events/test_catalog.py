"""The event catalog is complete and self-consistent (seed 003 §5): every schema is a valid JSON Schema whose
example it accepts, every event type the app handles has a schema for each version its handler claims and
no schema is orphaned, docs/event-catalog.md lists every file, and an unclaimed version is dead-lettered."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session

import app.handlers  # noqa: F401  (registers every handler of the app)
from app import events
from app.db import Database
from app.outbox import service as outbox_service
from app.outbox.models import OutboxEvent
from app.outbox.worker import OutboxWorker
from app.settings import Settings
from tests.events.contract import problems

DOC = Path(__file__).resolve().parents[2] / "docs" / "event-catalog.md"
SCHEMAS = [(t, v) for t, versions in sorted(events.catalog().items()) for v in versions]


def app_handlers() -> dict[str, frozenset[int]]:
    return {event_type: outbox_service.versions_handled(event_type)
            for event_type, handler in outbox_service.registered_handlers().items()
            # the app's own modules (a test may register a handler under a made-up app module name)
            if handler.__module__.startswith("app.") and handler.__module__ in sys.modules}


@pytest.mark.parametrize(("event_type", "version"), SCHEMAS)
def test_each_schema_is_valid_and_accepts_its_example(event_type: str, version: int) -> None:
    schema = events.schema(event_type, version)
    Draft202012Validator.check_schema(schema)
    assert schema["title"] == f"{event_type} v{version}"
    assert schema["examples"], "each schema carries an example payload (the consumer tests build on it)"
    for example in schema["examples"]:
        assert problems(event_type, version, example) == []
    assert problems(event_type, version, {}) != [], "an empty payload must not pass"


def test_every_handled_version_has_a_schema_and_every_schema_a_handler() -> None:
    handled = app_handlers()
    assert handled, "no app handler registered"
    missing = sorted(f"{t} v{v}" for t, versions in handled.items() for v in versions
                     if v not in events.catalog().get(t, ()))
    orphaned = sorted(f"{t} v{v}" for t, v in SCHEMAS if v not in handled.get(t, frozenset()))
    assert missing == [] and orphaned == []


def test_the_catalog_document_lists_every_schema() -> None:
    text = DOC.read_text()
    unlisted = [f"{t}.v{v}" for t, v in SCHEMAS if f"app/events/schemas/{t}.v{v}.json" not in text]
    assert unlisted == []


def test_the_contract_check_reports_a_bad_payload_and_an_unknown_version() -> None:
    assert any("price_cents" in p for p in problems("AppointmentBooked", 1, {
        "appointment_id": "0" * 32, "conversation_id": None, "starts_at": "2030-01-07T15:00:00+00:00",
        "service_name": "Leak repair", "price_cents": "149"}))
    assert problems("AppointmentBooked", 99, {}) == ["AppointmentBooked v99: the catalog has only v1"]


handled: list[int] = []


@outbox_service.handles("TestVersioned", versions=(1,))
def _record_version(event: OutboxEvent, ctx: outbox_service.HandlerContext) -> None:
    handled.append(event.schema_version)


def test_an_event_of_a_version_its_handler_does_not_claim_is_dead_lettered(database: Database, settings: Settings) -> None:
    handled.clear()
    with Session(database.engine) as db:
        known = outbox_service.emit(db=db, event_type="TestVersioned", payload={}, tenant_id=None, schema_version=1)
        unknown = outbox_service.emit(db=db, event_type="TestVersioned", payload={}, tenant_id=None, schema_version=2)
        db.commit()
        ids = (known.id, unknown.id)
    OutboxWorker(database, settings, SimpleNamespace()).drain()
    with Session(database.engine) as db:
        done, dead = (db.get(OutboxEvent, i) for i in ids)
        assert done is not None and done.status == "done"
        assert dead is not None and dead.status == "dead"
        assert "TestVersioned v2 is not a schema_version its handler accepts (v1)" in (dead.last_error or "")
    assert handled == [1]
