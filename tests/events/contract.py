"""Holds every outbox event the app writes during a test to its JSON Schema (docs/event-catalog.md).

`recording()` listens to the ORM for OutboxEvent inserts (from the test's own sessions and from the app's
request and worker threads alike) and collects what does not match; the autouse fixture in tests/conftest.py
fails the test with the list. Types outside the catalog are the tests' own (e.g. "TestRecorded"); that every
type the app handles is in the catalog is tests/events/test_catalog.py's job.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import event

from app import events
from app.outbox.models import OutboxEvent


@cache
def validator(event_type: str, version: int) -> Draft202012Validator:
    return Draft202012Validator(events.schema(event_type, version))


def problems(event_type: str, version: int, payload: Any) -> list[str]:
    """What is wrong with one event against the catalog (nothing for a type the catalog does not list)."""
    known = events.catalog().get(event_type)
    if known is None:
        return []
    if version not in known:
        return [f"{event_type} v{version}: the catalog has only v{', v'.join(map(str, known))}"]
    return [f"{event_type} v{version}: {'/'.join(map(str, error.absolute_path)) or '(payload)'}: {error.message}"
            for error in validator(event_type, version).iter_errors(payload)]


@contextmanager
def recording() -> Iterator[list[str]]:
    """Yields the list that collects schema violations of OutboxEvent rows inserted meanwhile."""
    found: list[str] = []

    def check(_mapper: Any, _connection: Any, row: OutboxEvent) -> None:
        found.extend(problems(row.event_type, row.schema_version or 1, row.payload))

    event.listen(OutboxEvent, "before_insert", check)
    try:
        yield found
    finally:
        event.remove(OutboxEvent, "before_insert", check)
