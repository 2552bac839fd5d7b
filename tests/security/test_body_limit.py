"""F1 (issue 23): the body limit holds for bodies of unknown length (chunked uploads), not only for those that
announce a Content-Length: reading stops as soon as MAX_BODY_BYTES is passed and the answer is 413.

The TestClient reads a whole body before handing it to the app, so these tests drive the ASGI app directly
with a `receive` that hands out chunks and counts how many the app asked for.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from fastapi import FastAPI

pytestmark = pytest.mark.security

CHUNK = 64 * 1024
TOTAL = 30 * 1024 * 1024  # 30 MB, as in the probe


def post_chunked(app: FastAPI, path: str, content_type: str) -> tuple[int, int]:
    """POSTs TOTAL bytes in CHUNKs without Content-Length; returns (status, bytes the app read).

    A (wrong) Twilio signature is sent along: without one the Twilio webhooks refuse before reading anything."""
    sent = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent >= TOTAL:
            return {"type": "http.disconnect"}
        sent += CHUNK
        return {"type": "http.request", "body": b"a" * CHUNK, "more_body": sent < TOTAL}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-type", content_type.encode()),
                         (b"transfer-encoding", b"chunked"), (b"x-twilio-signature", b"read-the-form-first")],
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80), "state": {}}

    async def run() -> None:
        await app(scope, receive, send)

    anyio.run(run)
    return status, sent


@pytest.mark.parametrize(("path", "content_type"), [
    ("/api/v1/auth/token", "application/json"),
    ("/webhooks/stripe", "application/json"),
    ("/login", "application/x-www-form-urlencoded"),
    ("/webhooks/twilio/sms", "application/x-www-form-urlencoded"),
])
def test_a_chunked_body_over_the_limit_is_refused_with_413_without_reading_it_all(
        app: FastAPI, path: str, content_type: str) -> None:
    limit = app.state.settings.max_body_bytes
    status, read = post_chunked(app, path, content_type)
    assert status == 413, f"{path} answered {status} to a {TOTAL}-byte chunked body"
    assert read <= limit + CHUNK, f"{path} read {read} bytes before refusing (limit {limit})"
