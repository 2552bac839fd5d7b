"""Shared command-line plumbing: ``--host``/``--port`` and the ``listening on ...`` line."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from fakes.core.app import FakeApp
from fakes.core.server import FakeServer


def base_parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default 0)")
    return parser


def serve(app: FakeApp, host: str, port: int) -> int:
    """Run until SIGINT/SIGTERM. Prints exactly one line, ``listening on http://HOST:PORT``, flushed."""
    server = FakeServer(app, host, port).start()
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    print(f"listening on {server.base_url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    sys.stdout.flush()
    return 0
