"""``python -m fakes.twilio`` is the same as ``python -m fakes twilio``."""

from fakes.twilio.cli import cli_main

raise SystemExit(cli_main())
