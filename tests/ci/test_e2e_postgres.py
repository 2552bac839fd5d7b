"""scripts/e2e_postgres.py: one fresh database per xdist worker, named the way the e2e plugin fills in
`{worker}`, dropped after the run whatever pytest said; bad arguments refused before anything is created."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scripts import e2e_postgres
from scripts.e2e_postgres import database_name, url_template, worker_names

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_databases_are_named_per_worker_as_the_plugin_names_stacks() -> None:
    assert worker_names(2) == ["gw0", "gw1"]
    assert worker_names(0) == ["main"]  # no xdist: the plugin's worker_id() is "main"
    with pytest.raises(ValueError, match="0 or more"):
        worker_names(-1)
    template = url_template("postgresql+psycopg://nmc:pw@127.0.0.1:5432/nmc_test", 4242)
    assert template == "postgresql+psycopg://nmc:pw@127.0.0.1:5432/nmc_e2e_{worker}_4242"
    assert template.replace("{worker}", "gw1").endswith("/" + database_name("gw1", 4242))


def test_a_negative_worker_count_is_refused_with_a_message() -> None:
    done = subprocess.run([sys.executable, "-m", "scripts.e2e_postgres", "--workers", "-1", "--server", "postgresql://x/y"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "--workers must be 0 or more" in done.stderr


def _databases(server: str, prefix: str) -> list[str]:
    engine = create_engine(make_url(server).set(database="postgres"))
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                                       {"p": prefix + "%"}).scalars())
    finally:
        engine.dispose()


def test_the_databases_exist_during_the_run_and_are_gone_after_a_failing_one(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    def fake_pytest(command: list[str], env: dict[str, str], check: bool) -> subprocess.CompletedProcess[str]:
        seen["command"], seen["url"] = command, env["E2E_DATABASE_URL"]
        seen["during"] = _databases(postgres_database, "nmc_e2e_")
        return subprocess.CompletedProcess(command, 1)

    monkeypatch.setattr(e2e_postgres.subprocess, "run", fake_pytest)
    code = e2e_postgres.main(["--workers", "2", "--server", postgres_database, "--", "-k", "smoke"])
    assert code == 1  # pytest's exit code, passed on
    pid = seen["url"].rsplit("_", 1)[1]
    assert [name for name in seen["during"] if name.endswith("_" + pid)] == \
        [database_name("gw0", int(pid)), database_name("gw1", int(pid))]
    assert seen["command"][-6:] == ["--stack-worker", "separate", "-k", "smoke", "-n", "2"]
    assert not [name for name in _databases(postgres_database, "nmc_e2e_") if name.endswith("_" + pid)]
