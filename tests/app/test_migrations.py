"""Migrations are the only source of the schema: they upgrade, downgrade, and match the models."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import migrations
from app.models_registry import metadata
from bench.database import drop_database


@pytest.fixture(params=["sqlite", "postgres"])
def pristine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database nobody has touched."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pristine.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set")
    url = make_url(base)
    name = f"pristine_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        drop_database(conn, name)
    admin.dispose()


def test_upgrade_to_head_then_downgrade_to_base(pristine_url: str) -> None:
    migrations.upgrade(pristine_url)
    engine = create_engine(pristine_url)
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables
    migrations.downgrade(pristine_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(pristine_url)  # and up again: downgrades leave nothing behind that blocks it
    engine.dispose()


def test_models_match_the_migrations(pristine_url: str) -> None:
    migrations.upgrade(pristine_url)
    engine = create_engine(pristine_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_every_tenant_owned_table_cascades_from_tenants() -> None:
    for table in metadata.sorted_tables:
        if "tenant_id" not in table.c:
            continue
        fks = [fk for fk in table.c.tenant_id.foreign_keys if fk.column.table.name == "tenants"]
        assert fks, f"{table.name}.tenant_id has no foreign key to tenants"
        assert all(fk.ondelete == "CASCADE" for fk in fks), f"{table.name}.tenant_id must be ON DELETE CASCADE"
