"""The PostgreSQL `database_url` teardown: a table another session still locks gives a clear error naming
that session, within the lock timeout, instead of a hang or a bare deadlock."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import empty_postgres_tables


def test_a_lock_held_by_another_session_fails_the_truncate_naming_that_session(postgres_database: str) -> None:
    holder = create_engine(postgres_database, connect_args={"application_name": "leftover-worker"})
    try:
        with holder.connect() as conn:
            conn.execute(text("BEGIN"))
            conn.execute(text("LOCK TABLE outbox_events IN ROW EXCLUSIVE MODE"))
            with pytest.raises(AssertionError, match=r"other sessions still on it: pid \d+ leftover-worker "
                                                     r"idle in transaction: LOCK TABLE outbox_events"):
                empty_postgres_tables(postgres_database, lock_timeout_s=0.3)
            conn.execute(text("ROLLBACK"))
    finally:
        holder.dispose()

    empty_postgres_tables(postgres_database, lock_timeout_s=0.3)  # nothing holds a lock now: it empties
