"""``python -m fakes twilio`` — flags override the environment, which overrides the defaults."""

from __future__ import annotations

from collections.abc import Sequence

from fakes.core import base_parser, serve
from fakes.twilio.app import TwilioFake
from fakes.twilio.config import TwilioFakeConfig


def cli_main(argv: Sequence[str] | None = None) -> int:
    parser = base_parser("python -m fakes twilio", "Local fake of the Twilio REST API and webhooks.")
    try:
        defaults = TwilioFakeConfig.from_env()
    except ValueError as exc:
        parser.error(str(exc))
    parser.add_argument("--account-sid", default=defaults.account_sid, help="env TWILIO_ACCOUNT_SID")
    parser.add_argument("--auth-token", default=defaults.auth_token, help="env TWILIO_AUTH_TOKEN")
    parser.add_argument(
        "--compliance-callback-url",
        default=defaults.compliance_callback_url,
        help="where brand status changes are posted (env TWILIO_FAKE_COMPLIANCE_CALLBACK_URL)",
    )
    parser.add_argument(
        "--status-interval-ms",
        type=int,
        default=defaults.status_interval_ms,
        help="pause before each automatic message status step (env TWILIO_FAKE_STATUS_INTERVAL_MS)",
    )
    parser.add_argument("--webhook-timeout-s", type=float, default=10.0, help="how long to wait for the app")
    args = parser.parse_args(argv)
    config = TwilioFakeConfig(
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        compliance_callback_url=args.compliance_callback_url,
        status_interval_ms=args.status_interval_ms,
        webhook_timeout_s=args.webhook_timeout_s,
    )
    return serve(TwilioFake(config), args.host, args.port)
