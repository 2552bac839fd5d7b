"""The Stripe fake: Stripe's ``/v1/`` API subset, a hosted checkout page, a customer portal and
signed webhooks, on a real HTTP server on loopback (built on :mod:`fakes.core`).

In-process::

    from fakes.stripe import running_stripe

    with running_stripe(webhook_url="http://127.0.0.1:8000/webhooks/stripe") as stripe_fake:
        client = stripe_fake.sdk_client()            # stripe.StripeClient pointed at the fake
        stripe_fake.control.payment_failed("sub_...")
        secret = stripe_fake.webhook_secret          # what the app checks signatures with

From a shell: ``python -m fakes stripe --host 127.0.0.1 --port 0`` (see :mod:`fakes.stripe.cli`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fakes.core import FakeControlError, FakeServer, running
from fakes.stripe.app import DEFAULT_API_KEY, StripeFake
from fakes.stripe.cards import DECLINE_CARD, SUCCESS_CARD
from fakes.stripe.catalog import DEFAULT_PRICES, CatalogPrice, parse_catalog
from fakes.stripe.cli import main
from fakes.stripe.client import StripeFakeClient
from fakes.stripe.signing import signature_header
from fakes.stripe.state import DEFAULT_API_VERSION, EMITTED_EVENT_TYPES

if TYPE_CHECKING:
    import stripe


#: The name ``python -m fakes stripe`` looks up (``fakes/__main__.py``).
cli_main = main


@dataclass
class RunningStripe:
    """A started fake: where it listens, its key, its control client, and the app object itself."""

    base_url: str
    api_key: str
    app: StripeFake
    server: FakeServer
    control: StripeFakeClient
    #: Signing secret of the endpoint given as ``webhook_url`` (None when there is none).
    webhook_secret: str | None = None

    def sdk_client(self) -> stripe.StripeClient:
        """The official SDK's client, pointed at this fake (nothing else changed)."""
        import stripe

        return stripe.StripeClient(self.api_key, base_addresses={"api": self.base_url})


@contextlib.contextmanager
def running_stripe(
    *,
    api_key: str = DEFAULT_API_KEY,
    host: str = "127.0.0.1",
    port: int = 0,
    prices: Iterable[CatalogPrice] = DEFAULT_PRICES,
    public_url: str | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    webhook_events: Iterable[str] = ("*",),
) -> Iterator[RunningStripe]:
    """Start the fake on ``host:port`` (0 = a free port) for the duration of the block."""
    app = StripeFake(api_key=api_key, prices=prices, public_url=public_url)
    secret = None
    if webhook_url is not None:
        secret = app.register_webhook_endpoint(webhook_url, enabled_events=webhook_events, secret=webhook_secret)["secret"]
    with running(app, host, port) as server:
        control = StripeFakeClient(server.base_url)
        try:
            yield RunningStripe(server.base_url, api_key, app, server, control, secret)
        finally:
            control.close()


__all__ = [
    "DECLINE_CARD",
    "DEFAULT_API_KEY",
    "DEFAULT_API_VERSION",
    "DEFAULT_PRICES",
    "EMITTED_EVENT_TYPES",
    "SUCCESS_CARD",
    "CatalogPrice",
    "FakeControlError",
    "RunningStripe",
    "StripeFake",
    "StripeFakeClient",
    "cli_main",
    "main",
    "parse_catalog",
    "running_stripe",
    "signature_header",
]
