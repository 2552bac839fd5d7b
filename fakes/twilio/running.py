"""Start the Twilio fake in-process (tests) and build an official SDK client pointed at it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fakes.core import FakeServer
from fakes.twilio.app import TwilioFake
from fakes.twilio.client import TwilioFakeClient
from fakes.twilio.config import TwilioFakeConfig

if TYPE_CHECKING:
    from twilio.rest import Client


def sdk_client(base_url: str, account_sid: str, auth_token: str) -> Client:
    """An unmodified ``twilio.rest.Client`` whose api and messaging domains point at ``base_url``."""
    from twilio.rest import Client

    client = Client(account_sid, auth_token)
    client.api.base_url = base_url
    client.messaging.base_url = base_url
    return client


@dataclass
class RunningTwilioFake:
    base_url: str
    control: TwilioFakeClient
    app: TwilioFake
    server: FakeServer

    @property
    def account_sid(self) -> str:
        return self.app.config.account_sid

    @property
    def auth_token(self) -> str:
        return self.app.config.auth_token

    def sdk_client(self) -> Client:
        return sdk_client(self.base_url, self.account_sid, self.auth_token)


@contextlib.contextmanager
def running_twilio_fake(
    config: TwilioFakeConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningTwilioFake]:
    """Serve a fresh Twilio fake on a background thread; yields base URL, control client and app."""
    app = TwilioFake(config)
    server = FakeServer(app, host, port).start()
    control = TwilioFakeClient(server.base_url)
    try:
        yield RunningTwilioFake(server.base_url, control, app, server)
    finally:
        control.close()
        server.stop()
