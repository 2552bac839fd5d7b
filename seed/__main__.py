"""``python -m seed sweep [--dry-run] [--base-url URL --token T]`` and ``python -m seed stack``.

sweep  deletes what interrupted runs left behind (see seed/sweeper.py) on one target: --base-url and
       --token, else E2E_BASE_URL / E2E_OPERATOR_TOKEN, else the stack `python -m seed stack` runs.
stack  starts the app and both fakes and keeps them running until Ctrl-C, so `pytest e2e --reuse-stack`
       (or E2E_REUSE_STACK=1) skips the start-up; prints the E2E_* variables for other tools.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from seed import config as suite_config
from seed.ledger import ledger_dir
from seed.operator import OperatorApiUnavailable, OperatorClient
from seed.stack import (
    ENV_BASE_URL,
    ENV_OPERATOR_TOKEN,
    StackError,
    StackLauncher,
    read_state,
    reusable_stack_dir,
    write_state,
)
from seed.sweeper import sweep

DEFAULT_STACK_DIR = reusable_stack_dir()


def state_file(directory: Path) -> Path:
    return directory / "stack.json"


def _sweep(args: argparse.Namespace) -> int:
    base_url = (args.base_url or os.environ.get(ENV_BASE_URL, "")).rstrip("/")
    token = args.token or os.environ.get(ENV_OPERATOR_TOKEN, "")
    target_id = base_url or None
    reused = read_state(state_file(args.stack_dir))
    if reused is not None and (not base_url or base_url == reused.base_url):
        base_url, token, target_id = reused.base_url, token or reused.operator_token, reused.target_id
    if base_url and not token:
        print("error: a target needs its operator token (--token or E2E_OPERATOR_TOKEN)", file=sys.stderr)
        return 2
    operator = OperatorClient(base_url, token) if base_url else None
    try:
        if operator is not None:
            operator.probe()
        else:
            print("no target given: only settling ledger entries of throwaway stacks")
        report = sweep(ledger_dir=args.ledger_dir, operator=operator, target_id=target_id, dry_run=args.dry_run,
                       include_expired=not args.no_expired)
    except OperatorApiUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if operator is not None:
            operator.close()
    for line in report.lines():
        print(line)
    print(report.summary())
    return 1 if report.errors else 0


def _stack(args: argparse.Namespace) -> int:
    cfg = suite_config.load(args.config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        launcher = StackLauncher(cfg.stack, args.stack_dir, name="reusable",
                                 database_url=os.environ.get("E2E_DATABASE_URL"), separate_worker=args.separate_worker)
        stack = launcher.start()
    except (StackError, suite_config.ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        write_state(state_file(args.stack_dir), stack, pid=os.getpid())
        print(f"stack ready in {stack.timings['total_s']:.1f}s; logs in {args.stack_dir}")
        for key, value in stack.to_env().items():
            print(f"export {key}={value}")
        print("pytest e2e --reuse-stack uses it; Ctrl-C stops it", flush=True)
        stop.wait()
    finally:
        state_file(args.stack_dir).unlink(missing_ok=True)
        launcher.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seed", description="Ephemeral tenants and the e2e stack")
    sub = parser.add_subparsers(dest="command", required=True)
    sweeper = sub.add_parser("sweep", help="delete tenants that interrupted runs left behind")
    sweeper.add_argument("--dry-run", action="store_true", help="only print what would be deleted")
    sweeper.add_argument("--base-url", default="", help="the app (default: E2E_BASE_URL, else the reusable stack)")
    sweeper.add_argument("--token", default="", help="its operator token (default: E2E_OPERATOR_TOKEN)")
    sweeper.add_argument("--ledger-dir", type=Path, default=ledger_dir(), help="default: .e2e-ledger/")
    sweeper.add_argument("--no-expired", action="store_true", help="leave expired seeded tenants alone")
    sweeper.add_argument("--stack-dir", type=Path, default=DEFAULT_STACK_DIR, help=argparse.SUPPRESS)
    stack = sub.add_parser("stack", help="run the app and both fakes until Ctrl-C (for --reuse-stack)")
    stack.add_argument("--stack-dir", type=Path, default=DEFAULT_STACK_DIR, help="logs, database and stack.json")
    stack.add_argument("--config", type=Path, default=suite_config.DEFAULT_CONFIG_PATH)
    stack.add_argument("--separate-worker", action="store_true",
                       help="run the outbox worker as its own process ([stack.worker]), as deployed on PostgreSQL")
    args = parser.parse_args(argv)
    return _sweep(args) if args.command == "sweep" else _stack(args)


if __name__ == "__main__":
    sys.exit(main())
