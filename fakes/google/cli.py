"""``python -m fakes google [--host H] [--port P] [--client-id ID] [--client-secret S]``."""

from __future__ import annotations

import os
from collections.abc import Sequence

from fakes.core import base_parser, serve
from fakes.google.app import GoogleCalendarFake


def main(argv: Sequence[str] | None = None) -> int:
    parser = base_parser("python -m fakes google", "Google Calendar API v3 + OAuth fake")
    parser.add_argument("--client-id", default=os.environ.get("GOOGLE_FAKE_CLIENT_ID", "nmc-test-client"),
                        help="the OAuth client id the app must present (default nmc-test-client)")
    parser.add_argument("--client-secret", default=os.environ.get("GOOGLE_FAKE_CLIENT_SECRET", "nmc-test-secret"),
                        help="its client secret (default nmc-test-secret)")
    args = parser.parse_args(argv)
    if not args.client_id.strip() or not args.client_secret.strip():
        parser.error("--client-id and --client-secret must not be empty")
    return serve(GoogleCalendarFake(client_id=args.client_id, client_secret=args.client_secret), args.host, args.port)
