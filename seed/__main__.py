"""``python -m seed sweep [--dry-run] [--base-url URL --token T]``: delete what interrupted runs left behind
(see seed/sweeper.py) on one target: --base-url and --token, else E2E_BASE_URL / E2E_OPERATOR_TOKEN, else
the stack `python -m stack` runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from seed.ledger import ledger_dir
from seed.operator import OperatorApiUnavailable, OperatorClient
from seed.sweeper import sweep
from stack.description import ENV, Stack, reusable_stack_dir


def _sweep(args: argparse.Namespace) -> int:
    base_url = (args.base_url or os.environ.get(ENV["base_url"], "")).rstrip("/")
    token = args.token or os.environ.get(ENV["operator_token"], "")
    target_id = base_url or None
    reused = Stack.read(args.stack_dir / "stack.json")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seed", description="Ephemeral tenants of the e2e suite")
    sub = parser.add_subparsers(dest="command", required=True)
    sweeper = sub.add_parser("sweep", help="delete tenants that interrupted runs left behind")
    sweeper.add_argument("--dry-run", action="store_true", help="only print what would be deleted")
    sweeper.add_argument("--base-url", default="", help="the app (default: E2E_BASE_URL, else the reusable stack)")
    sweeper.add_argument("--token", default="", help="its operator token (default: E2E_OPERATOR_TOKEN)")
    sweeper.add_argument("--ledger-dir", type=Path, default=ledger_dir(), help="default: .e2e-ledger/")
    sweeper.add_argument("--no-expired", action="store_true", help="leave expired seeded tenants alone")
    sweeper.add_argument("--stack-dir", type=Path, default=reusable_stack_dir(), help=argparse.SUPPRESS)
    return _sweep(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
