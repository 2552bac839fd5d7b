"""The event catalog: one JSON Schema per outbox event type and schema_version (docs/event-catalog.md).

Schemas live in `schemas/<EventType>.v<N>.json`. A producer that changes a payload's shape adds a new
version file and bumps the `schema_version` it emits; consumers declare the versions they accept with
`outbox_service.handles(..., versions=...)`, and the tests hold both sides to the files.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).parent / "schemas"
_FILE_NAME = re.compile(r"^(?P<type>[A-Z][A-Za-z]+)\.v(?P<version>[1-9]\d*)\.json$")


def schema_path(event_type: str, version: int) -> Path:
    return SCHEMAS / f"{event_type}.v{version}.json"


@cache
def catalog() -> dict[str, tuple[int, ...]]:
    """Every event type in the catalog with its schema versions, oldest first."""
    versions: dict[str, list[int]] = {}
    for path in sorted(SCHEMAS.glob("*.json")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise RuntimeError(f"{path.name}: schema files are named <EventType>.v<N>.json")
        versions.setdefault(match["type"], []).append(int(match["version"]))
    return {event_type: tuple(sorted(found)) for event_type, found in versions.items()}


@cache
def schema(event_type: str, version: int) -> dict[str, Any]:
    """The JSON Schema of one event type and version; KeyError when the catalog has none."""
    if version not in catalog().get(event_type, ()):
        raise KeyError(f"no schema for {event_type} v{version} in {SCHEMAS}")
    loaded: dict[str, Any] = json.loads(schema_path(event_type, version).read_text())
    return loaded
