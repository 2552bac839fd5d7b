"""Root conftest: one override that every pytest session in this repository needs.

pytest-playwright empties its output directory (test-results/) at the start of *every* session that
loads it — including `pytest tests`, which would wipe an e2e run's traces, bundles and stack logs
whenever the unit tests run alongside. The e2e suite empties test-results/ itself, once per run,
in the run's controller (e2e/plugins/stack.py), so here the per-session deletion is switched off.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def delete_output_dir() -> None:
    """Replaces pytest-playwright's fixture of the same name: nothing is deleted per session."""
