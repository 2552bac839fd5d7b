"""``python -m fakes stripe --host 127.0.0.1 --port 0 [--api-key sk_test_...] [--prices JSON|@file]
[--public-url URL] [--webhook-url URL [--webhook-secret whsec_...] [--webhook-events a,b]]``.

Prints exactly one line, ``listening on http://HOST:PORT``. Each option falls back to an environment
variable (``STRIPE_API_KEY`` — the same name the app reads — then ``STRIPE_FAKE_API_KEY``;
``STRIPE_FAKE_PRICES``, ``STRIPE_FAKE_PUBLIC_URL``, ``STRIPE_FAKE_WEBHOOK_URL``,
``STRIPE_FAKE_WEBHOOK_SECRET``, ``STRIPE_FAKE_WEBHOOK_EVENTS``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from fakes.core import base_parser, serve
from fakes.stripe.app import DEFAULT_API_KEY, StripeFake
from fakes.stripe.catalog import DEFAULT_PRICES, parse_catalog


def main(argv: Sequence[str] | None = None) -> int:
    env = os.environ.get
    parser = base_parser("python -m fakes stripe", "Local Stripe fake: /v1 API subset, hosted checkout, webhooks.")
    parser.add_argument(
        "--api-key",
        default=env("STRIPE_API_KEY") or env("STRIPE_FAKE_API_KEY") or DEFAULT_API_KEY,
        help=f"the secret key clients must send (default {DEFAULT_API_KEY})",
    )
    parser.add_argument(
        "--prices",
        default=env("STRIPE_FAKE_PRICES"),
        help="price catalog: JSON list or @file (default: price_nmc_monthly, price_nmc_yearly)",
    )
    parser.add_argument(
        "--public-url",
        default=env("STRIPE_FAKE_PUBLIC_URL"),
        help="base URL browsers use for checkout/portal pages (default: the request's Host)",
    )
    parser.add_argument(
        "--webhook-url",
        default=env("STRIPE_FAKE_WEBHOOK_URL"),
        help="register a webhook endpoint at start-up (it survives /_fake/reset)",
    )
    parser.add_argument(
        "--webhook-secret",
        default=env("STRIPE_FAKE_WEBHOOK_SECRET"),
        help="signing secret of that endpoint, whsec_... (default: generated)",
    )
    parser.add_argument(
        "--webhook-events",
        default=env("STRIPE_FAKE_WEBHOOK_EVENTS", "*"),
        help="comma-separated enabled_events of that endpoint (default *)",
    )
    args = parser.parse_args(argv)
    if not args.api_key.startswith("sk_test_"):
        parser.error("--api-key must be a test-mode secret key (sk_test_...)")
    try:
        prices = parse_catalog(args.prices) if args.prices else DEFAULT_PRICES
    except ValueError as exc:
        parser.error(str(exc))
    if args.webhook_secret and not args.webhook_url:
        parser.error("--webhook-secret needs --webhook-url")
    if args.webhook_secret and not args.webhook_secret.startswith("whsec_"):
        parser.error("--webhook-secret must start with whsec_")
    app = StripeFake(api_key=args.api_key, prices=prices, public_url=args.public_url)
    if args.webhook_url:
        events = [name.strip() for name in args.webhook_events.split(",") if name.strip()]
        app.register_webhook_endpoint(args.webhook_url, enabled_events=events or ["*"], secret=args.webhook_secret)
    return serve(app, args.host, args.port)
