"""The benchmark's own databases on the PostgreSQL server the tests use (scripts/postgres-for-tests.sh).

Each run drops and recreates them, so figures never depend on what an earlier run left behind.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from psycopg.errors import InsufficientPrivilege
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from bench.environment import PROJECT_ROOT

SERVER_ENV = "BENCH_DATABASE_URL"  # any database on the server; ours are created next to it


def server_url() -> str | None:
    """BENCH_DATABASE_URL, else TEST_DATABASE_URL, else what scripts/postgres-for-tests.sh prints (None on failure)."""
    url = os.environ.get(SERVER_ENV) or os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    try:
        done = subprocess.run([str(PROJECT_ROOT / "scripts" / "postgres-for-tests.sh")], capture_output=True,
                              text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    url = done.stdout.strip()
    return url if done.returncode == 0 and url else None


def _admin(server: str) -> Engine:
    return create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")


def drop_database(conn: Connection, name: str) -> None:
    """Drops database `name` (on an AUTOCOMMIT connection), ending the sessions still connected to it.

    WITH (FORCE) ends them, but refuses the whole statement when one of them is a session this role may
    not signal ("must be a member of the role whose process is being terminated or member of
    pg_signal_backend", seen once in CI right after a bench run filled a database). A plain DROP then
    waits a few seconds for such sessions to go, as PostgreSQL does for its own background workers.
    """
    try:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except ProgrammingError as exc:
        if not isinstance(exc.orig, InsufficientPrivilege):
            raise
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


def _drop(server: str, name: str) -> None:
    admin = _admin(server)
    try:
        with admin.connect() as conn:
            drop_database(conn, name)
    finally:
        admin.dispose()


@contextmanager
def fresh_database(server: str, name: str, *, keep: bool = False) -> Iterator[str]:
    """An empty database `name` on the server (dropped first if it exists); dropped again afterwards."""
    _drop(server, name)
    admin = _admin(server)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            _drop(server, name)
