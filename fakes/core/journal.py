"""Thread-safe journal of every provider request a fake received and every webhook it sent.

Entries are plain JSON-ready dicts so ``GET /_fake/requests`` can return them as they are.
Inbound entries are added when a request arrives (status ``None`` while in flight) and completed
just before it is answered (so a client that has its answer finds the entry complete); a request
held by a ``timeout`` fault is visible, with its fault, while it hangs.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fakes.core.http import FormData

#: Oldest entries are dropped beyond this, so a long load test cannot exhaust memory.
MAX_ENTRIES = 50_000
#: A webhook receiver's answer is kept up to this many characters (an error page can be large).
RESPONSE_BODY_LIMIT = 4096


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def body_fields(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """``body`` as text, plus ``form`` (decoded) when it is form-encoded."""
    text = body.decode("utf-8", errors="replace")
    fields: dict[str, Any] = {"body": text}
    content_type = ""
    for name, value in headers.items():
        if name.lower() == "content-type":
            content_type = value.lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields["form"] = FormData.parse(text).to_dict()
    return fields


class Journal:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._next_id = 1
        self._max_entries = max_entries

    def _append(self, entry: dict[str, Any]) -> int:
        with self._lock:
            entry["id"] = self._next_id
            self._next_id += 1
            self._entries.append(entry)
            if len(self._entries) > self._max_entries:
                del self._entries[: len(self._entries) - self._max_entries]
            return int(entry["id"])

    def _update(self, entry_id: int, **changes: Any) -> None:
        with self._lock:
            for entry in reversed(self._entries):
                if entry["id"] == entry_id:
                    entry.update(changes)
                    return

    def start_inbound(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        fault: str | None = None,
    ) -> int:
        """Record an arriving request; returns its id for :meth:`finish_inbound`."""
        return self._append(
            {
                "direction": "inbound",
                "method": method,
                "path": path,
                "query": query,
                "headers": dict(headers),
                **body_fields(headers, body),
                "status": None,
                "fault": fault,
                "started_at": iso_now(),
                "started_ts": time.time(),
                "finished_at": None,
            }
        )

    def finish_inbound(
        self, entry_id: int, *, status: int | None, fault: str | None = None, response_body: bytes = b""
    ) -> None:
        self._update(
            entry_id,
            status=status,
            fault=fault,
            response_body=response_body.decode("utf-8", errors="replace"),
            finished_at=iso_now(),
        )

    def record_outbound(
        self,
        *,
        delivery_id: str,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        status: int | None,
        error: str | None,
        started_at: str,
        started_ts: float,
        copy_index: int = 0,
        redelivery: bool = False,
        kind: str = "",
        response_body: str = "",
        response_content_type: str = "",
    ) -> int:
        return self._append(
            {
                "direction": "outbound",
                "delivery_id": delivery_id,
                "kind": kind,
                "method": method,
                "url": url,
                "headers": dict(headers),
                **body_fields(headers, body),
                "status": status,
                # What the receiver answered, as a provider's dashboard shows it (Stripe keeps the response of
                # every delivery attempt): the app's acknowledgement says whether it took a copy as a duplicate.
                "response_body": response_body[:RESPONSE_BODY_LIMIT],
                # Twilio reads the answer to a call or a text as TwiML only when it says it is XML.
                "response_content_type": response_content_type,
                "error": error,
                "copy": copy_index,
                "redelivery": redelivery,
                "started_at": started_at,
                "started_ts": started_ts,
                "finished_at": iso_now(),
            }
        )

    def entries(
        self, *, since_id: int | None = None, contains: str | None = None, direction: str | None = None
    ) -> list[dict[str, Any]]:
        """Copies of the entries, oldest first, optionally filtered.

        ``contains`` is a substring looked for in the path/URL, query, raw body and the decoded
        form values (so ``+15550100`` matches a form body that carries ``%2B15550100``).
        """
        with self._lock:
            selected = [
                copy.deepcopy(entry)
                for entry in self._entries
                if (since_id is None or entry["id"] > since_id)
                and (direction is None or entry["direction"] == direction)
                and (contains is None or contains in _searchable_text(entry))
            ]
        return selected

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _searchable_text(entry: Mapping[str, Any]) -> str:
    parts = [str(entry.get("path", "")), str(entry.get("url", "")), str(entry.get("query", ""))]
    parts.append(str(entry.get("body", "")))
    form = entry.get("form") or {}
    for value in form.values():
        parts.extend(value if isinstance(value, list) else [value])
    return "\n".join(parts)
