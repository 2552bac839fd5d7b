"""Settings: documented, and safe by default in production."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import DEV_SECRET_KEY, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_in_env_example() -> None:
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - documented == set(), "settings missing from .env.example"
    assert documented - fields == set(), ".env.example names settings that do not exist"


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(app_env="production", secret_key=DEV_SECRET_KEY, _env_file=None)  # type: ignore[call-arg]


def test_production_refuses_a_short_operator_token() -> None:
    with pytest.raises(ValidationError, match="OPERATOR_TOKEN"):
        Settings(app_env="production", secret_key="x" * 40, operator_token="short", _env_file=None)  # type: ignore[call-arg]


def test_dev_accepts_defaults_and_empty_env_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTBOX_RNG_SEED", "")
    settings = Settings(app_env="dev", _env_file=None)  # type: ignore[call-arg]
    assert settings.outbox_rng_seed is None
    assert settings.database_url.startswith("sqlite")


@pytest.mark.parametrize(("memory_kib", "lanes", "message"), [
    (0, 1, "password_hash_memory_kib"),      # below argon2's floor whatever the lanes
    (16, 4, "PASSWORD_HASH_MEMORY_KIB"),     # 8 KiB per lane
])
def test_argon2_memory_too_small_is_refused_at_start(memory_kib: int, lanes: int, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(app_env="dev", password_hash_memory_kib=memory_kib, password_hash_parallelism=lanes, _env_file=None)  # type: ignore[call-arg]


def test_the_smallest_argon2_memory_still_hashes_and_verifies() -> None:
    from app.identity import security

    settings = Settings(app_env="dev", password_hash_time_cost=1, password_hash_memory_kib=8, password_hash_parallelism=1,
                        _env_file=None)  # type: ignore[call-arg]
    hashed = security.hash_password(settings, "correct horse")
    assert security.verify_password(settings, hashed, "correct horse")
    assert not security.verify_password(settings, hashed, "wrong horse")
