"""Engine, session factory and the declarative base shared by every domain's models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, String, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


# The database's clock, read in one statement. PostgreSQL: clock_timestamp(), not now(), which is frozen
# at the transaction's start and would give two rows written in one transaction the same time. SQLite
# keeps milliseconds.
_DATABASE_CLOCK = {
    "postgresql": text("SELECT clock_timestamp()"),
    "sqlite": text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"),
}


def database_now(db: Session) -> datetime:
    """The database server's UTC time: what invariants (hold expiry, auto-close, waits) are judged by.

    An app server whose clock is skewed must neither extend a hold nor book an expired one; every app
    server shares the one database, so its clock is the reference. Within one session the values never
    go backwards or repeat (SQLite ticks in milliseconds), so rows stamped in order stay in order.
    """
    raw = db.execute(_DATABASE_CLOCK[db.get_bind().dialect.name]).scalar_one()
    at = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    last = db.info.get("database_now")
    if last is not None and at <= last:
        at = last + timedelta(microseconds=1)
    db.info["database_now"] = at
    return at


def id_column() -> Mapped[str]:
    return mapped_column(String(32), primary_key=True, default=new_id)


POSTGRES_POOL_SIZE = 20
POSTGRES_MAX_OVERFLOW = 20


def make_engine(database_url: str) -> Engine:
    """SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL a pool sized for bursts."""
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Python's sqlite3 opens transactions lazily; take control so BEGIN IMMEDIATE is possible.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # One writer at a time: IMMEDIATE takes the write lock up front instead of failing mid-transaction.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # Connections beyond pool_size are closed when returned, and a new PostgreSQL connection costs a
    # server process fork plus authentication: size the pool for a busy moment (the web threads plus
    # the outbox worker's lanes) so bursts reuse connections instead of churning them.
    return create_engine(database_url, pool_size=POSTGRES_POOL_SIZE, max_overflow=POSTGRES_MAX_OVERFLOW,
                         pool_pre_ping=True)


def upsert_insert(db: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` of ``table`` that takes ``ON CONFLICT`` clauses, in the session's dialect.

    PostgreSQL and SQLite spell them alike (``on_conflict_do_nothing`` / ``on_conflict_do_update``
    with ``index_elements``), so callers write one statement for both backends.
    """
    if db.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class Database:
    """Owns the engine and hands out sessions; one per app instance (tests make their own)."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.engine = make_engine(database_url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self.session_factory()

    def sessions(self) -> Iterator[Session]:
        with self.session_factory() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
