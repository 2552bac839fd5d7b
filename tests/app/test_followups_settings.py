"""Settings that code used to reach through getattr are real, documented, validated fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_short_completed_call_rule_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(app_env="dev", _env_file=None).missed_call_short_completed_seconds == 0  # off
    monkeypatch.setenv("MISSED_CALL_SHORT_COMPLETED_SECONDS", "12")
    assert Settings(app_env="dev", _env_file=None).missed_call_short_completed_seconds == 12


def test_a_negative_short_completed_call_rule_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISSED_CALL_SHORT_COMPLETED_SECONDS", "-1")
    with pytest.raises(ValidationError, match="missed_call_short_completed_seconds"):
        Settings(app_env="dev", _env_file=None)


def test_env_example_explains_the_short_completed_call_rule() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if re.match(r"^MISSED_CALL_SHORT_COMPLETED_SECONDS=0$", line))
    assert lines[index - 1].startswith("#"), "the setting needs a comment saying what it does"
