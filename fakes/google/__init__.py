"""The Google Calendar fake (Calendar API v3 events list/insert/watch with sync tokens and push notifications,
OAuth 2.0 authorization code), built on :mod:`fakes.core`.

In-process::

    with running_google() as google:
        google.control.add_event(start=..., end=...)   # an event made in Google Calendar itself
        service = google.api_client(access_token)        # googleapiclient's Calendar v3, pointed at the fake

From a shell: ``python -m fakes google --host 127.0.0.1 --port 0``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fakes.core import FakeServer, running
from fakes.google.app import GoogleCalendarFake
from fakes.google.cli import main
from fakes.google.client import GoogleFakeClient

#: The name ``python -m fakes google`` looks up (``fakes/__main__.py``).
cli_main = main


@dataclass
class RunningGoogle:
    base_url: str
    app: GoogleCalendarFake
    server: FakeServer
    control: GoogleFakeClient

    def api_client(self, access_token: str, *, refresh_token: str | None = None,
                   client_id: str = "nmc-test-client", client_secret: str = "nmc-test-secret") -> Any:
        """The official client's Calendar v3 service (google-api-python-client), pointed at this fake; with a
        refresh token, google-auth refreshes an expired access token at the fake's ``/token``."""
        from google.oauth2.credentials import Credentials
        from googleapiclient.discovery import build

        credentials = Credentials(token=access_token, refresh_token=refresh_token, token_uri=self.base_url + "/token",
                                  client_id=client_id, client_secret=client_secret)
        return build("calendar", "v3", credentials=credentials, cache_discovery=False,
                     static_discovery=True, client_options={"api_endpoint": self.base_url + "/calendar/v3/"})


@contextlib.contextmanager
def running_google(*, host: str = "127.0.0.1", port: int = 0, client_id: str = "nmc-test-client",
                   client_secret: str = "nmc-test-secret") -> Iterator[RunningGoogle]:
    """Start the fake on ``host:port`` (0 = a free port) for the duration of the block."""
    app = GoogleCalendarFake(client_id=client_id, client_secret=client_secret)
    with running(app, host, port) as server:
        control = GoogleFakeClient(server.base_url)
        try:
            yield RunningGoogle(base_url=server.base_url, app=app, server=server, control=control)
        finally:
            control.close()


__all__ = ["GoogleCalendarFake", "GoogleFakeClient", "RunningGoogle", "cli_main", "running_google"]
