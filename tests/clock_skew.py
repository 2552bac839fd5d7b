"""Skews the app server's clock for clock-skew tests (seed 003 §8), leaving the database's clock alone.

Every app module that reads the time through `app.db.utcnow` gets a shifted one, as if the app ran on a
machine whose clock is off; SQLite's and PostgreSQL's own `now` are untouched.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import pytest


def skew_app_clock(monkeypatch: pytest.MonkeyPatch, by: timedelta) -> None:
    """Shifts the app's clock `by` from the real time (timedelta(0) puts it right again)."""
    modules = [module for name, module in list(sys.modules.items())
               if (name == "app" or name.startswith("app.")) and callable(getattr(module, "utcnow", None))]
    assert len(modules) > 1, "no app module reads app.db.utcnow: the skew would change nothing"
    for module in modules:
        monkeypatch.setattr(module, "utcnow", lambda: datetime.now(UTC) + by)
