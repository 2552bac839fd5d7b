"""``python -m fakes {twilio|stripe|google|jobber} [--host H] [--port P] ...`` — start one fake.

Prints one line, ``listening on http://HOST:PORT``, once it accepts connections. Each provider
package is imported only when chosen, so one fake never depends on the other.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

USAGE = "usage: python -m fakes {twilio|stripe|google|jobber} [--host HOST] [--port PORT] [provider options; --help]"


def _entry_point(provider: str) -> Callable[[Sequence[str]], int | None]:
    if provider == "twilio":
        from fakes.twilio.cli import cli_main

        return cli_main
    if provider == "google":
        from fakes.google.cli import main as google_main

        return google_main
    if provider == "jobber":
        from fakes.jobber.cli import main as jobber_main

        return jobber_main
    # The Stripe fake is imported lazily; accept the entry point names its package may export.
    package = importlib.import_module("fakes.stripe")
    for name in ("cli_main", "main"):
        entry = getattr(package, name, None)
        if callable(entry):
            return entry
    return importlib.import_module("fakes.stripe.server").main


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    provider, rest = args[0], args[1:]
    if provider not in ("twilio", "stripe", "google", "jobber"):
        print(f"unknown fake {provider!r}\n{USAGE}", file=sys.stderr)
        return 2
    return int(_entry_point(provider)(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
