"""``python -m stack [--separate-worker]``: start the app and both fakes and keep them running until Ctrl-C.

``pytest e2e --reuse-stack`` then skips the start-up, and ``python -m seed sweep``
cleans up there; the stack's description is ``stack.json`` in --stack-dir (see stack/description.py).
It also prints the E2E_* variables that point other tools at it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from stack import config as suite_config
from stack.description import StackError, reusable_stack_dir
from stack.launcher import StackLauncher


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__.splitlines()[0])
    parser.add_argument("--stack-dir", type=Path, default=reusable_stack_dir(), help="logs, database and stack.json")
    parser.add_argument("--config", type=Path, default=suite_config.DEFAULT_CONFIG_PATH)
    parser.add_argument("--separate-worker", action="store_true",
                        help="run the outbox worker as its own process ([stack.worker]), as deployed on PostgreSQL")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        launcher = StackLauncher(suite_config.load(args.config).stack, args.stack_dir, name="reusable",
                                 database_url=os.environ.get("E2E_DATABASE_URL"), separate_worker=args.separate_worker)
        stack = launcher.start()
    except (StackError, suite_config.ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        print(f"stack ready in {stack.timings['total_s']:.1f}s; logs in {args.stack_dir}")
        for key, value in stack.to_env().items():
            print(f"export {key}={value}")
        print("pytest e2e --reuse-stack uses it; Ctrl-C stops it", flush=True)
        stop.wait()
    finally:
        (args.stack_dir / "stack.json").unlink(missing_ok=True)
        launcher.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
