"""Reading the app's JSON log (LOG_FILE): one test's lines, by tenant, from a remembered offset."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any


class AppLog:
    """The app's LOG_FILE. ``mark()`` before a test, ``entries_since(mark)`` after it."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def mark(self) -> int:
        if self.path is None:
            return 0
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def entries_since(self, offset: int, tenant_ids: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Complete JSON lines written after ``offset``; only those tagged with one of ``tenant_ids`` if given."""
        if self.path is None:
            return []
        try:
            with open(self.path, "rb") as log:
                log.seek(offset)
                data = log.read()
        except FileNotFoundError:
            return []
        entries = []
        for raw in data.split(b"\n")[:-1]:  # the last piece is empty or a line still being written
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(entry, dict):
                continue
            if tenant_ids is not None and entry.get("tenant_id") not in tenant_ids:
                continue
            entries.append(entry)
        return entries


def is_server_error(entry: dict[str, Any]) -> bool:
    """A request the app answered with 5xx, or an unhandled exception it logged."""
    status = entry.get("status")
    if isinstance(status, int) and status >= 500:
        return True
    return entry.get("level") in ("ERROR", "CRITICAL") and "exc" in entry
