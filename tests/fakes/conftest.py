"""Fixtures for the fakes' own tests: a fresh fake per test and a tiny webhook receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from fakes.twilio import RunningTwilioFake, TwilioFakeConfig, running_twilio_fake


@dataclass
class ReceivedWebhook:
    url: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


class WebhookReceiver:
    """Local HTTP server standing in for the app: records every POST and answers ``status`` with ``body``
    (declared as ``content_type`` when one is set)."""

    def __init__(self) -> None:
        self.received: list[ReceivedWebhook] = []
        self.status = 200
        self.body = b"ok"
        self.content_type: str | None = None
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hit = ReceivedWebhook(receiver.url(self.path), self.path, dict(self.headers.items()), body)
                with receiver._changed:
                    receiver.received.append(hit)
                    receiver._changed.notify_all()
                self.send_response(receiver.status)
                if receiver.content_type:
                    self.send_header("Content-Type", receiver.content_type)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, count: int, *, path: str | None = None, timeout: float = 5.0) -> list[ReceivedWebhook]:
        """Block until ``count`` webhooks (to ``path``, if given) arrived; return them in arrival order."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                hits = [h for h in self.received if path is None or h.path == path]
                if len(hits) >= count:
                    return hits
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} webhooks to {path}, got {len(hits)}: {hits}")
                self._changed.wait(remaining)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture
def twilio_fake() -> Iterator[RunningTwilioFake]:
    # Short status interval keeps the progression tests fast but still observable.
    with running_twilio_fake(TwilioFakeConfig(status_interval_ms=10)) as fake:
        yield fake
