"""F2 (issue 23): the app does not run with the public dev SECRET_KEY unless told it is a dev or test
environment, and a short OPERATOR_TOKEN is refused in every environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import DEV_SECRET_KEY, Settings

pytestmark = pytest.mark.security

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_with_no_environment_refuses_to_start(tmp_path: Path) -> None:
    """`python -m app serve` in a directory without .env and nothing set: a clear error, not a running app."""
    env = {k: v for k, v in os.environ.items() if k not in {f.upper() for f in Settings.model_fields}}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("the app started serving with the public dev SECRET_KEY")
    assert process.returncode == 2, stderr
    assert "SECRET_KEY" in stderr and "configuration error" in stderr, stderr


def test_the_default_environment_is_production_and_refuses_the_dev_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)  # tests/conftest.py sets it for the test process
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(secret_key="too-short-0123456789", _env_file=None)  # type: ignore[call-arg]
    assert Settings(secret_key="s" * 32, _env_file=None).app_env == "production"  # type: ignore[call-arg]


@pytest.mark.parametrize("app_env", ["dev", "test"])
def test_dev_and_test_may_use_the_dev_key_when_they_say_so(app_env: str) -> None:
    settings = Settings(app_env=app_env, _env_file=None)  # type: ignore[call-arg]
    assert settings.secret_key == DEV_SECRET_KEY


@pytest.mark.parametrize("app_env", ["dev", "test", "production"])
def test_a_short_operator_token_is_refused_in_every_environment(app_env: str) -> None:
    with pytest.raises(ValidationError, match="OPERATOR_TOKEN"):
        Settings(app_env=app_env, secret_key="s" * 32, operator_token="abc", _env_file=None)  # type: ignore[call-arg]
    accepted = Settings(app_env=app_env, secret_key="s" * 32, operator_token="t" * 24, _env_file=None)  # type: ignore[call-arg]
    assert accepted.operator_token == "t" * 24
