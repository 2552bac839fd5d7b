"""Run only by tests/seed/test_interrupted_run.py: holds a tenant until the outer test kills the run."""

from __future__ import annotations

import os
from pathlib import Path

from e2e.plugins.tenants import WaitUntil
from seed.handle import TenantHandle


def test_holds_a_tenant_until_killed(tenant: TenantHandle, wait_until: WaitUntil) -> None:
    release = Path(os.environ["E2E_SELFCHECK_RELEASE_FILE"])
    wait_until(release.exists, timeout=120, message="the outer test to kill this run")
