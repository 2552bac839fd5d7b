"""Concurrent requests against a real server: none may stall behind another's database lock.

The regression: the auth dependency was `async def` and queried the database on the event loop. On
SQLite every transaction takes the write lock (BEGIN IMMEDIATE); while one request held it from the
threadpool, the next request's auth query blocked the loop, so the first request's clean-up (which
needs the loop) never ran: 30 s stalls, then "database is locked" 500s. Only a real server with real
threads shows it, so this test runs uvicorn on a loopback port against a SQLite file (and PostgreSQL).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from app.db import Database
from app.identity import security
from app.main import create_app
from app.providers import MemoryTelephony
from app.settings import Settings
from tests.conftest import OPERATOR_TOKEN, owner_of, tenant_spec

# Generous for a 2-core CI box, yet far below the 30 s SQLite busy timeout the stall used to last.
ALL_ANSWERED_WITHIN_SECONDS = 15.0
# More than the threadpool's 40 slots: a request must never hold the lock while it waits for a slot that
# requests queued behind that lock occupy (why the auth dependency ends its read transaction at once).
CONCURRENT_REQUESTS = 64


@dataclass
class LiveServer:
    base_url: str
    server: uvicorn.Server


@pytest.fixture
def live_server(settings: Settings, database: Database) -> Iterator[LiveServer]:
    app = create_app(settings, database=database, telephony=MemoryTelephony(), start_worker=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    host, port = sock.getsockname()
    yield LiveServer(base_url=f"http://{host}:{port}", server=server)
    server.should_exit = True
    thread.join(timeout=40)  # a stalled request (the bug) may hold the server up to the busy timeout
    sock.close()


def _tenant_with_session(base_url: str) -> tuple[dict[str, Any], str]:
    """A tenant and its owner's session token."""
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    with httpx.Client(base_url=base_url, timeout=10) as client:
        created = client.post("/api/operator/tenants", json=tenant_spec(), headers=operator)
        assert created.status_code == 201, created.text
        tenant = created.json()
        minted = client.post(f"/api/operator/tenants/{tenant['id']}/sessions",
                             json={"user": owner_of(tenant)["email"]}, headers=operator)
        assert minted.status_code == 201, minted.text
    return tenant, minted.json()["token"]


def test_concurrent_reads_and_writes_all_answer_quickly(live_server: LiveServer, settings: Settings) -> None:
    tenant, token = _tenant_with_session(live_server.base_url)
    csrf = security.new_csrf_token(settings)  # what the CSRF cookie of a page load would hold
    cookies = {security.SESSION_COOKIE: token, security.CSRF_COOKIE: csrf}
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}

    def request(kind: str) -> Callable[[httpx.Client], httpx.Response]:
        calls: dict[str, Callable[[httpx.Client], httpx.Response]] = {
            # bearer API read (auth dependency only)
            "api": lambda c: c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}),
            # a page: cookie session, banners, template
            "page": lambda c: c.get("/inbox"),
            # a write that takes the write lock from the threadpool
            "write": lambda c: c.put(f"/api/operator/tenants/{tenant['id']}/clock", json={"advance_seconds": 1},
                                     headers=operator),
            # a cookie form post: CSRF read from the form body, then a redirect (303) back to the page
            "form": lambda c: c.post("/billing/portal", data={"csrf_token": csrf}),
        }
        return calls[kind]

    kinds = ["api", "page", "write", "form"] * (CONCURRENT_REQUESTS // 4)
    start = threading.Barrier(len(kinds))

    def fire(kind: str) -> tuple[str, int, float]:
        with httpx.Client(base_url=live_server.base_url, timeout=ALL_ANSWERED_WITHIN_SECONDS,
                          follow_redirects=False, cookies=cookies) as client:
            start.wait()
            began = time.monotonic()
            try:
                response = request(kind)(client)
            except httpx.TimeoutException:
                return kind, 0, time.monotonic() - began
            return kind, response.status_code, time.monotonic() - began

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        results = list(pool.map(fire, kinds))
    elapsed = time.monotonic() - began

    failures = [(kind, status) for kind, status, _ in results
                if not (200 <= status < 300 or (kind == "form" and status == 303))]
    assert failures == [], f"requests failed or timed out (status 0): {failures}"
    slowest = max(seconds for _, _, seconds in results)
    assert elapsed < ALL_ANSWERED_WITHIN_SECONDS, f"{len(kinds)} requests took {elapsed:.1f}s (slowest {slowest:.1f}s)"
