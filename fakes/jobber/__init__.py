"""The Jobber fake (GraphQL visits list/create, OAuth 2.0 authorization code, HMAC-signed webhooks), built on
:mod:`fakes.core`.

In-process::

    with running_jobber(webhook_url=...) as jobber:
        jobber.control.add_visit("olive@example.test", start=..., end=...)   # a visit made in Jobber itself

From a shell: ``python -m fakes jobber --host 127.0.0.1 --port 0 --webhook-url http://.../webhooks/jobber``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from fakes.core import FakeServer, running
from fakes.jobber.app import JobberFake
from fakes.jobber.cli import main
from fakes.jobber.client import JobberFakeClient

#: The name ``python -m fakes jobber`` looks up (``fakes/__main__.py``).
cli_main = main


@dataclass
class RunningJobber:
    base_url: str
    app: JobberFake
    server: FakeServer
    control: JobberFakeClient


@contextlib.contextmanager
def running_jobber(*, host: str = "127.0.0.1", port: int = 0, client_id: str = "nmc-test-client",
                   client_secret: str = "nmc-test-secret", webhook_url: str = "",
                   token_ttl_s: int = 3600) -> Iterator[RunningJobber]:
    """Start the fake on ``host:port`` (0 = a free port) for the duration of the block."""
    app = JobberFake(client_id=client_id, client_secret=client_secret, webhook_url=webhook_url,
                     token_ttl_s=token_ttl_s)
    with running(app, host, port) as server:
        control = JobberFakeClient(server.base_url)
        try:
            yield RunningJobber(base_url=server.base_url, app=app, server=server, control=control)
        finally:
            control.close()


__all__ = ["JobberFake", "JobberFakeClient", "RunningJobber", "cli_main", "running_jobber"]
