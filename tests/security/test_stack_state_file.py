"""Informational item of issue 23: `python -m stack` (and every stack) writes its operator token to stack.json; the file is
readable by its owner only (it was world-readable), also when an older, readable one is overwritten."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

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
