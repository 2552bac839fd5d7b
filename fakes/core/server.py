"""The socket layer: a ``ThreadingHTTPServer`` that journals, injects faults, then calls the app.

The standard library server is used (not an ASGI stack) because faults need the raw socket: a
``timeout`` fault holds the connection without answering, a ``reset`` fault closes it with an RST.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from fakes.core.app import FakeApp
from fakes.core.faults import FaultRule
from fakes.core.http import FormData, Headers, Request, Response

#: A keep-alive connection idle this long is closed (also bounds a slow client's body upload).
IDLE_TIMEOUT_S = 120


class _FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: FakeApp) -> None:
        self.app = app
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the providers; every response has a length
    timeout = IDLE_TIMEOUT_S
    server: _FakeHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the journal (``GET /_fake/requests``) is the log."""

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # -- request handling ----------------------------------------------------------------------
    def _serve(self) -> None:
        app = self.server.app
        request = self._read_request()
        if request is None:
            return
        if app.is_control_path(request.path):
            self._send(app.handle(request))
            return
        rule = app.faults.take(request.method, request.path)
        fault = rule.action if rule else None
        entry_id = app.journal.start_inbound(
            method=request.method,
            path=request.path,
            query=urlsplit(self.path).query,
            headers=dict(self.headers.items()),
            body=request.body,
            fault=fault,  # known now, so a request held by ``timeout`` shows why while it hangs
        )
        # Each outcome is journaled before the client can see it, so a client that just got its
        # answer (or its reset) and then reads the journal finds the entry complete.
        if rule is not None and rule.action == "reset":
            app.journal.finish_inbound(entry_id, status=None, fault=fault)
            self._reset_connection()
            return
        if rule is not None and rule.action == "timeout":
            self._hold(rule)
            self.close_connection = True  # the server then closes it: no response at all
            app.journal.finish_inbound(entry_id, status=None, fault=fault)
            return
        if rule is not None and rule.action == "status":
            response = app.fault_response(rule.code, rule.body)
        else:
            if rule is not None and rule.action == "delay":
                time.sleep(rule.ms / 1000)
            response = app.handle(request)
            if rule is not None and rule.action == "late":
                time.sleep(rule.ms / 1000)  # done (its webhooks may be out already): only the answer is slow
        app.journal.finish_inbound(entry_id, status=response.status, fault=fault, response_body=response.body)
        self._send(response)

    def _read_request(self) -> Request | None:
        try:
            body = self._read_body()
        except ValueError as exc:
            self._send(Response.json({"detail": str(exc), "code": "bad_request"}, 400))
            self.close_connection = True
            return None
        parts = urlsplit(self.path)
        return Request(
            method=self.command.upper(),
            path=parts.path,
            query=FormData.parse(parts.query),
            headers=Headers(self.headers.items()),
            body=body,
            raw_path=self.path,
            client_address=(str(self.client_address[0]), int(self.client_address[1])),
        )

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        if not length_header:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            raise ValueError(f"invalid Content-Length {length_header!r}") from None
        if length < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size_line = self.rfile.readline(65537).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise ValueError("malformed chunked body") from None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(65537)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    # -- faults ----------------------------------------------------------------------------------
    def _reset_connection(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of an orderly FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _hold(self, rule: FaultRule) -> None:
        """Keep the connection open and silent until the client gives up, or release/stop/limit."""
        released = self.server.app.faults.released
        deadline = time.monotonic() + rule.hold_ms / 1000
        while time.monotonic() < deadline and not released.is_set() and not self.server.stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if not readable:
                continue
            try:
                peeked = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                return
            if not peeked:
                return  # the client closed its end: it gave up
            time.sleep(0.05)  # it sent more (a pipelined request); keep holding


class FakeServer:
    """Serve a :class:`FakeApp` on a background thread. Port 0 picks a free port."""

    def __init__(self, app: FakeApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._httpd = _FakeHTTPServer((host, port), app)
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> FakeServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"{self.app.name}-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, drop open connections (held ones included) and release resources."""
        self._httpd.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        with self._httpd.connections_lock:
            open_connections = list(self._httpd.connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        self.app.close()

    def __enter__(self) -> FakeServer:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def running(app: FakeApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[FakeServer]:
    """Start ``app`` on ``host:port`` (0 = free port), yield the server (``.base_url``), stop it after."""
    server = FakeServer(app, host, port).start()
    try:
        yield server
    finally:
        server.stop()
