"""Informational item of issue 23: `python -m stack` (and every stack) writes its operator token to stack.json; the file is
readable by its owner only (it was world-readable), also when an older, readable one is overwritten."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from stack.description import Stack

pytestmark = pytest.mark.security


def a_stack() -> Stack:
    return Stack(base_url="http://127.0.0.1:1", operator_token="secret-operator-token-0123456789", twilio_url=None,
                 stripe_url=None, app_log_file=None, target_id="t", shared=False, disposable=True)


@pytest.mark.parametrize("existing", [False, True])
def test_the_state_file_is_private_to_its_owner(tmp_path: Path, existing: bool) -> None:
    path = tmp_path / "stack" / "stack.json"
    if existing:
        path.parent.mkdir()
        path.write_text("{}")
        os.chmod(path, 0o644)
    old_umask = os.umask(0o022)  # the usual umask, which made it world-readable
    try:
        a_stack().write(path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["operator_token"] == "secret-operator-token-0123456789"


def test_the_state_file_appears_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoever waits for stack.json to exist (`--reuse-stack`, a test) reads it at once: it must never be there
    empty or half-written (a run once read it between its creation and its content)."""
    path = tmp_path / "stack" / "stack.json"
    seen_while_writing: list[bool] = []
    real_dumps = json.dumps

    def dumps(value: object, **options: Any) -> str:
        seen_while_writing.append(path.exists())
        return real_dumps(value, **options)

    monkeypatch.setattr("stack.description.json.dumps", dumps)
    a_stack().write(path)
    assert seen_while_writing == [False], "stack.json existed before its content was written"
    assert json.loads(path.read_text())["operator_token"] == "secret-operator-token-0123456789"
    assert [p.name for p in path.parent.iterdir()] == ["stack.json"], "a temporary file was left behind"
