"""``python -m fakes jobber [--host H] [--port P] [--client-id ID] [--client-secret S] [--webhook-url URL]``."""

from __future__ import annotations

import os
from collections.abc import Sequence

from fakes.core import base_parser, serve
from fakes.jobber.app import JobberFake


def main(argv: Sequence[str] | None = None) -> int:
    parser = base_parser("python -m fakes jobber", "Jobber GraphQL API + OAuth + signed webhooks fake")
    parser.add_argument("--client-id", default=os.environ.get("JOBBER_FAKE_CLIENT_ID", "nmc-test-client"),
                        help="the OAuth client id the app must present (default nmc-test-client)")
    parser.add_argument("--client-secret", default=os.environ.get("JOBBER_FAKE_CLIENT_SECRET", "nmc-test-secret"),
                        help="its client secret, which also signs the webhooks (default nmc-test-secret)")
    parser.add_argument("--webhook-url", default="",
                        help="where visit webhooks are posted (Jobber: set per app in the Developer Center)")
    parser.add_argument("--token-ttl", type=int, default=3600, help="access token lifetime in seconds (default 3600)")
    args = parser.parse_args(argv)
    if not args.client_id.strip() or not args.client_secret.strip():
        parser.error("--client-id and --client-secret must not be empty")
    if args.webhook_url and not args.webhook_url.startswith(("http://", "https://")):
        parser.error("--webhook-url must be an http(s) URL")
    if args.token_ttl < 1:
        parser.error("--token-ttl must be at least 1 second")
    return serve(JobberFake(client_id=args.client_id, client_secret=args.client_secret,
                            webhook_url=args.webhook_url, token_ttl_s=args.token_ttl), args.host, args.port)
