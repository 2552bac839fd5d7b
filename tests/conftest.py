"""Fixtures shared by the project's own tests: settings, a migrated database per backend, the app, clients.

Every database test runs on SQLite and, when TEST_DATABASE_URL points at a PostgreSQL server, on
PostgreSQL too (`make test` provides one; REQUIRE_POSTGRES=1 turns its absence into an error).
The schema comes from the Alembic migrations, once per session; each test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app import migrations
from app.db import Database
from app.main import create_app
from app.models_registry import metadata
from app.providers import MemoryTelephony
from app.settings import Settings
from bench.database import drop_database
from tests.events import contract as event_contract

# Switched off for every session in pyproject.toml (the e2e suite does not need their ~1.4 s of imports);
# the project's own tests use them. Allowed here because tests/conftest.py is an initial conftest of any
# `pytest tests/...` run (and of plain `pytest`, whose testpaths is tests/).
pytest_plugins = ["_hypothesis_pytestplugin", "schemathesis.pytest.plugin"]

# Code that reads the process-wide settings (get_settings()) in a test process reads a test environment, not
# the production default, which refuses the dev SECRET_KEY (tests/security/test_secrets_at_start.py unsets it).
os.environ.setdefault("APP_ENV", "test")

OPERATOR_TOKEN = "test-operator-token-0123456789abcdef"
SECRET_KEY = "test-secret-key-0123456789abcdef0123456789"


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url and os.environ.get("REQUIRE_POSTGRES") == "1":
        raise pytest.UsageError("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
    return url or None


def _worker_suffix(testrun_uid: str) -> str:
    # The run's id keeps two runs on one server (two engineers, a run and a CI clone) out of each other's way.
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{testrun_uid[:8]}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test copies it, which is much faster than migrating again."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database(testrun_uid: str) -> Iterator[str]:
    """A database of our own on the PostgreSQL server (one per xdist worker), migrated once."""
    base_url = _postgres_url()
    if base_url is None:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL variant skipped")
    url = make_url(base_url)
    name = f"{url.database}_{_worker_suffix(testrun_uid)}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        drop_database(conn, name)
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    test_url = url.set(database=name).render_as_string(hide_password=False)
    migrations.upgrade(test_url)
    yield test_url
    with admin.connect() as conn:
        drop_database(conn, name)
    admin.dispose()


@pytest.fixture(autouse=True)
def outbox_events_match_their_schemas() -> Iterator[None]:
    """Fails a test in which the app wrote an outbox event its JSON Schema refuses (tests/events/contract.py)."""
    with event_contract.recording() as problems:
        yield
    if problems:
        pytest.fail("outbox events that do not match docs/event-catalog.md:\n" + "\n".join(sorted(set(problems))))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "app.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    empty_postgres_tables(url)


def empty_postgres_tables(url: str, lock_timeout_s: float = 10.0) -> None:
    """TRUNCATE every table; if that fails, say which other sessions were still using the database.

    Waiting longer than `lock_timeout_s` for a table's lock fails too, rather than hanging the run.

    A process or thread the test started and its fixtures did not stop before this one's teardown is the
    usual cause (a still-running outbox worker once deadlocked this TRUNCATE); the bare deadlock error
    does not say whose it was.
    """
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = '{int(lock_timeout_s * 1000)}ms'"))
            conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    except OperationalError as error:
        with engine.connect() as conn:
            others = conn.execute(text(
                "SELECT pid, application_name, state, left(query, 120) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()")).all()
        sessions = "; ".join(f"pid {pid} {app or '-'} {state}: {query}" for pid, app, state, query in others)
        raise AssertionError(f"could not empty the test database ({error.orig!r}); other sessions still on it: "
                             f"{sessions or 'none'} — stop what the test started before `database_url` "
                             "tears down") from error
    finally:
        engine.dispose()


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "app_env": "test",
        "database_url": database_url,
        "secret_key": SECRET_KEY,
        "operator_token": OPERATOR_TOKEN,
        "public_base_url": "http://testserver",
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "outbox_rng_seed": 1234,
        "run_worker_in_process": False,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings.database_url)
    yield db
    db.dispose()


@pytest.fixture
def telephony() -> MemoryTelephony:
    return MemoryTelephony()


@pytest.fixture
def app(settings: Settings, database: Database, telephony: MemoryTelephony) -> FastAPI:
    return create_app(settings, database=database, telephony=telephony, start_worker=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def operator(app: FastAPI) -> Iterator[TestClient]:
    """A client that speaks the operator API."""
    with TestClient(app, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}) as test_client:
        yield test_client


_counter = iter(range(10**9))


def tenant_spec(**overrides: Any) -> dict[str, Any]:
    """A valid operator-API tenant body with unique emails and number."""
    n = next(_counter)
    spec: dict[str, Any] = {
        "name": f"Test Plumbing {n}",
        "timezone": "America/New_York",
        "owner": {"email": f"owner{n}@example.test", "password": "correct horse", "name": f"Olive Owner {n}"},
        "techs": [{"email": f"tech{n}@example.test", "password": "correct horse", "name": f"Tom Tech {n}"}],
        "phone_number": f"+1555{n % 10000000:07d}",
        "compliance": "approved",
        "labels": {"run_id": "unit"},
    }
    spec.update(overrides)
    return spec


@pytest.fixture
def make_tenant(operator: TestClient) -> Callable[..., dict[str, Any]]:
    """Creates a tenant through the operator API and returns its JSON."""

    def make(**overrides: Any) -> dict[str, Any]:
        response = operator.post("/api/operator/tenants", json=tenant_spec(**overrides))
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    return make


def owner_of(tenant: dict[str, Any]) -> dict[str, Any]:
    return next(u for u in tenant["users"] if u["role"] == "OWNER")


def tech_of(tenant: dict[str, Any]) -> dict[str, Any]:
    return next(u for u in tenant["users"] if u["role"] == "TECH")


@pytest.fixture
def login_as(app: FastAPI, operator: TestClient) -> Callable[[dict[str, Any], str], TestClient]:
    """A browser-like client (cookies + CSRF) logged in as the tenant's OWNER or TECH."""
    clients: list[TestClient] = []

    def login(tenant: dict[str, Any], role: str = "OWNER") -> TestClient:
        user = owner_of(tenant) if role == "OWNER" else tech_of(tenant)
        minted = operator.post(f"/api/operator/tenants/{tenant['id']}/sessions", json={"user": user["email"]})
        assert minted.status_code == 201, minted.text
        browser = TestClient(app)
        browser.__enter__()
        clients.append(browser)
        # "testserver.local" is how the cookie jar records the TestClient host, so Set-Cookie can replace it
        browser.cookies.set(minted.json()["cookie_name"], minted.json()["cookie_value"], domain="testserver.local")
        browser.get("/login")  # picks up the CSRF cookie like a browser would
        return browser

    yield login  # type: ignore[misc]
    for browser in clients:
        browser.__exit__(None, None, None)


def csrf_of(client: TestClient) -> str:
    token = client.cookies.get("nmc_csrf")
    assert token, "no CSRF cookie yet: GET a page first"
    return token
