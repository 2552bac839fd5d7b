"""Dropping the bench's and the tests' PostgreSQL databases: sessions left connected are ended, and a
session this role may not end does not fail the drop."""

from __future__ import annotations

import os
import uuid
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from bench.database import drop_database


class ScriptedConnection:
    """Answers each execute() with the next scripted outcome (an exception to raise, or None)."""

    def __init__(self, *outcomes: Exception | None) -> None:
        self.outcomes = list(outcomes)
        self.statements: list[str] = []

    def execute(self, statement: Any) -> None:
        self.statements.append(str(statement))
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome


def refused(error: Exception) -> ProgrammingError:
    return ProgrammingError("DROP DATABASE ...", {}, error)


def test_a_session_we_may_not_end_falls_back_to_a_plain_drop() -> None:
    conn = ScriptedConnection(refused(psycopg.errors.InsufficientPrivilege("must be a member of the role")), None)
    drop_database(conn, "nmc_x")  # type: ignore[arg-type]
    assert conn.statements == ['DROP DATABASE IF EXISTS "nmc_x" WITH (FORCE)', 'DROP DATABASE IF EXISTS "nmc_x"']


def test_other_errors_are_not_hidden() -> None:
    conn = ScriptedConnection(refused(psycopg.errors.SyntaxError("nope")))
    with pytest.raises(ProgrammingError):
        drop_database(conn, "nmc_x")  # type: ignore[arg-type]
    assert len(conn.statements) == 1


def test_a_database_with_our_own_session_still_open_is_dropped() -> None:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set")
    name = f"drop_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        lingering = create_engine(make_url(base).set(database=name)).connect()  # left open on purpose
        lingering.execute(text("SELECT 1"))
        with admin.connect() as conn:
            drop_database(conn, name)
            assert conn.execute(text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}).scalar() == 0
    finally:
        admin.dispose()
