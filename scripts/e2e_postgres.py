"""Runs the e2e suite against PostgreSQL, with the app deployed as it is there: web and outbox worker as
two processes, the worker woken by NOTIFY (`--stack-worker separate`).

    python -m scripts.e2e_postgres [--workers 2] [--server URL] [-- extra pytest args]

Each xdist worker's stack needs a database of its own (two apps' outbox workers on one database would
send each other's texts through the wrong fake), so this creates `nmc_e2e_<worker>_<pid>` for every
worker on the server (--server, else TEST_DATABASE_URL / scripts/postgres-for-tests.sh), runs pytest
with `E2E_DATABASE_URL` naming them through `{worker}`, and drops them afterwards, also when the run
fails. The exit code is pytest's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from contextlib import ExitStack

from sqlalchemy.engine import make_url

from bench.database import fresh_database, server_url


def worker_names(workers: int) -> list[str]:
    """The names the e2e plugin gives each stack's database: gw0..gwN-1 under xdist, `main` without it."""
    if workers < 0:
        raise ValueError(f"--workers must be 0 or more, not {workers}")
    return [f"gw{i}" for i in range(workers)] if workers else ["main"]


def database_name(worker: str, pid: int) -> str:
    return f"nmc_e2e_{worker}_{pid}"


def url_template(server: str, pid: int) -> str:
    """The server's URL with the database named per worker: `{worker}` is filled in by the e2e plugin."""
    url = make_url(server).set(database=database_name("WORKER", pid)).render_as_string(hide_password=False)
    return url.replace("WORKER", "{worker}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.e2e_postgres", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="xdist workers (0: one process); default 2")
    parser.add_argument("--server", default=None, help="any database URL on the server (default: TEST_DATABASE_URL, "
                                                       "else scripts/postgres-for-tests.sh)")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest after --")
    args = parser.parse_args(argv)
    try:
        names = worker_names(args.workers)
    except ValueError as exc:
        parser.error(str(exc))
    server = args.server or server_url()
    if not server:
        print("e2e_postgres: no PostgreSQL server (set TEST_DATABASE_URL or install postgresql)", file=sys.stderr)
        return 2
    pid = os.getpid()
    with ExitStack() as databases:
        for name in names:
            databases.enter_context(fresh_database(server, database_name(name, pid)))
        env = {**os.environ, "E2E_DATABASE_URL": url_template(server, pid)}
        command = [sys.executable, "-m", "pytest", "e2e", "--stack-worker", "separate", *args.pytest_args]
        if args.workers:
            command += ["-n", str(args.workers)]
        print(f"e2e_postgres: {' '.join(command[1:])} on {', '.join(database_name(n, pid) for n in names)}",
              flush=True)
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
