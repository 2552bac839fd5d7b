"""F4 (issue 23): the per-address sign-in limit counts the real peer. A client cannot dodge it by sending a new
X-Forwarded-For with every attempt: `python -m app serve` does not let uvicorn take the client address from
proxy headers. Run as a real process, since the proxy-header handling lives in uvicorn, not in the app."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.resilience.processes import AppProcess

pytestmark = pytest.mark.security

MAX_FAILURES = 3


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {"APP_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
           "SECRET_KEY": "client-address-secret-key-0123456789abcdef", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
           "PASSWORD_HASH_TIME_COST": "1", "PASSWORD_HASH_MEMORY_KIB": "1024",
           "LOGIN_IP_MAX_FAILURES": str(MAX_FAILURES), "LOGIN_IP_WINDOW_SECONDS": "600"}
    process = AppProcess("app", ["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path,
                         ready_url=f"http://127.0.0.1:{port}/healthz")
    try:
        process.start(timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()


def test_a_new_x_forwarded_for_per_attempt_does_not_escape_the_address_limit(served_app: str) -> None:
    statuses = []
    with httpx.Client(base_url=served_app, timeout=10) as client:
        for attempt in range(MAX_FAILURES + 2):
            response = client.post("/api/v1/auth/token", json={"email": f"guess{attempt}@example.test", "password": "x"},
                                   headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}"})
            statuses.append(response.status_code)
    assert statuses == [401] * MAX_FAILURES + [429, 429], statuses
